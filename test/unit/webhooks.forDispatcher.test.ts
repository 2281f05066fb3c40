// A webhook whose secret cannot be opened now (the OS keyring is locked) stays in what the dispatcher
// sees, marked unavailable and without secret or headers: its callbacks queue and wait.
import { describe, expect, it } from 'vitest';
import { createOsBox } from '../../main/webhooks/secrets';
import { openWebhookStore } from '../../main/webhooks/store';
import { makeTempDir } from '../support/tmp';
import { FakeSafeStorage, ONLINE_ONLY, createdId, recordingLogger } from '../support/storage';

describe('webhook store: forDispatcher()', () => {
  it('lists a webhook whose secret cannot be opened as unavailable, without secret or headers; back when the keyring is', async () => {
    const dir = await makeTempDir();
    const os = new FakeSafeStorage();
    const { store } = await openWebhookStore({ dataDir: dir, logger: recordingLogger().log, secretBox: createOsBox(os) });
    const signed = createdId(await store.create({ name: 'Signed', url: 'https://e.test/s', events: ONLINE_ONLY, signing: true, headers: [{ name: 'X-Token', value: 't' }] }));
    const plain = createdId(await store.create({ name: 'Plain', url: 'https://e.test/p', events: ONLINE_ONLY }));
    expect(store.forDispatcher().map((w) => [w.id, w.unavailable])).toEqual([
      [signed, undefined],
      [plain, undefined],
    ]);
    // Everything opens: the very same (cached) list as deliveryWebhooks().
    expect(store.forDispatcher()).toBe(store.deliveryWebhooks());

    await store.close();

    // The next start, before the OS keyring is unlocked.
    os.available = false;
    const reopened = await openWebhookStore({ dataDir: dir, logger: recordingLogger().log, secretBox: createOsBox(os) });
    const waiting = reopened.store.forDispatcher();
    expect(waiting.map((w) => w.id)).toEqual([signed, plain]);
    expect(waiting[0]).toMatchObject({ id: signed, name: 'Signed', headers: {}, unavailable: expect.stringMatching(/keyring/) });
    expect(waiting[0]?.secret).toBeUndefined();
    expect(waiting[1]?.unavailable).toBeUndefined();

    os.available = true;
    const back = reopened.store.forDispatcher();
    expect(back.map((w) => [w.id, w.unavailable, w.secret?.startsWith('whsec_'), w.headers])).toEqual([
      [signed, undefined, true, { 'X-Token': 't' }],
      [plain, undefined, undefined, {}],
    ]);
  });
});
