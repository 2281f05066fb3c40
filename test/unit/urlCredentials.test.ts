// A URL's userinfo (https://user:secret@host/hook) is a secret: split off and sealed in webhooks.json,
// masked in every view, left out of exports with a placeholder, redacted in history and logs.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { joinUrlCredentials, redactUrl, splitUrlCredentials, URL_CREDENTIALS_MASK } from '../../main/webhooks/urlCredentials';
import { createOsBox } from '../../main/webhooks/secrets';
import { openWebhookStore, WEBHOOKS_FILE, WEBHOOKS_SCHEMA_VERSION } from '../../main/webhooks/store';
import { migrateWebhooksV2toV3 } from '../../main/webhooks/webhooksFile';
import type { WebhookResult } from '../../main/webhooks/store';
import { event, receiver, rig, webhook as deliveryHook } from '../support/delivery';
import { makeTempDir } from '../support/tmp';
import { FakeSafeStorage, recordingLogger } from '../support/storage';

const on = { online: true, offline: false, utilizing: false, unplugged: false };
const SECRET_URL = 'https://lab-user:s3cret-PASS@hooks.example.com:8443/path/hook?x=1#frag';

describe('URL credentials, as text', () => {
  it('splits the userinfo off and joins it back exactly', () => {
    expect(splitUrlCredentials(SECRET_URL)).toEqual({ url: 'https://hooks.example.com:8443/path/hook?x=1#frag', credentials: 'lab-user:s3cret-PASS' });
    expect(joinUrlCredentials('https://hooks.example.com:8443/path/hook?x=1#frag', 'lab-user:s3cret-PASS')).toBe(SECRET_URL);
    expect(splitUrlCredentials('https://tok%40en@h.example/')).toEqual({ url: 'https://h.example/', credentials: 'tok%40en' });
    // No userinfo: the URL is left exactly as it was (no normalising).
    expect(splitUrlCredentials('https://H.example')).toEqual({ url: 'https://H.example' });
    expect(splitUrlCredentials('https://h.example/a@b')).toEqual({ url: 'https://h.example/a@b' });
  });

  it('redacts the userinfo for history, logs and views', () => {
    expect(redactUrl(SECRET_URL)).toBe(`https://${URL_CREDENTIALS_MASK}@hooks.example.com:8443/path/hook?x=1#frag`);
    expect(redactUrl(SECRET_URL)).not.toContain('s3cret');
    expect(redactUrl('http://127.0.0.1:9/hooks')).toBe('http://127.0.0.1:9/hooks');
    expect(redactUrl('not a url at all')).toBe('not a url at all');
  });
});

describe('webhooks.json version 3: URL credentials sealed', () => {
  it('the migration from version 2 is a small pure function: userinfo moves into a plain sealed value', () => {
    const v2 = { schemaVersion: 2, nextWebhookId: 3, org: { id: 1, name: '' }, webhooks: [{ id: 1, url: SECRET_URL }, { id: 2, url: 'https://plain.example/x' }] };
    const before = structuredClone(v2);
    const v3 = migrateWebhooksV2toV3(v2) as typeof v2 & { webhooks: { url: string; urlCredentials?: unknown }[] };
    expect(v2).toEqual(before);
    expect(v3.webhooks[0]).toEqual({ id: 1, url: 'https://hooks.example.com:8443/path/hook?x=1#frag', urlCredentials: { scheme: 'plain', data: 'lab-user:s3cret-PASS' } });
    expect(v3.webhooks[1]).toEqual({ id: 2, url: 'https://plain.example/x' });
    expect(migrateWebhooksV2toV3('junk')).toBe('junk');
  });

  it('sealed like header values, masked in every view, whole only for delivery and reveal, left out of exports', async () => {
    const dir = await makeTempDir();
    const logger = recordingLogger();
    const { store } = await openWebhookStore({ dataDir: dir, logger: logger.log, secretBox: createOsBox(new FakeSafeStorage()) });
    const made = (await store.create({ name: 'Basic auth', url: SECRET_URL, events: on })) as Extract<WebhookResult, { ok: true }>;
    expect(made.ok).toBe(true);
    const file = await readFile(join(dir, WEBHOOKS_FILE), 'utf8');
    expect(file).not.toContain('s3cret-PASS');
    expect(file).not.toContain('lab-user');
    expect(JSON.parse(file).schemaVersion).toBe(WEBHOOKS_SCHEMA_VERSION);

    const masked = `https://${URL_CREDENTIALS_MASK}@hooks.example.com:8443/path/hook?x=1#frag`;
    expect(made.webhook.url).toBe(masked);
    expect(store.list()[0]?.url).toBe(masked);
    expect(store.deliveryWebhooks()[0]?.url).toBe(SECRET_URL);
    expect(store.reveal(made.webhook.id)).toMatchObject({ ok: true, url: SECRET_URL });

    const exported = store.exportJson();
    expect(exported).not.toContain('s3cret-PASS');
    expect(exported).not.toContain('lab-user');
    const entry = JSON.parse(exported).webhooks[0];
    expect(entry.url).toBe('https://hooks.example.com:8443/path/hook?x=1#frag');
    expect(entry.urlCredentials).toMatch(/removed from this export/i);

    // Saving the form with the masked URL keeps the credentials; a URL without them removes them.
    await store.update(made.webhook.id, { name: 'Basic auth', url: masked, events: on });
    expect(store.deliveryWebhooks()[0]?.url).toBe(SECRET_URL);
    await store.update(made.webhook.id, { name: 'Basic auth', url: 'https://hooks.example.com/other', events: on });
    expect(store.deliveryWebhooks()[0]?.url).toBe('https://hooks.example.com/other');
    expect(store.list()[0]?.url).toBe('https://hooks.example.com/other');
    await store.close();
  });

  it('an existing version 2 file with a userinfo URL opens, and the credentials are sealed at once', async () => {
    const dir = await makeTempDir();
    const stamp = '2026-11-27T09:00:00.000Z';
    const v2 = {
      schemaVersion: 2,
      nextWebhookId: 2,
      org: { id: 1, name: 'Lab' },
      webhooks: [{ id: 1, orgId: 1, name: 'Old', url: SECRET_URL, events: on, enabled: true, paused: false, scope: { udids: [], platforms: [] }, headers: [], createdAt: stamp, updatedAt: stamp }],
    };
    await writeFile(join(dir, WEBHOOKS_FILE), JSON.stringify(v2));
    const logger = recordingLogger();
    const { store, migrated } = await openWebhookStore({ dataDir: dir, logger: logger.log, secretBox: createOsBox(new FakeSafeStorage()) });
    expect(migrated).toBeDefined();
    expect(store.deliveryWebhooks()[0]?.url).toBe(SECRET_URL);
    expect(await readFile(join(dir, WEBHOOKS_FILE), 'utf8')).not.toContain('s3cret-PASS');
    await store.close();
  });
});

describe('delivery: the password never reaches history or logs', () => {
  it('the attempt record and the 410 reason and log line carry the URL redacted; the receiver still gets the credentials', async () => {
    const r = await receiver({ reply: { status: 410 } });
    const url = r.url.replace('http://', 'http://lab-user:s3cret-PASS@');
    const t = await rig({ webhooks: [deliveryHook({ url })] });
    await t.dispatcher.dispatch(event());
    const [attempt] = await t.attemptsReach(1);
    expect(r.requests()[0]?.headers['authorization']).toBe(`Basic ${Buffer.from('lab-user:s3cret-PASS').toString('base64')}`);
    expect(attempt?.request.url).toBe(redactUrl(url));
    await expect.poll(() => t.disabled.length).toBe(1);
    expect(JSON.stringify(t.disabled)).not.toContain('s3cret');
    expect(JSON.stringify(t.log.lines)).not.toContain('s3cret');
    await t.dispatcher.flush();
    const stored = await t.history.query({ webhookId: 1, limit: 10 });
    expect(JSON.stringify(stored)).not.toContain('s3cret');
  });
});
