// Pause state has one owner, webhooks.json; a pause or a resume is a write there, then the dispatcher
// hears of it. A crash between any two steps loses no callback and never sends a paused webhook's
// callbacks. A crash is modelled by the later step never running: the step before it is on disk (or
// not), then everything is opened again from the files.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { CARRIED_PAUSE_REASON, adoptCarriedPauses, holdCarried } from '../../main/services/carriedPauses';
import type { CarriedPausesStore } from '../../main/services/carriedPauses';
import { openOutbox } from '../../main/delivery/outbox';
import { WEBHOOKS_FILE, openWebhookStore } from '../../main/webhooks/store';
import { makeTempDir } from '../support/tmp';
import { ManualClock, event, fixedRandom, memoryLog, receiver, rig, tempDir, v2Folder, webhook } from '../support/delivery';

const until = (check: () => void, timeout = 10_000): Promise<void> => vi.waitFor(check, { timeout, interval: 5 });
const never = new Promise<never>(() => {});

/** webhooks.json with webhooks 7, 8 and 9 (the ids in the version 2 fixtures). */
async function storeDir(): Promise<string> {
  const dataDir = await makeTempDir();
  const { store } = await openWebhookStore({ dataDir, logger: () => {} });
  await store.ensureIdsAbove(6);
  for (const name of ['Seven', 'Eight', 'Nine']) {
    const made = await store.create({ name, url: `https://example.com/${name}`, events: { online: true, offline: true, utilizing: true, unplugged: true } });
    if (!made.ok) throw new Error(JSON.stringify(made));
  }
  await store.close();
  return dataDir;
}

async function pausedOnDisk(dataDir: string): Promise<Record<number, boolean>> {
  const file = JSON.parse(await readFile(join(dataDir, WEBHOOKS_FILE), 'utf8')) as { webhooks: { id: number; paused: boolean }[] };
  return Object.fromEntries(file.webhooks.map((w) => [w.id, w.paused]));
}

describe('a pause written by record version 2 moves into webhooks.json once, crash-safe', () => {
  it('crash after webhooks.json has the pause, before the outbox forgets it: the next open finishes the move without a second write', async () => {
    const dataDir = await storeDir();
    const outboxDir = await v2Folder('journal');
    const first = await openWebhookStore({ dataDir, logger: () => {} });
    const box = await openOutbox({ dir: outboxDir });
    // The process dies as soon as the store's write is on disk.
    const dying: CarriedPausesStore = { get: (id) => first.store.get(id), isDeleted: (id) => first.store.isDeleted(id), setPaused: async (...a) => (await first.store.setPaused(...a), never) };
    void adoptCarriedPauses(box, dying, () => {});
    await until(async () => expect((await pausedOnDisk(dataDir))[7]).toBe(true));

    const again = await openWebhookStore({ dataDir, logger: () => {} });
    const reopened = await openOutbox({ dir: outboxDir });
    expect(reopened.carriedPauses()).toEqual([7]);
    expect(again.store.get(7)).toMatchObject({ paused: true, pausedReason: CARRIED_PAUSE_REASON });
    const writes = vi.spyOn(again.store, 'setPaused');
    expect(await adoptCarriedPauses(reopened, again.store, () => {})).toEqual([]);
    expect(writes).not.toHaveBeenCalled();
    expect(reopened.carriedPauses()).toEqual([]);
    await reopened.close();
    expect((await openOutbox({ dir: outboxDir })).carriedPauses()).toEqual([]);
    expect(await pausedOnDisk(dataDir)).toEqual({ 7: true, 8: false, 9: false });
  });

  it('crash before webhooks.json has the pause: the outbox still carries it, the next open moves it', async () => {
    const dataDir = await storeDir();
    const outboxDir = await v2Folder('snapshot');
    const first = await openWebhookStore({ dataDir, logger: () => {} });
    const box = await openOutbox({ dir: outboxDir });
    let asked = false;
    const dying: CarriedPausesStore = { get: (id) => first.store.get(id), isDeleted: (id) => first.store.isDeleted(id), setPaused: () => ((asked = true), never) };
    void adoptCarriedPauses(box, dying, () => {});
    await until(() => expect(asked).toBe(true));
    await box.flush();

    const reopened = await openOutbox({ dir: outboxDir });
    expect(reopened.carriedPauses()).toEqual([7]);
    const again = await openWebhookStore({ dataDir, logger: () => {} });
    expect(again.store.get(7)?.paused).toBe(false);
    expect(await adoptCarriedPauses(reopened, again.store, () => {})).toEqual([]);
    expect(again.store.get(7)).toMatchObject({ paused: true, pausedReason: CARRIED_PAUSE_REASON });
    expect(reopened.carriedPauses()).toEqual([]);
    await reopened.close();
    await again.store.close();
  });

  it('webhooks.json cannot be written: the pause stays carried and the dispatcher’s list holds the webhook', async () => {
    const dataDir = await storeDir();
    const outboxDir = await v2Folder('journal');
    const opened = await openWebhookStore({ dataDir, logger: () => {} });
    const box = await openOutbox({ dir: outboxDir });
    const log = memoryLog();
    const failing: CarriedPausesStore = {
      get: (id) => opened.store.get(id),
      isDeleted: (id) => opened.store.isDeleted(id),
      setPaused: () => Promise.reject(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' })),
    };
    const kept = await adoptCarriedPauses(box, failing, log.logger);
    expect(kept).toEqual([7]);
    expect(box.carriedPauses()).toEqual([7]);
    expect(log.lines.some((l) => l.level === 'error' && /webhook 7 .*no space left/.test(l.message))).toBe(true);
    expect(holdCarried(opened.store.deliveryWebhooks(), new Set(kept)).map((w) => [w.id, w.paused])).toEqual([
      [7, true],
      [8, false],
      [9, false],
    ]);
    await box.close();
    expect((await openOutbox({ dir: outboxDir })).carriedPauses()).toEqual([7]);
    await opened.store.close();
  });

  it('after the move the dispatcher sends nothing of the paused webhook; one resume sends its backlog in order', async () => {
    const dataDir = await storeDir();
    const dir = await v2Folder('journal');
    const opened = await openWebhookStore({ dataDir, logger: () => {} });
    const box = await openOutbox({ dir });
    await adoptCarriedPauses(box, opened.store, () => {});
    await box.close();
    const r = await receiver();
    const paused = (id: number) => opened.store.get(id)?.paused === true;
    // Wall time of the fixtures is long past: everything not held is due at once.
    const t = await rig({ dir, webhooks: [7, 8, 9].map((id) => webhook({ id, url: r.url, paused: paused(id) })) });
    await t.attemptsReach(2);
    await t.dispatcher.flush();
    expect(t.attempts.map((a) => a.deliveryId).sort()).toEqual(['dlv_b1', 'dlv_c1']);
    await t.setPaused(7, false);
    await t.attemptsReach(4);
    // dlv_a1's retry planned before the pause (years ahead) does not hold it back.
    expect(t.attempts.slice(2).map((a) => a.deliveryId)).toEqual(['dlv_a1', 'dlv_a2']);
    expect(t.outbox.size).toBe(0);
    await opened.store.close();
  });
});

describe('pausing and resuming: a crash between the store and the dispatcher', () => {
  it('auto-pause: nothing starts while the store writes it; a crash before the write pauses again at the next failure, losing nothing', async () => {
    const clock = new ManualClock();
    const dir = await tempDir();
    const r = await receiver({ reply: { status: 500 } });
    const options = { clock, random: fixedRandom(0.5), schedule: [0, 1_000], pauseAfterFailures: 2, maxConcurrentPerWebhook: 1 };
    let asked = 0;
    const first = await rig({ dir, webhooks: [webhook({ url: r.url })], dispatcher: { ...options, pauseWebhook: () => ((asked++), never) } });
    await first.dispatcher.dispatch(event({ udid: 'A', seq: 1 }));
    await first.dispatcher.dispatch(event({ udid: 'B', seq: 1 }));
    await first.attemptsReach(2);
    await until(() => expect(asked).toBe(1));
    // B's lane was due, A's retry is due now too: neither starts while the pause is being written.
    clock.advance(5_000);
    await first.dispatcher.flush();
    expect(r.requests()).toHaveLength(2);
    expect(first.webhooks[0]?.paused).toBeUndefined();
    await first.dispatcher.stop({ timeoutMs: 0 });
    await first.outbox.close();
    await first.history.close();

    // The store never got the pause: the webhook sends again, and pauses at its next failed attempt.
    const second = await rig({ dir, webhooks: [webhook({ url: r.url })], dispatcher: options });
    expect(second.outbox.size).toBe(2);
    expect(second.dispatcher.consecutiveFailures(1)).toBe(2);
    await second.attemptsReach(1);
    await until(() => expect(second.paused).toEqual([1]));
    expect(second.webhooks[0]?.paused).toBe(true);
    expect(second.outbox.size).toBe(2);
  });

  it('pause: the store has it but the dispatcher never heard (crash): after a restart nothing is sent until a resume, which alone sends the backlog in order', async () => {
    const clock = new ManualClock();
    const dir = await tempDir();
    let healthy = false;
    const r = await receiver({ respond: () => ({ status: healthy ? 200 : 500 }) });
    const options = { clock, random: fixedRandom(0.5), schedule: [0, 60_000], pauseAfterFailures: 100 };
    const first = await rig({ dir, webhooks: [webhook({ url: r.url })], dispatcher: options });
    await first.dispatcher.dispatch(event({ udid: 'A', seq: 1 }));
    await first.dispatcher.dispatch(event({ udid: 'A', seq: 2 }));
    await first.attemptsReach(1);
    first.webhooks[0]!.paused = true; // the store's write; the change is never heard
    await first.dispatcher.stop({ timeoutMs: 0 });
    await first.outbox.close();
    await first.history.close();

    const second = await rig({ dir, webhooks: [webhook({ url: r.url, paused: true })], dispatcher: options });
    clock.advance(10 * 60_000);
    await second.dispatcher.flush();
    expect(r.requests()).toHaveLength(1);
    expect(clock.dues()).toEqual([]);
    healthy = true;
    await second.setPaused(1, false);
    await second.attemptsReach(2);
    expect(second.attempts.map((a) => [a.seq, a.outcome])).toEqual([
      [1, 'succeeded'],
      [2, 'succeeded'],
    ]);
  });

  it('resume after an auto-pause: the store has it but the dispatcher never heard (crash): the failures before the pause do not pause it again at once', async () => {
    const clock = new ManualClock();
    const dir = await tempDir();
    const r = await receiver({ reply: { status: 500 } });
    const options = { clock, random: fixedRandom(0.5), schedule: [0, 1_000], pauseAfterFailures: 2 };
    const first = await rig({ dir, webhooks: [webhook({ url: r.url })], dispatcher: options });
    await first.dispatcher.dispatch(event({ udid: 'A', seq: 1 }));
    await first.attemptsReach(1);
    await until(() => expect(clock.dues()).toHaveLength(1));
    clock.advance(1_000);
    await first.attemptsReach(2);
    await until(() => expect(first.paused).toEqual([1]));
    await first.dispatcher.flush();
    first.webhooks[0]!.paused = false; // the store's write; the change is never heard
    await first.dispatcher.stop({ timeoutMs: 0 });
    await first.outbox.close();
    await first.history.close();

    const second = await rig({ dir, webhooks: [webhook({ url: r.url })], dispatcher: options });
    expect(second.dispatcher.consecutiveFailures(1)).toBe(0);
    await until(() => expect(clock.dues().length).toBeGreaterThan(0));
    clock.advance(clock.dues()[0]! - clock.now());
    await second.attemptsReach(1);
    await second.dispatcher.flush();
    expect(second.paused).toEqual([]);
    expect(second.outbox.size).toBe(1);
  });

  it('resume: the store has it but the dispatcher never heard (crash): after a restart the backlog goes in order', async () => {
    const dir = await tempDir();
    const r = await receiver();
    const first = await rig({ dir, webhooks: [webhook({ url: r.url, paused: true })] });
    await first.dispatcher.dispatch(event({ udid: 'A', seq: 1 }));
    await first.dispatcher.dispatch(event({ udid: 'A', seq: 2 }));
    await first.dispatcher.flush();
    expect(r.requests()).toHaveLength(0);
    first.webhooks[0]!.paused = false; // the store's write; the change is never heard
    await first.dispatcher.stop({ timeoutMs: 0 });
    await first.outbox.close();
    await first.history.close();

    const second = await rig({ dir, webhooks: [webhook({ url: r.url, paused: false })] });
    await second.attemptsReach(2);
    expect(second.attempts.map((a) => [a.seq, a.outcome])).toEqual([
      [1, 'succeeded'],
      [2, 'succeeded'],
    ]);
  });
});
