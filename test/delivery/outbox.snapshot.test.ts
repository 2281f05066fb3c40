// One damaged record in the outbox snapshot costs only that record; an old journal is deleted only
// once the new snapshot is fsynced, read back whole and in place.
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeStorageFs } from '../../main/delivery/files';
import type { StorageFs } from '../../main/delivery/files';
import { SNAPSHOT_FILE, journalFile, openOutbox } from '../../main/delivery/outbox';
import type { Delivery, EnqueueInput } from '../../main/delivery/outbox';
import { memoryLog, tempDir } from '../support/delivery';

const input = (i: number): EnqueueInput => ({ webhookId: 1, udid: `dev-${i}`, seq: i, body: JSON.stringify({ i }), createdAt: 1_000 + i });

async function tenInSnapshot(dir: string): Promise<Delivery[]> {
  const outbox = await openOutbox({ dir });
  const made: Delivery[] = [];
  for (let i = 0; i < 10; i++) made.push(await outbox.enqueue(input(i)));
  await outbox.close();
  // Reopening compacts: all ten are now in the snapshot, the journal is empty.
  await (await openOutbox({ dir })).close();
  return made;
}

async function snapshotLines(dir: string): Promise<Buffer[]> {
  const bytes = await readFile(join(dir, SNAPSHOT_FILE));
  const lines: Buffer[] = [];
  let start = 0;
  for (let nl = bytes.indexOf(10); nl >= 0; nl = bytes.indexOf(10, start)) {
    lines.push(bytes.subarray(start, nl + 1));
    start = nl + 1;
  }
  return lines;
}

describe('outbox snapshot recovery, record by record', () => {
  it('one damaged line loses one callback, not the backlog; the count is reported and a copy kept', async () => {
    const dir = await tempDir();
    const made = await tenInSnapshot(dir);
    const lines = await snapshotLines(dir);
    expect(lines).toHaveLength(12); // header, ten, end
    const damaged = Buffer.from(lines[4] as Buffer);
    damaged[damaged.length - 10] = (damaged[damaged.length - 10] as number) ^ 0x01; // one bit flipped inside the fourth delivery
    await writeFile(join(dir, SNAPSHOT_FILE), Buffer.concat([...lines.slice(0, 4), damaged, ...lines.slice(5)]));
    const log = memoryLog();
    const outbox = await openOutbox({ dir, logger: log.logger });
    expect(outbox.list().map((d) => d.id)).toEqual(made.filter((_, i) => i !== 3).map((d) => d.id));
    expect(outbox.openReport.unreadableRecords).toBe(1);
    expect(outbox.openReport.snapshotMovedAside).toMatch(/outbox-snapshot\.unreadable-\d+\.jsonl$/);
    expect(log.lines.some((l) => l.level === 'error' && /9 callback\(s\) recovered, 1 record\(s\) unreadable/.test(l.message))).toBe(true);
    await outbox.close();
    // The next open finds a whole snapshot again.
    const again = await openOutbox({ dir });
    expect(again.openReport.unreadableRecords).toBe(0);
    expect(again.size).toBe(9);
    await again.close();
  });

  it('a lost header or end marker still keeps every readable delivery, and the journals since are replayed', async () => {
    const dir = await tempDir();
    const made = await tenInSnapshot(dir);
    const outbox = await openOutbox({ dir });
    const later = await outbox.enqueue(input(99));
    await outbox.update((made[0] as Delivery).id, { state: 'succeeded' });
    // Crash: no close, so this journal is not compacted away.
    const lines = await snapshotLines(dir);
    await writeFile(join(dir, SNAPSHOT_FILE), Buffer.concat([Buffer.from('garbage\n'), ...lines.slice(1, -1)]));
    const reopened = await openOutbox({ dir });
    expect(reopened.list().map((d) => d.id)).toEqual([...made.slice(1).map((d) => d.id), later.id]);
    expect(reopened.openReport.unreadableRecords).toBeGreaterThanOrEqual(1);
    await reopened.close();
    await outbox.close().catch(() => undefined);
  });

  it('deletes the old journal only after the new snapshot is fsynced, read back and renamed (fsync-order spy)', async () => {
    const dir = await tempDir();
    const first = await openOutbox({ dir });
    for (let i = 0; i < 3; i++) await first.enqueue(input(i));
    const oldGen = first.stats().gen;
    await first.close();
    const steps: string[] = [];
    const name = (p: string) => (p === dir ? '<dir>' : p.slice(dir.length + 1));
    const fs: StorageFs = {
      ...nodeStorageFs,
      open: async (path, flags, mode) => {
        const h = await nodeStorageFs.open(path, flags, mode);
        return { ...h, sync: async () => (await h.sync(), void steps.push(`fsync ${name(path)}`)) };
      },
      rename: async (from, to) => (await nodeStorageFs.rename(from, to), void steps.push(`rename ${name(from)}`)),
      unlink: async (path) => (await nodeStorageFs.unlink(path), void steps.push(`unlink ${name(path)}`)),
    };
    const outbox = await openOutbox({ dir, fs });
    const order = (s: string) => steps.indexOf(s);
    const tmp = `${SNAPSHOT_FILE}.tmp`;
    expect(order(`fsync ${tmp}`)).toBeGreaterThanOrEqual(0);
    expect(order(`rename ${tmp}`)).toBeGreaterThan(order(`fsync ${tmp}`));
    expect(order('fsync <dir>')).toBeGreaterThan(order(`rename ${tmp}`));
    expect(order(`unlink ${journalFile(oldGen)}`)).toBeGreaterThan(order('fsync <dir>'));
    await outbox.close();
  });

  it('a new snapshot that does not read back whole is not used, and the old journal stays', async () => {
    const dir = await tempDir();
    const first = await openOutbox({ dir });
    const made: Delivery[] = [];
    for (let i = 0; i < 3; i++) made.push(await first.enqueue(input(i)));
    const oldGen = first.stats().gen;
    await first.close();
    const before = await readFile(join(dir, SNAPSHOT_FILE));
    // A disk that silently corrupts what is written to the snapshot's temp file.
    const fs: StorageFs = {
      ...nodeStorageFs,
      open: async (path, flags, mode) => {
        const h = await nodeStorageFs.open(path, flags, mode);
        if (!path.endsWith('.tmp')) return h;
        return {
          ...h,
          write: (buffer, offset, length) => {
            const copy = Buffer.from(buffer.subarray(offset, offset + length));
            const mid = Math.floor(copy.length / 2);
            copy[mid] = (copy[mid] as number) ^ 0x20;
            return h.write(copy, 0, copy.length);
          },
        };
      },
    };
    const log = memoryLog();
    const outbox = await openOutbox({ dir, fs, logger: log.logger });
    expect(await readFile(join(dir, SNAPSHOT_FILE))).toEqual(before);
    expect(await readdir(dir)).toContain(journalFile(oldGen));
    const added = await outbox.enqueue(input(7));
    await outbox.close();
    const reopened = await openOutbox({ dir });
    expect(reopened.list().map((d) => d.id)).toEqual([...made.map((d) => d.id), added.id]);
    expect(reopened.openReport).toMatchObject({ badLines: 0, unreadableRecords: 0 });
    await reopened.close();
  });
});

describe('what the banner says about the outbox disk', () => {
  it('one banner when saving stops, one when it works again; the damage count after a bad snapshot', async () => {
    const { describeOutboxDamage, saveProblemNotices } = await import('../../main/delivery/outboxNotices');
    const seen: string[] = [];
    const listener = saveProblemNotices((level, message) => seen.push(`${level}: ${message}`));
    const p = { code: 'ENOSPC', message: 'ENOSPC', unsaved: 37, unsavedCallbacks: 37, pendingWrites: 37, since: 0 };
    listener(p);
    listener({ ...p, unsaved: 40 });
    listener(undefined);
    expect(seen).toEqual([
      'error: Disk full: 37 status changes not yet saved — free space. They are saved as soon as there is room.',
      'info: The disk takes writes again: every status change that was waiting in memory is saved.',
    ]);
    expect(describeOutboxDamage({ recovered: 9, tornTail: false, badLines: 0, unreadableRecords: 1, snapshotMovedAside: '/x/copy.jsonl' })).toMatch(
      /^The delivery outbox file was damaged: 1 waiting callback record\(s\) could not be read .* 9 callback\(s\) were recovered .* \/x\/copy\.jsonl\.$/,
    );
    expect(describeOutboxDamage({ recovered: 9, tornTail: false, badLines: 0, unreadableRecords: 0 })).toBeUndefined();
  });
});
