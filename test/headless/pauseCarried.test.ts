// A data folder written by the version whose outbox kept pause state (record version 2): webhook 7 is
// paused only in the outbox journal (the app died before webhooks.json had it). The built runner must
// hold its callbacks, move the pause into webhooks.json once, and send them, in order, after one resume.
import { readFileSync } from 'node:fs';
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CARRIED_PAUSE_REASON } from '../../main/services/carriedPauses';
import { WEBHOOKS_FILE, openWebhookStore } from '../../main/webhooks/store';
import { STARTED, receiver, repoRoot, runHeadless, startFakes, stopAll, tempDataDir } from './runner';

afterEach(stopAll);

const fixture = join(repoRoot, 'test/delivery/fixtures/outbox-v2-paused/journal');

describe('headless runner on an outbox written by record version 2', () => {
  it('keeps a pause found only in the journal, moves it into webhooks.json, and sends the backlog in order after `webhooks resume`', async () => {
    const dataDir = await tempDataDir();
    const fakes = await startFakes();
    const hooks = await receiver();
    const { store } = await openWebhookStore({ dataDir, logger: () => {} });
    await store.ensureIdsAbove(6);
    for (const name of ['Seven', 'Eight', 'Nine']) {
      const made = await store.create({ name, url: `${hooks.url}/${name}`, events: { online: true, offline: true, utilizing: true, unplugged: true } });
      expect(made.ok).toBe(true);
    }
    await store.close();
    await cp(fixture, join(dataDir, 'delivery', 'outbox'), { recursive: true });

    const runner = runHeadless(dataDir, fakes, ['--no-local-api']);
    await runner.waitFor(STARTED);
    await expect.poll(() => hooks.requests().map((r) => r.headers['webhook-id']).sort(), { timeout: 15_000 }).toEqual(['msg_b1', 'msg_c1']);
    const saved = JSON.parse(readFileSync(join(dataDir, WEBHOOKS_FILE), 'utf8')) as { webhooks: { id: number; paused: boolean; pausedReason?: string }[] };
    expect(saved.webhooks.map((w) => [w.id, w.paused, w.pausedReason])).toEqual([
      [7, true, CARRIED_PAUSE_REASON],
      [8, false, undefined],
      [9, false, undefined],
    ]);
    await new Promise((r) => setTimeout(r, 500));
    expect(hooks.requests()).toHaveLength(2);

    const resume = runHeadless(dataDir, fakes, ['webhooks', 'resume', '7']);
    expect(await resume.exited).toEqual({ code: 0, signal: null });
    await expect.poll(() => hooks.requests().length, { timeout: 15_000 }).toBe(4);
    expect(hooks.requests().slice(2).map((r) => [r.path, r.headers['webhook-id']])).toEqual([
      ['/Seven', 'msg_a1'],
      ['/Seven', 'msg_a2'],
    ]);
    expect(await runner.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  });
});
