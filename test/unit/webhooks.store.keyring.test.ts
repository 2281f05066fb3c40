// Editing a webhook while the OS keyring is locked (or cannot open a value) never erases what the edit
// dialog cannot show, and never stores a new secret in plain text behind the user's back.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createOsBox } from '../../main/webhooks/secrets';
import { WEBHOOKS_FILE, openWebhookStore } from '../../main/webhooks/store';
import type { Webhook, WebhookResult } from '../../main/webhooks/store';
import { makeTempDir } from '../support/tmp';
import { FakeSafeStorage, recordingLogger } from '../support/storage';

const on = { online: true, offline: false, utilizing: false, unplugged: false };
const TOKEN = 'Bearer tok-locked-keyring';
const LOCKED = 'The OS keyring is locked; unlock it to change secrets';

async function openWith(os: FakeSafeStorage) {
  const dataDir = await makeTempDir();
  const { store } = await openWebhookStore({ dataDir, logger: recordingLogger().log, now: () => 0, secretBox: createOsBox(os) });
  return { store, dataDir };
}

function created(result: WebhookResult): Webhook {
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result)}`);
  return result.webhook;
}

/** A signed webhook with one header, sealed by the keyring; then the keyring locks. */
async function lockedAfterSaving() {
  const os = new FakeSafeStorage();
  const { store, dataDir } = await openWith(os);
  const w = created(await store.create({ name: 'Lab', url: 'https://example.com/h', events: on, signing: true, headers: [{ name: 'Authorization', value: TOKEN }] }));
  const before = JSON.parse(await readFile(join(dataDir, WEBHOOKS_FILE), 'utf8')) as { webhooks: { secret: unknown; headers: unknown }[] };
  os.available = false;
  return { os, store, dataDir, w, stored: before.webhooks[0] };
}

describe('editing under a locked keyring', () => {
  it('says per field what cannot be read', async () => {
    const { store, w } = await lockedAfterSaving();
    expect(store.keyringLocked()).toBe(true);
    expect(store.revealForEdit(w.id)).toEqual({
      ok: true,
      secretUnreadable: expect.stringMatching(/keyring/),
      headers: [{ name: 'Authorization', unreadable: expect.stringMatching(/keyring/) }],
    });
  });

  it('keeps the secret and a kept header value on save, byte for byte', async () => {
    const { os, store, dataDir, w, stored } = await lockedAfterSaving();
    const saved = await store.update(w.id, {
      name: 'Lab renamed',
      url: 'https://example.com/h',
      events: on,
      signing: true,
      headers: [{ name: 'Authorization', keepValueOf: 'Authorization' }],
    });
    expect(saved).toMatchObject({ ok: true, webhook: { name: 'Lab renamed', hasSecret: true, headers: [{ name: 'Authorization' }] } });
    const after = JSON.parse(await readFile(join(dataDir, WEBHOOKS_FILE), 'utf8')) as { webhooks: { secret: unknown; headers: unknown }[] };
    expect(after.webhooks[0]?.secret).toEqual(stored?.secret);
    expect(after.webhooks[0]?.headers).toEqual(stored?.headers);
    os.available = true;
    expect(store.deliveryWebhook(w.id)).toMatchObject({ ok: true, webhook: { secret: expect.stringMatching(/^whsec_/), headers: { Authorization: TOKEN } } });
  });

  it('refuses a new header value, a new secret and a rotation, next to the field, and stores nothing', async () => {
    const { store, dataDir, w } = await lockedAfterSaving();
    const before = await readFile(join(dataDir, WEBHOOKS_FILE), 'utf8');
    const base = { name: 'Lab', url: 'https://example.com/h', events: on, signing: true };
    expect(await store.update(w.id, { ...base, headers: [{ name: 'Authorization', value: 'Bearer new' }] })).toEqual({
      ok: false,
      fieldErrors: { 'headers.0.value': LOCKED },
    });
    expect(await store.create({ name: 'Second', url: 'https://example.com/2', events: on, signing: true })).toEqual({ ok: false, fieldErrors: { signing: LOCKED } });
    expect(await store.create({ name: 'Third', url: 'https://example.com/3', events: on, headers: [{ name: 'X-T', value: 'v' }] })).toEqual({
      ok: false,
      fieldErrors: { 'headers.0.value': LOCKED },
    });
    expect(await store.rotateSecret(w.id)).toEqual({ ok: false, error: { code: 'secret_unavailable', message: LOCKED } });
    expect(await readFile(join(dataDir, WEBHOOKS_FILE), 'utf8')).toBe(before);
  });

  it('a header kept from a value that no longer exists, or kept on create, asks for a value', async () => {
    const { store, w } = await lockedAfterSaving();
    const base = { name: 'Lab', url: 'https://example.com/h', events: on };
    expect(await store.update(w.id, { ...base, headers: [{ name: 'X-Other', keepValueOf: 'X-Other' }] })).toEqual({
      ok: false,
      fieldErrors: { 'headers.0.value': 'Enter a value for the header "X-Other"' },
    });
    expect(await store.create({ ...base, name: 'New', headers: [{ name: 'X-New', keepValueOf: 'X-New' }] })).toEqual({
      ok: false,
      fieldErrors: { 'headers.0.value': 'Enter a value for the header "X-New"' },
    });
  });
});

describe('header values', () => {
  it('an empty typed value is refused; a kept one is not empty', async () => {
    const { store } = await openWith(new FakeSafeStorage());
    expect(await store.create({ name: 'E', url: 'https://example.com/e', events: on, headers: [{ name: 'X-Empty', value: '  ' }] })).toEqual({
      ok: false,
      fieldErrors: { 'headers.0.value': 'Enter a value for the header "X-Empty"' },
    });
    const w = created(await store.create({ name: 'K', url: 'https://example.com/k', events: on, headers: [{ name: 'X-K', value: 'v1' }] }));
    const kept = await store.update(w.id, { name: 'K', url: 'https://example.com/k', events: on, headers: [{ name: 'X-K', keepValueOf: 'X-K' }] });
    expect(kept.ok).toBe(true);
    expect(store.reveal(w.id)).toEqual({ ok: true, headers: [{ name: 'X-K', value: 'v1' }] });
  });

  it('with the keyring unlocked, a value that cannot be opened here can be replaced', async () => {
    const os = new FakeSafeStorage();
    const { store } = await openWith(os);
    const w = created(await store.create({ name: 'R', url: 'https://example.com/r', events: on, headers: [{ name: 'X-R', value: 'old' }] }));
    os.available = false;
    expect((await store.update(w.id, { name: 'R', url: 'https://example.com/r', events: on, headers: [{ name: 'X-R', value: 'new' }] })).ok).toBe(false);
    os.available = true;
    expect((await store.update(w.id, { name: 'R', url: 'https://example.com/r', events: on, headers: [{ name: 'X-R', value: 'new' }] })).ok).toBe(true);
    expect(store.reveal(w.id)).toEqual({ ok: true, headers: [{ name: 'X-R', value: 'new' }] });
  });
});
