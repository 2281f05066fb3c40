// webhooks.json schema version 2: migration, sealed secrets and headers, reveal/rotate, enabled/paused,
// what the dispatcher gets, and export/import of the new fields.
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DeliveryWebhook } from '../../main/delivery/types';
import { createOsBox, plainBox } from '../../main/webhooks/secrets';
import { WEBHOOKS_FILE, WEBHOOKS_SCHEMA_VERSION, openWebhookStore } from '../../main/webhooks/store';
import { EXPORT_FORMAT } from '../../main/webhooks/importExport';
import type { OpenWebhookStoreOptions, Webhook, WebhookResult, WebhooksSnapshot } from '../../main/webhooks/store';
import { makeTempDir } from '../support/tmp';
import { FakeSafeStorage, FaultyJsonFile, countingRandom, recordingLogger } from '../support/storage';

const T0 = Date.UTC(2026, 10, 27, 9, 0, 0);
const on = { online: true, offline: false, utilizing: false, unplugged: false };
const hook = (name: string, extra: Record<string, unknown> = {}) => ({ name, url: `https://example.com/${encodeURIComponent(name)}`, events: on, ...extra });
const TOKEN = 'Bearer tok-3f9a1c7e-ONLY-IN-THE-KEYRING';

async function open(dataDir: string, extra: Partial<OpenWebhookStoreOptions> = {}) {
  const logger = recordingLogger();
  const opened = await openWebhookStore({ dataDir, logger: logger.log, now: () => T0, ...extra });
  return { ...opened, lines: logger.lines };
}

function created(result: WebhookResult): Webhook {
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result)}`);
  return result.webhook;
}

async function fileText(dir: string): Promise<string> {
  return readFile(join(dir, WEBHOOKS_FILE), 'utf-8');
}

function revealed(result: ReturnType<Awaited<ReturnType<typeof open>>['store']['reveal']>) {
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result)}`);
  return result;
}

describe('migration from schema version 1', () => {
  // Exactly what the version 1 store wrote.
  const v1 = {
    schemaVersion: 1,
    nextWebhookId: 5,
    org: { id: 7, name: 'QA Lab' },
    webhooks: [
      {
        id: 2,
        orgId: 7,
        name: 'Build farm',
        url: 'https://ci.example.com/hook',
        description: 'nightly',
        events: { online: true, offline: true, utilizing: false, unplugged: false },
        createdAt: '2026-01-02T03:04:05.000Z',
        updatedAt: '2026-01-03T03:04:05.000Z',
      },
      {
        id: 4,
        orgId: 7,
        name: 'Pager',
        url: 'http://127.0.0.1:9000/h',
        events: { online: false, offline: false, utilizing: false, unplugged: true },
        createdAt: '2026-02-02T00:00:00.000Z',
        updatedAt: '2026-02-02T00:00:00.000Z',
      },
    ],
  };
  const added = { enabled: true, paused: false, scope: { udids: [], platforms: [] }, headers: [] };

  it('opens a real v1 file as the current version: everything kept, the new fields filled in, a v1 backup beside it', async () => {
    const dir = await makeTempDir();
    const v1Text = JSON.stringify(v1, null, 2);
    await writeFile(join(dir, WEBHOOKS_FILE), v1Text);

    const { store, migrated, recovered } = await open(dir);
    expect(recovered).toBeUndefined();
    expect(migrated).toEqual({ from: 1, to: WEBHOOKS_SCHEMA_VERSION, backup: join(dir, 'webhooks.json.v1-backup-2026-11-27T09-00-00Z.json') });
    expect(await readFile(join(dir, 'webhooks.json.v1-backup-2026-11-27T09-00-00Z.json'), 'utf-8')).toBe(v1Text);

    const [a, b] = v1.webhooks;
    expect(store.org()).toEqual({ id: 7, name: 'QA Lab' });
    expect(store.list()).toEqual([
      { ...a, ...added, hasSecret: false },
      { ...b, ...added, hasSecret: false },
    ]);
    expect(store.reveal(2)).toEqual({ ok: true, headers: [] });

    // On disk: the current version, every field kept, the new ones written, no secret.
    const onDisk = JSON.parse(await fileText(dir));
    expect(onDisk).toEqual({ ...v1, schemaVersion: WEBHOOKS_SCHEMA_VERSION, webhooks: v1.webhooks.map((w) => ({ ...w, ...added })), deletedWebhookIds: [] });

    // The id counter carried over.
    expect(created(await store.create(hook('Next'))).id).toBe(5);
    await store.close();
    const again = await open(dir);
    expect(again.migrated).toBeUndefined();
    expect(again.store.list().map((w) => w.id)).toEqual([2, 4, 5]);
  });

  it('drops anything in a v1 webhook that looks like a secret (v1 never had one)', async () => {
    const dir = await makeTempDir();
    const w = { ...v1.webhooks[1], secret: 'whsec_hand-edited' };
    await writeFile(join(dir, WEBHOOKS_FILE), JSON.stringify({ ...v1, webhooks: [w] }));
    const { store, recovered } = await open(dir);
    expect(recovered).toBeUndefined();
    expect(store.get(4)?.hasSecret).toBe(false);
    expect(await fileText(dir)).not.toContain('whsec_');
  });

  it('a damaged v1 file is still moved aside after the upgrade step', async () => {
    const dir = await makeTempDir();
    await writeFile(join(dir, WEBHOOKS_FILE), JSON.stringify({ ...v1, webhooks: [{ ...v1.webhooks[0], events: 'all' }] }));
    const { store, recovered } = await open(dir);
    expect(recovered?.kind).toBe('invalid');
    expect(store.list()).toEqual([]);
  });
});

describe('secrets at rest', () => {
  it('with the OS keyring: neither the signing secret nor a header value is in webhooks.json', async () => {
    const dir = await makeTempDir();
    const { store } = await open(dir, { secretBox: createOsBox(new FakeSafeStorage()) });
    expect(store.secretsEncrypted()).toBe(true);
    const w = created(await store.create(hook('Signed', { signing: true, headers: [{ name: 'Authorization', value: TOKEN }] })));
    const { secret } = revealed(store.reveal(w.id));
    expect(secret).toMatch(/^whsec_/);

    const bytes = await readFile(join(dir, WEBHOOKS_FILE));
    const text = bytes.toString('latin1');
    expect(text).not.toContain('whsec_');
    expect(text).not.toContain(secret?.slice('whsec_'.length));
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain('tok-3f9a1c7e');
    const stored = JSON.parse(bytes.toString('utf-8')).webhooks[0];
    expect(stored.secret.scheme).toBe('os');
    expect(stored.headers).toEqual([{ name: 'Authorization', value: { scheme: 'os', data: expect.any(String) } }]);
  });

  it('with the plain box: values are stored as plain text under scheme "plain", and the store says so', async () => {
    const dir = await makeTempDir();
    const { store } = await open(dir); // default: plainBox
    expect(store.secretsEncrypted()).toBe(false);
    const w = created(await store.create(hook('Plain', { signing: true, headers: [{ name: 'X-Token', value: TOKEN }] })));
    const { secret } = revealed(store.reveal(w.id));
    const stored = JSON.parse(await fileText(dir)).webhooks[0];
    expect(stored.secret).toEqual({ scheme: 'plain', data: secret });
    expect(stored.headers).toEqual([{ name: 'X-Token', value: { scheme: 'plain', data: TOKEN } }]);
  });

  it('values written in plain are sealed once the keyring is there, and still read the same', async () => {
    const dir = await makeTempDir();
    const first = await open(dir, { secretBox: plainBox });
    const w = created(await first.store.create(hook('Early', { signing: true, headers: [{ name: 'X-Token', value: TOKEN }] })));
    const before = revealed(first.store.reveal(w.id));
    await first.store.close();
    expect(await fileText(dir)).toContain(TOKEN);

    const os = new FakeSafeStorage();
    const second = await open(dir, { secretBox: createOsBox(os) });
    const text = await fileText(dir);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain('whsec_');
    expect(text).not.toContain('"plain"');
    expect(revealed(second.store.reveal(w.id))).toEqual(before);
    expect(second.lines.some((l) => l.message.includes('sealed 2 secret value(s)'))).toBe(true);
  });

  it('values written while the keyring was away are sealed by the next write once it is back', async () => {
    const dir = await makeTempDir();
    const os = new FakeSafeStorage();
    os.available = false; // e.g. Linux before the keyring is unlocked
    const { store } = await open(dir, { secretBox: createOsBox(os) });
    created(await store.create(hook('A', { signing: true, headers: [{ name: 'X-Token', value: TOKEN }] })));
    expect(await fileText(dir)).toContain(TOKEN);
    os.available = true;
    await store.setOrg({ id: 2, name: 'Any change' });
    const text = await fileText(dir);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain('"plain"');
    expect(store.reveal(1)).toMatchObject({ ok: true, secret: expect.stringMatching(/^whsec_/), headers: [{ name: 'X-Token', value: TOKEN }] });
  });

  it.skipIf(process.platform === 'win32')('webhooks.json is readable by this OS account only', async () => {
    const dir = await makeTempDir();
    const { store } = await open(dir);
    created(await store.create(hook('A', { signing: true })));
    expect((await stat(join(dir, WEBHOOKS_FILE))).mode & 0o777).toBe(0o600);
  });

  it('an os value without the keyring: the store opens and lists, reveal answers a typed error, deliveries leave that webhook out', async () => {
    const dir = await makeTempDir();
    const os = new FakeSafeStorage();
    const first = await open(dir, { secretBox: createOsBox(os) });
    const signed = created(await first.store.create(hook('Signed', { signing: true })));
    const plainOne = created(await first.store.create(hook('Unsigned')));
    await first.store.close();

    os.available = false;
    const second = await open(dir, { secretBox: createOsBox(os) });
    expect(second.recovered).toBeUndefined();
    expect(second.store.secretsEncrypted()).toBe(false);
    expect(second.store.list().map((w) => [w.name, w.hasSecret])).toEqual([
      ['Signed', true],
      ['Unsigned', false],
    ]);
    const error = {
      ok: false,
      error: {
        code: 'secret_unavailable',
        message: expect.stringMatching(/^This webhook's signing secret was encrypted by your OS account's keyring, which is not available now\./),
      },
    };
    expect(second.store.reveal(signed.id)).toEqual(error);
    expect(second.store.deliveryWebhook(signed.id)).toEqual(error);
    expect(second.store.deliveryWebhooks().map((w) => w.id)).toEqual([plainOne.id]);
    expect(second.store.deliveryWebhooks().map((w) => w.id)).toEqual([plainOne.id]);
    // One warning, not one per call.
    expect(second.lines.filter((l) => l.level === 'warn' && l.message.includes(`webhook ${signed.id} is left out`))).toHaveLength(1);
    // A keyring that comes back (Linux: unlocked later) is used at once: the partial answer was not kept.
    os.available = true;
    expect(second.store.deliveryWebhooks().map((w) => [w.id, w.secret?.startsWith('whsec_')])).toEqual([
      [signed.id, true],
      [plainOne.id, undefined],
    ]);
    os.available = false;
    // Still editable: a change that does not touch the secret keeps it, sealed as it was.
    expect((await second.store.update(signed.id, hook('Signed', { description: 'edited' }))).ok).toBe(true);
    expect(second.store.get(signed.id)?.hasSecret).toBe(true);

    // The same for a header value, and with the plain box.
    const third = await open(dir, { secretBox: plainBox });
    expect(third.store.list()).toHaveLength(2);
    expect(third.store.reveal(signed.id)).toMatchObject({ ok: false, error: { code: 'secret_unavailable' } });
  });

  it("a header value the keyring cannot open names the header", async () => {
    const dir = await makeTempDir();
    const os = new FakeSafeStorage();
    const first = await open(dir, { secretBox: createOsBox(os) });
    const w = created(await first.store.create(hook('H', { headers: [{ name: 'X-Token', value: TOKEN }] })));
    await first.store.close();
    os.available = false;
    const second = await open(dir, { secretBox: createOsBox(os) });
    expect(second.store.reveal(w.id)).toEqual({
      ok: false,
      error: { code: 'secret_unavailable', message: expect.stringContaining(`The value of this webhook's header "X-Token" was encrypted by your OS account's keyring`) },
    });
  });

  it('a keyring that refuses to encrypt answers secret_unavailable and writes nothing', async () => {
    const dir = await makeTempDir();
    const os = new FakeSafeStorage();
    const { store } = await open(dir, { secretBox: createOsBox(os) });
    created(await store.create(hook('First')));
    const before = await fileText(dir);
    os.failEncrypt = true;
    const result = await store.create(hook('Second', { signing: true }));
    expect(result).toMatchObject({ ok: false, error: { code: 'secret_unavailable', message: expect.stringMatching(/^Nothing was saved: your OS account's keyring could not encrypt/) } });
    expect(await fileText(dir)).toBe(before);
    expect(store.list().map((w) => w.name)).toEqual(['First']);
  });
});

describe('signing, reveal and rotate', () => {
  it('generates whsec_ + base64 of 32 bytes from the injected random source, only when signing is turned on', async () => {
    const random = countingRandom(0x11);
    const { store } = await open(await makeTempDir(), { random });
    const unsigned = created(await store.create(hook('U')));
    expect(unsigned.hasSecret).toBe(false);
    expect(random.calls).toBe(0);
    const signed = created(await store.create(hook('S', { signing: true })));
    expect(signed.hasSecret).toBe(true);
    expect(store.reveal(signed.id)).toEqual({ ok: true, secret: `whsec_${Buffer.alloc(32, 0x11).toString('base64')}`, headers: [] });
  });

  it('update: signing absent keeps the secret, true keeps it too, false drops it, true again makes a new one', async () => {
    const { store } = await open(await makeTempDir(), { random: countingRandom(1) });
    const w = created(await store.create(hook('S', { signing: true })));
    const first = revealed(store.reveal(w.id)).secret;
    expect(created(await store.update(w.id, hook('S'))).hasSecret).toBe(true);
    expect(revealed(store.reveal(w.id)).secret).toBe(first);
    await store.update(w.id, hook('S', { signing: true }));
    expect(revealed(store.reveal(w.id)).secret).toBe(first);
    expect(created(await store.update(w.id, hook('S', { signing: false }))).hasSecret).toBe(false);
    expect(store.reveal(w.id)).toEqual({ ok: true, headers: [] });
    await store.update(w.id, hook('S', { signing: true }));
    const again = revealed(store.reveal(w.id)).secret;
    expect(again).toMatch(/^whsec_/);
    expect(again).not.toBe(first);
  });

  it('rotate answers a new secret once; reveal then has the new one and the old is gone from the file', async () => {
    const dir = await makeTempDir();
    const { store } = await open(dir, { random: countingRandom(1) });
    const w = created(await store.create(hook('S', { signing: true })));
    const old = revealed(store.reveal(w.id)).secret ?? '';
    const rotated = await store.rotateSecret(w.id);
    if (!rotated.ok) throw new Error('rotate');
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(old);
    expect(rotated.webhook).toMatchObject({ id: w.id, hasSecret: true });
    expect(rotated.webhook).not.toHaveProperty('secret');
    expect(revealed(store.reveal(w.id)).secret).toBe(rotated.secret);
    expect(await fileText(dir)).not.toContain(old);
  });

  it('rotating an unsigned webhook makes it sign; rotate and reveal of an unknown id are not_found', async () => {
    const { store } = await open(await makeTempDir());
    const w = created(await store.create(hook('U')));
    expect((await store.rotateSecret(w.id)).ok).toBe(true);
    expect(store.get(w.id)?.hasSecret).toBe(true);
    const notFound = { ok: false, error: { code: 'not_found', message: 'Webhook 99 no longer exists: it may have been deleted.' } };
    expect(await store.rotateSecret(99)).toEqual(notFound);
    expect(store.reveal(99)).toEqual(notFound);
  });

  it('list, get, results and change notifications never carry secret material', async () => {
    const { store } = await open(await makeTempDir(), { secretBox: createOsBox(new FakeSafeStorage()) });
    const seen: WebhooksSnapshot[] = [];
    store.onChange((s) => seen.push(s));
    const result = await store.create(hook('S', { signing: true, headers: [{ name: 'X-Token', value: TOKEN }] }));
    const w = created(result);
    const { secret } = revealed(store.reveal(w.id));
    const everything = JSON.stringify([result, store.list(), store.get(w.id), seen]);
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain('"scheme"');
    expect(w.headers).toEqual([{ name: 'X-Token' }]);
    expect(w.hasSecret).toBe(true);
  });

  it('update replaces scope and headers when given, keeps them when left out, clears them with empty lists', async () => {
    const { store } = await open(await makeTempDir());
    const w = created(
      await store.create(hook('S', { scope: { udids: ['emulator-5554'], platforms: ['android'] }, headers: [{ name: 'X-A', value: 'a' }] })),
    );
    expect(w.scope).toEqual({ udids: ['emulator-5554'], platforms: ['android'] });
    await store.update(w.id, hook('S', { description: 'form without the new fields' }));
    expect(store.get(w.id)).toMatchObject({ scope: { udids: ['emulator-5554'], platforms: ['android'] }, headers: [{ name: 'X-A' }] });
    await store.update(w.id, hook('S', { headers: [{ name: 'X-B', value: 'b' }], scope: { platforms: ['ios'] } }));
    expect(store.reveal(w.id)).toEqual({ ok: true, headers: [{ name: 'X-B', value: 'b' }] });
    expect(store.get(w.id)?.scope).toEqual({ udids: [], platforms: ['ios'] });
    await store.update(w.id, hook('S', { headers: [], scope: {} }));
    expect(store.get(w.id)).toMatchObject({ scope: { udids: [], platforms: [] }, headers: [] });
  });

  it('refuses bad new fields with field errors and writes nothing', async () => {
    const dir = await makeTempDir();
    const { store } = await open(dir);
    expect(await store.create(hook('S', { headers: [{ name: 'Content-Type', value: 'text/plain' }], scope: { platforms: ['windows'] } }))).toEqual({
      ok: false,
      fieldErrors: {
        'headers.0.name': 'The header "Content-Type" cannot be set here: DeviceHooks sets Content-Type itself',
        scope: 'Unknown platform "windows": choose android, ios or other',
      },
    });
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('enabled and paused', () => {
  it('disabling stores the reason, enabling clears it; both persist', async () => {
    const dir = await makeTempDir();
    const { store } = await open(dir);
    const w = created(await store.create(hook('A')));
    const reason = 'The receiver answered 410 Gone on 2026-11-27 10:15 UTC';
    expect(created(await store.setEnabled(w.id, false, `  ${reason} `))).toMatchObject({ enabled: false, disabledReason: reason });
    await store.close();
    const again = await open(dir);
    expect(again.store.get(w.id)).toMatchObject({ enabled: false, disabledReason: reason });
    const enabled = created(await again.store.setEnabled(w.id, true, 'ignored when enabling'));
    expect(enabled.enabled).toBe(true);
    expect(enabled).not.toHaveProperty('disabledReason');
  });

  it('pausing stores the reason, resuming clears it; pausing does not disable', async () => {
    const { store } = await open(await makeTempDir());
    const w = created(await store.create(hook('A')));
    expect(created(await store.setPaused(w.id, true, 'Too many failures in a row'))).toMatchObject({ enabled: true, paused: true, pausedReason: 'Too many failures in a row' });
    const resumed = created(await store.setPaused(w.id, false));
    expect(resumed.paused).toBe(false);
    expect(resumed).not.toHaveProperty('pausedReason');
    expect(created(await store.setPaused(w.id, true))).not.toHaveProperty('pausedReason');
  });

  it('saying the same thing twice does not write again; a new reason does', async () => {
    const dir = await makeTempDir();
    const adapter = new FaultyJsonFile(join(dir, WEBHOOKS_FILE));
    const { store } = await open(dir, { adapter });
    const w = created(await store.create(hook('A')));
    await store.setPaused(w.id, true, 'x');
    const writes = adapter.writes;
    expect(created(await store.setPaused(w.id, true, 'x')).paused).toBe(true);
    expect(adapter.writes).toBe(writes);
    await store.setPaused(w.id, true, 'y');
    expect(adapter.writes).toBe(writes + 1);
    expect(store.get(w.id)?.pausedReason).toBe('y');
  });

  it('refuses a reason that is too long or on several lines, and an unknown id', async () => {
    const { store } = await open(await makeTempDir());
    const w = created(await store.create(hook('A')));
    expect(created(await store.setEnabled(w.id, false, 'r'.repeat(512))).disabledReason).toHaveLength(512);
    expect(await store.setEnabled(w.id, false, 'r'.repeat(513))).toEqual({ ok: false, fieldErrors: { reason: 'Reason must be at most 512 characters (this one has 513)' } });
    expect(await store.setPaused(w.id, true, 'two\nlines')).toEqual({ ok: false, fieldErrors: { reason: 'Reason cannot contain line breaks or control characters' } });
    expect(await store.setPaused(42, true)).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });
});

describe('deliveryWebhooks: what the dispatcher gets', () => {
  it('every webhook with its secret and header values opened, flags and scope included', async () => {
    const { store } = await open(await makeTempDir(), { secretBox: createOsBox(new FakeSafeStorage()), random: countingRandom(7) });
    await store.setOrg({ id: 3, name: 'Lab' });
    const a = created(
      await store.create(
        hook('A', { signing: true, scope: { udids: ['R58M123'], platforms: ['android'] }, headers: [{ name: 'Authorization', value: TOKEN }, { name: 'X-Env', value: 'qa' }] }),
      ),
    );
    const b = created(await store.create(hook('B')));
    await store.setEnabled(b.id, false, 'Turned off');
    await store.setPaused(a.id, true, 'Waiting');

    // Type-level check: the result is a delivery/types.ts DeliveryWebhook.
    const list: DeliveryWebhook[] = store.deliveryWebhooks();
    expect(list).toEqual([
      {
        id: a.id,
        orgId: 3,
        name: 'A',
        url: 'https://example.com/A',
        events: on,
        enabled: true,
        paused: true,
        scope: { udids: ['R58M123'], platforms: ['android'] },
        secret: `whsec_${Buffer.alloc(32, 7).toString('base64')}`,
        headers: { Authorization: TOKEN, 'X-Env': 'qa' },
      },
      { id: b.id, orgId: 3, name: 'B', url: 'https://example.com/B', events: on, enabled: false, paused: false, scope: { udids: [], platforms: [] }, headers: {} },
    ]);
    expect(store.deliveryWebhook(b.id)).toEqual({ ok: true, webhook: list[1] });
    expect(store.deliveryWebhook(99)).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });

  it('hands out a frozen list no caller can change for the others, and follows changes', async () => {
    const { store } = await open(await makeTempDir());
    const w = created(await store.create(hook('A', { headers: [{ name: 'X-A', value: '1' }] })));
    const first = store.deliveryWebhooks();
    const firstHeaders = first[0]?.headers ?? {};
    expect(() => {
      firstHeaders['X-A'] = 'tampered';
    }).toThrow(TypeError);
    expect(() => first.pop()).toThrow(TypeError);
    expect(store.deliveryWebhooks()[0]?.headers).toEqual({ 'X-A': '1' });
    // The same list until something changes: no copy per event.
    expect(store.deliveryWebhooks()).toBe(first);
    await store.update(w.id, hook('A', { headers: [{ name: 'X-A', value: '2' }] }));
    expect(store.deliveryWebhooks()[0]?.headers).toEqual({ 'X-A': '2' });
  });

  it('a header named __proto__ is a header, not a prototype', async () => {
    const { store } = await open(await makeTempDir());
    created(await store.create(hook('A', { headers: [{ name: '__proto__', value: 'x' }] })));
    const headers = store.deliveryWebhooks()[0]?.headers ?? {};
    expect(Object.keys(headers)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(headers)).toBe(Object.prototype);
  });
});

describe('export and import of the new fields', () => {
  async function signedSetup() {
    const dir = await makeTempDir();
    const { store } = await open(dir, { secretBox: createOsBox(new FakeSafeStorage()) });
    const w = created(
      await store.create(hook('A', { signing: true, scope: { udids: ['R58M123'], platforms: ['android'] }, headers: [{ name: 'X-Token', value: TOKEN }] })),
    );
    await store.setEnabled(w.id, false, 'Off for now');
    return { store, w, secret: revealed(store.reveal(w.id)).secret ?? '' };
  }

  it('exports scope, header names, enabled and signing, never the secret or a header value', async () => {
    const { store, secret } = await signedSetup();
    const text = store.exportJson();
    expect(text).not.toContain(secret);
    expect(text).not.toContain('whsec_');
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain('Off for now');
    expect(JSON.parse(text)).toMatchObject({
      format: EXPORT_FORMAT,
      version: 2,
      webhooks: [{ name: 'A', enabled: false, scope: { udids: ['R58M123'], platforms: ['android'] }, headers: [{ name: 'X-Token' }], signing: true }],
    });
    expect(JSON.parse(text).webhooks[0].headers[0]).not.toHaveProperty('value');
  });

  it('importing that export as is is refused: the header has no value, and the message says why', async () => {
    const { store } = await signedSetup();
    const dir = await makeTempDir();
    const target = await open(dir);
    expect(await target.store.importJson(store.exportJson())).toEqual({
      ok: false,
      problems: [
        {
          index: 0,
          field: 'headers.0.value',
          message: 'Header "X-Token" has no value: exports leave header values out. Write the value into the file, or remove the header and add it after the import',
        },
      ],
    });
    expect(target.store.list()).toEqual([]);
    expect(await readdir(dir)).toEqual([]);
  });

  it('with the value written in, it imports scope, headers and enabled; a signed webhook gets a new secret', async () => {
    const { store, secret } = await signedSetup();
    const doc = JSON.parse(store.exportJson());
    doc.webhooks[0].headers[0].value = TOKEN;
    const target = await open(await makeTempDir());
    const result = await target.store.importJson(JSON.stringify(doc));
    if (!result.ok || !('imported' in result)) throw new Error(JSON.stringify(result));
    const [imported] = result.imported;
    expect(imported).toMatchObject({ name: 'A', enabled: false, paused: false, scope: { udids: ['R58M123'], platforms: ['android'] }, headers: [{ name: 'X-Token' }], hasSecret: true });
    expect(imported).not.toHaveProperty('disabledReason');
    const opened = revealed(target.store.reveal(imported?.id ?? 0));
    expect(opened.headers).toEqual([{ name: 'X-Token', value: TOKEN }]);
    expect(opened.secret).toMatch(/^whsec_/);
    expect(opened.secret).not.toBe(secret);
  });

  it('all or none with the new fields: every bad entry listed, nothing imported', async () => {
    const dir = await makeTempDir();
    const { store } = await open(dir);
    created(await store.create(hook('Keep')));
    const before = await fileText(dir);
    const result = await store.importJson(
      JSON.stringify({
        format: EXPORT_FORMAT,
        version: 2,
        webhooks: [
          hook('Fine', { headers: [{ name: 'X-A', value: '1' }], scope: { udids: ['a'] } }),
          hook('Bad scope', { scope: { platforms: ['windows'] } }),
          hook('Bad header', { headers: [{ name: 'webhook-id', value: '1' }, { name: 'X-B', value: 'a\r\nb' }] }),
          hook('Bad flags', { enabled: 'yes', signing: 'no' }),
        ],
      }),
    );
    expect(result).toEqual({
      ok: false,
      problems: [
        { index: 1, field: 'scope', message: 'Unknown platform "windows": choose android, ios or other' },
        { index: 2, field: 'headers.0.name', message: 'The header "webhook-id" cannot be set here: names starting with webhook- are reserved for Standard Webhooks signing' },
        { index: 2, field: 'headers.1.value', message: 'The value of the header "X-B" cannot contain line breaks or NUL characters' },
        { index: 3, field: 'signing', message: 'Signing must be on or off' },
        { index: 3, field: 'enabled', message: 'Enabled must be on or off' },
      ],
    });
    expect(store.list().map((w) => w.name)).toEqual(['Keep']);
    expect(await fileText(dir)).toBe(before);
  });

  it('a version 1 export still imports, with the defaults for the new fields', async () => {
    const { store } = await open(await makeTempDir());
    const result = await store.importJson(JSON.stringify({ format: EXPORT_FORMAT, version: 1, webhooks: [hook('Old')] }));
    expect(result).toMatchObject({ ok: true, imported: [{ name: 'Old', enabled: true, paused: false, scope: { udids: [], platforms: [] }, headers: [], hasSecret: false }] });
  });
});
