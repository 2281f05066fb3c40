import { readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OutboxFullError, SNAPSHOT_FILE, journalFile, openOutbox } from '../../main/delivery/outbox';
import type { EnqueueInput, Outbox, OutboxOptions } from '../../main/delivery/outbox';
import { decodeLine } from '../../main/delivery/framing';
import { memoryLog, tempDir } from '../support/delivery';

const input = (i: number, over: Partial<EnqueueInput> = {}): EnqueueInput => ({
  webhookId: 1,
  udid: `dev-${i % 5}`,
  seq: i,
  body: JSON.stringify({ eventType: 'DEVICE', deviceUdid: `dev-${i % 5}`, i }),
  createdAt: 1_000 + i,
  ...over,
});

async function open(dir: string, over: Partial<OutboxOptions> = {}): Promise<Outbox> {
  return openOutbox({ dir, batchWindowMs: 5, ...over });
}

async function journalText(outbox: Outbox): Promise<string> {
  return readFile(join(outbox.dir, journalFile(outbox.stats().gen)), 'utf8');
}

describe('outbox', () => {
  it('enqueue() resolves only once the delivery is in the journal on disk', async () => {
    const dir = await tempDir();
    // A window far longer than the test: the write happens only when flush() asks for it.
    const outbox = await open(dir, { batchWindowMs: 600_000 });
    let resolved = false;
    const pending = outbox.enqueue(input(1)).then((d) => ((resolved = true), d));
    // Queued in memory at once, not yet written.
    const [queued] = outbox.list();
    expect(queued?.state).toBe('pending');
    expect(outbox.isDurable(queued!.id)).toBe(false);
    expect(await journalText(outbox)).not.toContain(queued!.id);
    expect(resolved).toBe(false);
    await outbox.flush();
    const d = await pending;
    expect(outbox.isDurable(d.id)).toBe(true);
    const lines = (await readFile(join(outbox.dir, journalFile(outbox.stats().gen))))
      .toString('latin1')
      .split('\n')
      .filter(Boolean)
      .flatMap((l) => decodeLine<{ t: string; d: { id: string; body: string } }>(Buffer.from(l, 'latin1')).records);
    expect(lines).toEqual([{ t: 'enq', d: expect.objectContaining({ id: d.id, body: input(1).body, state: 'pending', attempts: 0 }) }]);
    expect(d.id).toMatch(/^dlv_[A-Za-z0-9_-]{22}$/);
    expect(d.messageId).toMatch(/^msg_[A-Za-z0-9_-]{22}$/);
    await outbox.close();
  });

  it('coalesces many enqueues and updates within the window into one write, everyone resolving after it', async () => {
    const dir = await tempDir();
    const outbox = await open(dir, { batchWindowMs: 20 });
    const before = outbox.stats().writes;
    const all = await Promise.all(Array.from({ length: 300 }, (_, i) => outbox.enqueue(input(i))));
    expect(outbox.stats().writes - before).toBe(1);
    const text = await journalText(outbox);
    for (const d of all) expect(text).toContain(d.id);
    const w = outbox.stats().writes;
    await Promise.all(all.slice(0, 50).map((d) => outbox.update(d.id, { state: 'in_flight', attempts: 1 })));
    expect(outbox.stats().writes - w).toBe(1);
    await outbox.close();
  });

  it('quitting without sending keeps every delivery for the next open, in order, byte for byte', async () => {
    const dir = await tempDir();
    const first = await open(dir);
    const made = [];
    for (let i = 0; i < 20; i++) made.push(first.enqueue(input(i)));
    const deliveries = await Promise.all(made);
    await first.update(deliveries[3]!.id, { state: 'succeeded' });
    await first.update(deliveries[4]!.id, { state: 'in_flight', attempts: 2 });
    await first.update(deliveries[5]!.id, { state: 'pending', attempts: 1, nextAttemptAt: 99_999, lastError: 'HTTP 503' });
    await first.close();

    const second = await open(dir);
    const list = second.list();
    expect(list.map((d) => d.id)).toEqual(deliveries.filter((_, i) => i !== 3).map((d) => d.id));
    expect(list.every((d) => d.state === 'pending')).toBe(true);
    expect(list.find((d) => d.id === deliveries[4]!.id)).toMatchObject({ attempts: 2, state: 'pending' });
    expect(list.find((d) => d.id === deliveries[5]!.id)).toMatchObject({ attempts: 1, nextAttemptAt: 99_999, lastError: 'HTTP 503' });
    expect(list.map((d) => d.body)).toEqual(deliveries.filter((_, i) => i !== 3).map((d) => d.body));
    // New deliveries continue the enqueue order.
    const next = await second.enqueue(input(100));
    expect(next.n).toBeGreaterThan(Math.max(...list.map((d) => d.n)));
    await second.close();
  });

  it('a torn last line (crash mid-write) loses nothing that enqueue() had confirmed', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 20 }), fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), async (confirmedCount, tornCount, where) => {
        const dir = await tempDir();
        const outbox = await open(dir, { durability: 'none' });
        const confirmed = await Promise.all(Array.from({ length: confirmedCount }, (_, i) => outbox.enqueue(input(i))));
        await outbox.update(confirmed[0]!.id, { state: 'in_flight', attempts: 1 });
        const path = join(dir, journalFile(outbox.stats().gen));
        const confirmedBytes = (await stat(path)).size;
        // The batch that was being written when the process died: never confirmed to anyone.
        await Promise.all(Array.from({ length: tornCount }, (_, i) => outbox.enqueue(input(1000 + i))));
        const fullBytes = (await stat(path)).size;
        await outbox.close();
        const cut = confirmedBytes + Math.floor(where * (fullBytes - confirmedBytes));
        await truncate(path, cut);

        const log = memoryLog();
        const reopened = await open(dir, { logger: log.logger });
        const ids = new Set(reopened.list().map((d) => d.id));
        for (const d of confirmed) expect(ids.has(d.id)).toBe(true);
        expect(reopened.list().find((d) => d.id === confirmed[0]!.id)?.state).toBe('pending');
        // Everything recovered is whole.
        for (const d of reopened.list()) expect(() => JSON.parse(d.body ?? '') as unknown).not.toThrow();
        expect(reopened.openReport.badLines).toBe(0);
        // And the journal it appends to now is clean: a new enqueue after recovery survives another reopen.
        const after = await reopened.enqueue(input(5000));
        await reopened.close();
        const third = await open(dir);
        expect(third.get(after.id)).toBeDefined();
        for (const d of confirmed) expect(third.get(d.id)).toBeDefined();
        await third.close();
      }),
      { numRuns: 15 },
    );
  });

  it('refuses new deliveries with a typed error when full, loudly, and accepts again when there is room', async () => {
    const dir = await tempDir();
    const log = memoryLog();
    const overflows: number[] = [];
    const outbox = await open(dir, { maxPending: 3, logger: log.logger, onOverflow: (info) => overflows.push(info.refusedSinceFull) });
    const ok = await Promise.all([0, 1, 2].map((i) => outbox.enqueue(input(i))));
    const refused = outbox.enqueue(input(3));
    await expect(refused).rejects.toBeInstanceOf(OutboxFullError);
    await expect(outbox.enqueue(input(4))).rejects.toMatchObject({ code: 'OUTBOX_FULL', limit: 3 });
    expect(overflows).toEqual([1, 2]);
    expect(log.lines.filter((l) => l.level === 'error' && /FULL/.test(l.message))).toHaveLength(1);
    expect(outbox.size).toBe(3);
    await outbox.update(ok[0]!.id, { state: 'succeeded' });
    await expect(outbox.enqueue(input(5))).resolves.toMatchObject({ seq: 5 });
    expect(log.lines.some((l) => /accepts callbacks for webhook 1 again after refusing 2/.test(l.message))).toBe(true);
    await outbox.close();
  });

  it('compacts: settled deliveries leave, the journal restarts, the folder does not grow with history', async () => {
    const dir = await tempDir();
    const outbox = await open(dir, { compactMinBytes: 8 * 1024, durability: 'none' });
    const keep = await outbox.enqueue(input(-1, { udid: 'keeper' }));
    for (let round = 0; round < 20; round++) {
      const batch = await Promise.all(Array.from({ length: 50 }, (_, i) => outbox.enqueue(input(round * 50 + i))));
      await Promise.all(batch.map((d) => outbox.update(d.id, { state: 'in_flight', attempts: 1 })));
      await Promise.all(batch.map((d) => outbox.update(d.id, { state: 'succeeded' })));
    }
    const stats = outbox.stats();
    expect(stats.compactions).toBeGreaterThan(3);
    const files = (await readdir(dir)).sort();
    expect(files).toEqual([SNAPSHOT_FILE, journalFile(stats.gen)].sort());
    // 1000 finished deliveries later, the snapshot holds one delivery and the journal is small.
    const sizes = await Promise.all(files.map(async (f) => (await stat(join(dir, f))).size));
    expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThan(8 * 1024 + 64 * 1024);
    await outbox.close();
    const reopened = await open(dir);
    expect(reopened.list().map((d) => d.id)).toEqual([keep.id]);
    await reopened.close();
  });

  it('survives a crash between writing the new snapshot and deleting the old journal (replay is idempotent)', async () => {
    const dir = await tempDir();
    const outbox = await open(dir);
    const a = await outbox.enqueue(input(1));
    const b = await outbox.enqueue(input(2));
    await outbox.update(a.id, { state: 'pending', attempts: 3, nextAttemptAt: 5 });
    await outbox.update(b.id, { state: 'failed' });
    const oldJournal = await journalText(outbox);
    const gen = outbox.stats().gen;
    await outbox.close();
    // Reopen compacts (snapshot gen+1); then put the old journal back as if its deletion never happened.
    await (await open(dir)).close();
    await writeFile(join(dir, journalFile(gen)), oldJournal);
    const again = await open(dir);
    expect(again.list().map((d) => ({ id: d.id, attempts: d.attempts }))).toEqual([{ id: a.id, attempts: 3 }]);
    await again.close();
  });

  it('keeps a copy of an unreadable snapshot, says so, and never overwrites the copy', async () => {
    const dir = await tempDir();
    const outbox = await open(dir);
    await outbox.enqueue(input(1));
    await outbox.close();
    await writeFile(join(dir, SNAPSHOT_FILE), '{"kind":"outbox-snapshot","version":1,"gen":3,"count":5}\n{"id":');
    const log = memoryLog();
    const reopened = await open(dir, { logger: log.logger });
    expect(reopened.openReport.snapshotMovedAside).toMatch(/outbox-snapshot\.unreadable-\d+\.jsonl$/);
    expect(await readFile(reopened.openReport.snapshotMovedAside!, 'utf8')).toContain('"gen":3');
    expect(log.lines.some((l) => l.level === 'error' && /snapshot is damaged/.test(l.message))).toBe(true);
    await reopened.close();
  });
});
