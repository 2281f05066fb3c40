// Record version 4: an attempt writes one journal line, its outcome, which carries the attempt count;
// the start of an attempt is not written. A crash in the middle of an attempt therefore finds the
// delivery pending with the attempts done before it, and sends it again once, under the same
// webhook-id (at least once, as before). A crash is modelled by copying the outbox folder while the
// attempt is in flight (what is on disk then is what a killed process leaves) and opening the copy.
import { cp, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { readJsonLines } from '../../main/delivery/files';
import { OUTBOX_RECORD_VERSION, SNAPSHOT_FILE, journalFile, openOutbox } from '../../main/delivery/outbox';
import { event, receiver, rig, tempDir, webhook } from '../support/delivery';

const until = (check: () => void | Promise<void>, timeout = 10_000): Promise<void> => vi.waitFor(check, { timeout, interval: 5 });

type Line = { t: string; id?: string; d?: { id: string }; p?: Record<string, unknown> };

async function journalLines(dir: string): Promise<Line[]> {
  const out: Line[] = [];
  const names = (await readdir(dir)).filter((n) => n.startsWith('outbox-journal-')).sort();
  for (const name of names) out.push(...(await readJsonLines<Line>(join(dir, name))).records);
  return out;
}

function linesOf(lines: Line[], id: string): Line[] {
  return lines.filter((l) => l.id === id || l.d?.id === id);
}

/** What a process killed now leaves on disk: a copy of the folder, taken once everything pushed is written. */
async function crashCopy(dir: string): Promise<string> {
  const copy = await tempDir();
  await cp(dir, copy, { recursive: true });
  return copy;
}

/** The deliveries an outbox folder opens with (opened alone, then closed). */
async function recovered(dir: string): Promise<ReturnType<Awaited<ReturnType<typeof openOutbox>>['list']>> {
  const outbox = await openOutbox({ dir });
  const list = outbox.list().map((d) => ({ ...d }));
  await outbox.close();
  return list;
}

/** One event to a webhook at `r`, its first try done and written: the journal lines of its delivery. */
async function firstTry(r: { url: string }) {
  const t = await rig({ webhooks: [webhook({ url: r.url })] });
  const { deliveries } = await t.dispatcher.dispatch(event());
  await t.attemptsReach(1);
  await t.dispatcher.flush();
  const id = deliveries[0]!.id;
  return { t, id, mine: linesOf(await journalLines(t.dir), id) };
}

describe('outbox record version 4: one journal line per attempt', () => {
  it('a delivery answered at its first try writes two lines: its enqueue and its outcome, with the attempt count', async () => {
    const { mine } = await firstTry(await receiver());
    expect(mine.map((l) => l.t)).toEqual(['enq', 'upd']);
    expect(mine[1]?.p).toMatchObject({ state: 'succeeded', attempts: 1 });
  });

  it('a failed try writes one line: pending again, with the attempt count, the retry time and the error', async () => {
    const { t, id, mine } = await firstTry(await receiver({ reply: { status: 503 } }));
    expect(mine.map((l) => l.t)).toEqual(['enq', 'upd']);
    expect(mine[1]?.p).toMatchObject({ state: 'pending', attempts: 1, lastError: 'HTTP 503' });
    // In memory the delivery is what the disk says.
    expect(t.outbox.get(id)).toMatchObject({ state: 'pending', attempts: 1, lastError: 'HTTP 503' });
  });

  it('writes a snapshot of version 4 or later (5 since every journal record is framed: outbox.v5.test.ts)', async () => {
    const dir = await tempDir();
    const outbox = await openOutbox({ dir });
    await outbox.close();
    expect(OUTBOX_RECORD_VERSION).toBe(5);
    const header = (await readJsonLines<{ kind?: string; version?: number }>(join(dir, SNAPSHOT_FILE))).records[0];
    expect(header).toMatchObject({ kind: 'outbox-snapshot', version: OUTBOX_RECORD_VERSION });
  });
});

describe('a crash in the middle of an attempt (record version 4)', () => {
  it('first try in flight: reopened pending with no attempt counted, sent again once under the same webhook-id', async () => {
    const stuck = await receiver({ reply: { delayMs: 60_000 } });
    const hooks = [webhook({ url: stuck.url })];
    const t = await rig({ webhooks: hooks });
    const { deliveries } = await t.dispatcher.dispatch(event());
    const id = deliveries[0]!.id;
    await until(() => expect(stuck.requests()).toHaveLength(1));
    // In memory it is in flight (the console and discard() see it so); the disk has only its enqueue.
    expect(t.outbox.get(id)).toMatchObject({ state: 'in_flight', attempts: 1 });
    await t.outbox.flush();
    expect(linesOf(await journalLines(t.dir), id).map((l) => l.t)).toEqual(['enq']);
    const dir = await crashCopy(t.dir);

    // What the next launch reads back (before any dispatcher starts sending it again).
    expect((await recovered(dir)).map((d) => [d.id, d.state, d.attempts])).toEqual([[id, 'pending', 0]]);
    const healthy = await receiver();
    hooks[0]!.url = healthy.url;
    const again = await rig({ dir, webhooks: hooks });
    const [attempt] = await again.attemptsReach(1);
    await again.dispatcher.flush();
    expect(attempt).toMatchObject({ deliveryId: id, attempt: 1, outcome: 'succeeded' });
    expect(healthy.requests().map((q) => q.headers['webhook-id'])).toEqual([deliveries[0]!.messageId]);
    expect(again.outbox.size).toBe(0);
  });

  it('a retry in flight: reopened pending with the tries before it, their retry time spent and error kept', async () => {
    let calls = 0;
    const flaky = await receiver({ respond: () => (++calls === 1 ? { status: 503 } : { delayMs: 60_000 }) });
    const hooks = [webhook({ url: flaky.url })];
    const t = await rig({ webhooks: hooks, dispatcher: { schedule: [0, 0] } });
    const { deliveries } = await t.dispatcher.dispatch(event());
    const id = deliveries[0]!.id;
    await until(() => expect(flaky.requests()).toHaveLength(2));
    await t.outbox.flush();
    const dir = await crashCopy(t.dir);

    expect((await recovered(dir)).find((d) => d.id === id)).toMatchObject({ state: 'pending', attempts: 1, lastError: 'HTTP 503' });
    const healthy = await receiver();
    hooks[0]!.url = healthy.url;
    const again = await rig({ dir, webhooks: hooks });
    const [attempt] = await again.attemptsReach(1);
    expect(attempt).toMatchObject({ deliveryId: id, attempt: 2, outcome: 'succeeded' });
    expect(healthy.requests()).toHaveLength(1);
  });

  it('a crash once the outcome is on disk: not sent again', async () => {
    const r = await receiver();
    const hooks = [webhook({ url: r.url })];
    const t = await rig({ webhooks: hooks });
    await t.dispatcher.dispatch(event());
    await t.attemptsReach(1);
    await t.dispatcher.flush();
    const dir = await crashCopy(t.dir);
    const again = await rig({ dir, webhooks: hooks });
    expect(again.outbox.size).toBe(0);
    await again.dispatcher.flush();
    expect(r.requests()).toHaveLength(1);
  });

  it('stop() aborting an attempt writes its count, not a state: the delivery stays pending on disk', async () => {
    const stuck = await receiver({ reply: { delayMs: 60_000 } });
    const hooks = [webhook({ url: stuck.url })];
    const t = await rig({ webhooks: hooks });
    const { deliveries } = await t.dispatcher.dispatch(event());
    await until(() => expect(stuck.requests()).toHaveLength(1));
    await t.dispatcher.stop({ timeoutMs: 0 });
    await t.outbox.flush();
    const mine = linesOf(await journalLines(t.dir), deliveries[0]!.id);
    expect(mine.map((l) => l.t)).toEqual(['enq', 'upd']);
    expect(mine[1]?.p).toMatchObject({ attempts: 1 });
    expect(mine[1]?.p?.state).toBeUndefined();
  });
});

describe('an outbox written by record version 3 (in_flight lines) still opens', () => {
  async function v3Folder(): Promise<string> {
    const dir = await tempDir();
    await cp(fileURLToPath(new URL('./fixtures/outbox-v3-inflight', import.meta.url)), dir, { recursive: true });
    return dir;
  }

  it('reads every record: in flight becomes pending with its attempt counted, settled ones are gone, devices and failures kept', async () => {
    const dir = await v3Folder();
    const outbox = await openOutbox({ dir });
    expect(outbox.list().map((d) => [d.id, d.state, d.attempts])).toEqual([
      ['dlv_inflight', 'pending', 1],
      ['dlv_retry', 'pending', 2],
      ['dlv_waiting', 'pending', 0],
    ]);
    expect(outbox.get('dlv_retry')).toMatchObject({ lastError: 'HTTP 503', retriedMs: 5_000 });
    expect(outbox.committedDevices().get('A1')).toMatchObject({ to: 'Online', seq: 1 });
    expect(outbox.failures(7)).toBe(1);
    expect(outbox.openReport).toMatchObject({ badLines: 0, tornTail: false, unreadableRecords: 0 });
    await outbox.close();
    // Rewritten in the current version at open.
    const header = (await readJsonLines<{ version?: number; count?: number }>(join(dir, SNAPSHOT_FILE))).records[0];
    expect(header).toMatchObject({ version: OUTBOX_RECORD_VERSION, count: 3 });
    expect(await readJsonLines(join(dir, journalFile(2)))).toMatchObject({ records: [] });
  });

  it('sends what it left, once each, the tries numbered after those it counted', async () => {
    const dir = await v3Folder();
    const r = await receiver();
    const t = await rig({ dir, webhooks: [webhook({ id: 7, url: r.url }), webhook({ id: 8, url: r.url })] });
    const attempts = await t.attemptsReach(3);
    await t.dispatcher.flush();
    expect(attempts.map((a) => [a.deliveryId, a.attempt, a.outcome]).sort()).toEqual([
      ['dlv_inflight', 2, 'succeeded'],
      ['dlv_retry', 3, 'succeeded'],
      ['dlv_waiting', 1, 'succeeded'],
    ]);
    expect(r.requests().map((q) => q.headers['webhook-id']).sort()).toEqual(['msg_dlv_inflight', 'msg_dlv_retry', 'msg_dlv_waiting']);
    expect(t.outbox.size).toBe(0);
  });
});
