// webhooks.json set aside as unreadable while callbacks wait: they stay held (never failed), and a
// person restores the webhooks from the set-aside file (with their ids) or discards the callbacks.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { openOutbox } from '../../main/delivery/outbox';
import { discardOrphans, orphanInfo, restoreOrphans } from '../../main/services/orphans';
import { WEBHOOKS_FILE, openWebhookStore } from '../../main/webhooks/store';
import { ManualClock, receiver, rig } from '../support/delivery';
import { makeTempDir } from '../support/tmp';
import { ONLINE_ONLY, createdId, recordingLogger } from '../support/storage';

describe('callbacks for webhooks that are no longer defined', () => {
  it('are held, counted; Restore brings back the set-aside webhooks with their ids; Discard ends the rest; ids are not reused', async () => {
    const dataDir = await makeTempDir();
    const clock = new ManualClock();
    const r = await receiver({ reply: { status: 503, headers: { 'retry-after': '3600' } } });
    const first = await openWebhookStore({ dataDir, logger: recordingLogger().log });
    const a = createdId(await first.store.create({ name: 'A', url: `${r.url}/a`, events: ONLINE_ONLY }));
    const b = createdId(await first.store.create({ name: 'B', url: `${r.url}/b`, events: ONLINE_ONLY }));
    await first.store.close();

    // The file becomes unreadable for DeviceHooks: webhook B's entry is broken (hand-edited).
    const doc = JSON.parse(await readFile(join(dataDir, WEBHOOKS_FILE), 'utf8')) as { webhooks: { id: number; url: unknown }[] };
    doc.webhooks[1]!.url = 42;
    await writeFile(join(dataDir, WEBHOOKS_FILE), JSON.stringify(doc));
    const opened = await openWebhookStore({ dataDir, logger: recordingLogger().log });
    expect(opened.recovered?.kind).toBe('invalid');
    const store = opened.store;
    expect(store.list()).toEqual([]);

    // Callbacks for both were waiting in the outbox (written before the file went bad).
    const earlier = await openOutbox({ dir: join(dataDir, 'outbox') });
    await earlier.enqueue({ webhookId: a, udid: 'U', seq: 1, event: { udid: 'U', name: 'Phone', to: 'Online', at: 1, seq: 1 }, createdAt: clock.now() });
    await earlier.enqueue({ webhookId: b, udid: 'U', seq: 1, event: { udid: 'U', name: 'Phone', to: 'Online', at: 1, seq: 1 }, createdAt: clock.now() });
    await earlier.close();
    const t = await rig({
      dir: join(dataDir, 'outbox'),
      webhooks: [],
      dispatcher: { clock, listWebhooks: () => store.forDispatcher(), isWebhookDeleted: (x) => store.isDeleted(x) },
    });
    await t.dispatcher.flush();
    const deps = { dataDir, webhooks: store, outbox: t.outbox, dispatcher: t.dispatcher };
    const info = await orphanInfo(deps);
    expect(info).toMatchObject({ count: 2, webhookIds: [a, b] });
    expect(info.setAside).toBe(join(dataDir, (await readdir(dataDir)).find((n) => n.startsWith(`${WEBHOOKS_FILE}.invalid-`))!));
    expect(t.attempts).toEqual([]);

    // Ids are never handed out again while they may come back.
    await store.ensureIdsAbove(Math.max(...t.outbox.list().map((d) => d.webhookId)));
    const c = createdId(await store.create({ name: 'C', url: `${r.url}/c`, events: ONLINE_ONLY }));
    expect(c).toBeGreaterThan(b);

    // Restore: A comes back with its id; B's entry cannot be read and is named.
    r.setReply({ status: 200 });
    const restored = await restoreOrphans(deps);
    expect(restored).toMatchObject({ ok: true, restored: 1, message: expect.stringMatching(new RegExp(`Restored A \\(${a}\\).*Not restored: ${b}: .*url`)) });
    expect(store.list().map((w) => [w.id, w.name])).toEqual([
      [a, 'A'],
      [c, 'C'],
    ]);
    await vi.waitFor(() => expect(r.requests().map((q) => q.path)).toEqual(['/a']), { timeout: 5_000 });
    expect(await orphanInfo(deps)).toMatchObject({ count: 1, webhookIds: [b] });

    // Discard: B's callback ends, recorded as not sent.
    expect(await discardOrphans(deps)).toBe(1);
    expect(t.outbox.size).toBe(0);
    expect(t.attempts.find((x) => x.webhookId === b)).toMatchObject({ result: 'skipped', errorLabel: 'Discarded — webhook no longer defined' });
    expect(await orphanInfo(deps)).toMatchObject({ count: 0 });
  });
});
