import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WEBHOOKS_FILE, openWebhookStore } from '../../main/webhooks/store';
import { EXPORT_FORMAT } from '../../main/webhooks/importExport';
import type { OpenWebhookStoreOptions, Webhook, WebhookResult, WebhooksSnapshot } from '../../main/webhooks/store';
import { makeTempDir } from '../support/tmp';
import { FaultyJsonFile, osError, recordingLogger } from '../support/storage';

const T0 = Date.UTC(2026, 10, 27, 9, 0, 0);
const on = { online: true, offline: false, utilizing: false, unplugged: false };
const hook = (name: string, extra: Record<string, unknown> = {}) => ({ name, url: `https://example.com/${encodeURIComponent(name)}`, events: on, ...extra });
/** What a webhook made from the form alone has for the v2 fields. */
const v2Defaults = { enabled: true, paused: false, scope: { udids: [], platforms: [] }, hasSecret: false, headers: [] };

async function open(dataDir: string, extra: Partial<OpenWebhookStoreOptions> = {}) {
  let t = T0;
  const clock = { now: () => t, advance: (ms: number) => (t += ms) };
  const opened = await openWebhookStore({ dataDir, logger: recordingLogger().log, now: clock.now, ...extra });
  return { ...opened, clock };
}

function created(result: WebhookResult): Webhook {
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result)}`);
  return result.webhook;
}

async function fileJson(dir: string): Promise<{ nextWebhookId: number; webhooks: Webhook[]; org: { id: number; name: string } }> {
  return JSON.parse(await readFile(join(dir, WEBHOOKS_FILE), 'utf-8'));
}

describe('webhook store: create, list, persistence', () => {
  it('creates a webhook with an id, the org id and timestamps, and keeps it across a reopen', async () => {
    const dir = await makeTempDir();
    const { store } = await open(dir);
    const w = created(await store.create(hook('Build farm', { description: '  nightly  ' })));
    expect(w).toEqual({
      id: 1,
      orgId: 1,
      name: 'Build farm',
      url: 'https://example.com/Build%20farm',
      description: 'nightly',
      events: on,
      ...v2Defaults,
      createdAt: '2026-11-27T09:00:00.000Z',
      updatedAt: '2026-11-27T09:00:00.000Z',
    });
    expect(store.list()).toEqual([w]);
    await store.close();

    const again = await open(dir);
    expect(again.store.list()).toEqual([w]);
    expect(again.store.get(1)).toEqual(w);
  });

  it('answers field errors for invalid input and writes nothing', async () => {
    const dir = await makeTempDir();
    const { store } = await open(dir);
    const result = await store.create({ name: ' ', url: 'javascript:alert(1)', events: {} });
    expect(result).toEqual({
      ok: false,
      fieldErrors: { name: 'Enter a name', url: 'URL must start with http:// or https://', events: 'Choose at least one event' },
    });
    expect(await readdir(dir)).toEqual([]);
    expect(store.list()).toEqual([]);
  });

  it('hands out copies: changing a listed webhook changes nothing', async () => {
    const { store } = await open(await makeTempDir());
    created(await store.create(hook('A')));
    const [first] = store.list();
    if (first) first.name = 'changed';
    expect(store.list()[0]?.name).toBe('A');
  });
});

describe('webhook store: names are unique in the org by exact match', () => {
  it('refuses the exact same name, as a field error on name', async () => {
    const { store } = await open(await makeTempDir());
    created(await store.create(hook('Hook')));
    expect(await store.create(hook('Hook'))).toEqual({ ok: false, fieldErrors: { name: 'Another webhook in this organization is already named "Hook"' } });
    expect(store.list()).toHaveLength(1);
  });

  it('allows names that differ only in case', async () => {
    const { store } = await open(await makeTempDir());
    created(await store.create(hook('Hook')));
    created(await store.create(hook('hook')));
    created(await store.create(hook('HOOK')));
    expect(store.list().map((w) => w.name)).toEqual(['Hook', 'hook', 'HOOK']);
  });

  it('compares after trimming and NFC normalization', async () => {
    const { store } = await open(await makeTempDir());
    created(await store.create(hook('Café')));
    expect(await store.create(hook('  Café '))).toMatchObject({ ok: false, fieldErrors: { name: expect.any(String) } });
    expect(await store.create(hook('Cafe\u0301'))).toMatchObject({ ok: false, fieldErrors: { name: expect.any(String) } });
  });

  it('lets only one of two simultaneous creates with the same name win', async () => {
    const { store } = await open(await makeTempDir());
    const results = await Promise.all([store.create(hook('Twin')), store.create(hook('Twin'))]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && 'fieldErrors' in r)).toHaveLength(1);
    expect(store.list()).toHaveLength(1);
  });
});

describe('webhook store: update and remove', () => {
  it('replaces the fields, keeps id and createdAt, moves updatedAt, and can drop the description', async () => {
    const { store, clock } = await open(await makeTempDir());
    const w = created(await store.create(hook('A', { description: 'old' })));
    clock.advance(60_000);
    const u = created(await store.update(w.id, { name: 'A2', url: 'http://[::1]:9000/h', events: { unplugged: true } }));
    expect(u).toEqual({
      id: w.id,
      orgId: 1,
      name: 'A2',
      url: 'http://[::1]:9000/h',
      events: { online: false, offline: false, utilizing: false, unplugged: true },
      ...v2Defaults,
      createdAt: w.createdAt,
      updatedAt: '2026-11-27T09:01:00.000Z',
    });
    expect(store.get(w.id)).toEqual(u);
  });

  it('may keep its own name, may not take another webhook name', async () => {
    const { store } = await open(await makeTempDir());
    const a = created(await store.create(hook('A')));
    created(await store.create(hook('B')));
    expect((await store.update(a.id, hook('A', { description: 'same name' }))).ok).toBe(true);
    expect(await store.update(a.id, hook('B'))).toEqual({ ok: false, fieldErrors: { name: 'Another webhook in this organization is already named "B"' } });
  });

  it('validates like create', async () => {
    const { store } = await open(await makeTempDir());
    const a = created(await store.create(hook('A')));
    expect(await store.update(a.id, hook('a'.repeat(51)))).toEqual({ ok: false, fieldErrors: { name: 'Name must be at most 50 characters (this one has 51)' } });
  });

  it('answers a typed not_found for an unknown id (update and remove)', async () => {
    const { store } = await open(await makeTempDir());
    const notFound = { ok: false, error: { code: 'not_found', message: 'Webhook 42 no longer exists: it may have been deleted.' } };
    expect(await store.update(42, hook('X'))).toEqual(notFound);
    expect(await store.remove(42)).toEqual(notFound);
  });

  it('removes, answering the removed webhook; a second remove is not_found', async () => {
    const dir = await makeTempDir();
    const { store } = await open(dir);
    const a = created(await store.create(hook('A')));
    expect(await store.remove(a.id)).toEqual({ ok: true, webhook: a });
    expect(store.list()).toEqual([]);
    expect((await store.remove(a.id)).ok).toBe(false);
    expect((await fileJson(dir)).webhooks).toEqual([]);
  });
});

describe('webhook store: ids are never reused', () => {
  it('after deleting the newest webhook and reopening, the next id still moves on', async () => {
    const dir = await makeTempDir();
    const first = await open(dir);
    for (const name of ['1', '2', '3']) created(await first.store.create(hook(name)));
    await first.store.remove(3);
    await first.store.remove(2);
    await first.store.close();

    const second = await open(dir);
    expect(created(await second.store.create(hook('4'))).id).toBe(4);
    await second.store.remove(4);
    await second.store.remove(1);
    await second.store.close();

    const third = await open(dir);
    expect(third.store.list()).toEqual([]);
    expect(created(await third.store.create(hook('5'))).id).toBe(5);
  });

  it('repairs a hand-edited counter that points at an existing id', async () => {
    const dir = await makeTempDir();
    const first = await open(dir);
    created(await first.store.create(hook('A')));
    created(await first.store.create(hook('B')));
    await first.store.close();
    const doc = await fileJson(dir);
    await writeFile(join(dir, WEBHOOKS_FILE), JSON.stringify({ ...doc, nextWebhookId: 1 }));
    const second = await open(dir);
    expect(created(await second.store.create(hook('C'))).id).toBe(3);
  });
});

describe('webhook store: organization', () => {
  it('starts as org 1 with no name', async () => {
    const { store } = await open(await makeTempDir());
    expect(store.org()).toEqual({ id: 1, name: '' });
  });

  it('sets id and name, re-stamps existing webhooks, stamps new ones, and persists', async () => {
    const dir = await makeTempDir();
    const { store } = await open(dir);
    created(await store.create(hook('A')));
    expect(await store.setOrg({ id: 7, name: '  QA Lab ' })).toEqual({ ok: true, org: { id: 7, name: 'QA Lab' } });
    expect(store.list().map((w) => w.orgId)).toEqual([7]);
    expect(created(await store.create(hook('B'))).orgId).toBe(7);
    await store.close();
    const again = await open(dir);
    expect(again.store.org()).toEqual({ id: 7, name: 'QA Lab' });
    expect(again.store.list().map((w) => w.orgId)).toEqual([7, 7]);
  });

  it.each([
    [0, 'Organization ID must be a whole number greater than 0'],
    [-1, 'Organization ID must be a whole number greater than 0'],
    [1.5, 'Organization ID must be a whole number greater than 0'],
    ['3', 'Organization ID must be a whole number greater than 0'],
    [Number.NaN, 'Organization ID must be a whole number greater than 0'],
    [Number.MAX_SAFE_INTEGER + 1, 'Organization ID must be a whole number greater than 0'],
    [undefined, 'Enter the organization ID'],
  ])('refuses id %s', async (id, message) => {
    const { store } = await open(await makeTempDir());
    expect(await store.setOrg({ id, name: 'x' })).toEqual({ ok: false, fieldErrors: { id: message } });
    expect(store.org()).toEqual({ id: 1, name: '' });
  });

  it('accepts id 1 and the largest safe integer', async () => {
    const { store } = await open(await makeTempDir());
    expect((await store.setOrg({ id: 1, name: '' })).ok).toBe(true);
    expect((await store.setOrg({ id: Number.MAX_SAFE_INTEGER, name: '' })).ok).toBe(true);
  });

  it('accepts a 100-character name and refuses 101', async () => {
    const { store } = await open(await makeTempDir());
    expect((await store.setOrg({ id: 2, name: 'n'.repeat(100) })).ok).toBe(true);
    expect(await store.setOrg({ id: 2, name: 'n'.repeat(101) })).toEqual({
      ok: false,
      fieldErrors: { name: 'Organization name must be at most 100 characters (this one has 101)' },
    });
  });
});

describe('webhook store: export and import', () => {
  it('exports a versioned document of the org webhooks (no ids), which imports into another folder', async () => {
    const a = await open(await makeTempDir());
    await a.store.setOrg({ id: 5, name: 'Lab' });
    created(await a.store.create(hook('A', { description: 'first' })));
    created(await a.store.create(hook('B', { events: { offline: true, unplugged: true } })));
    const text = a.store.exportJson();
    const doc = JSON.parse(text);
    expect(doc).toMatchObject({ format: EXPORT_FORMAT, version: 2, exportedAt: '2026-11-27T09:00:00.000Z', org: { id: 5, name: 'Lab' } });
    const exportDefaults = { enabled: true, scope: { udids: [], platforms: [] }, headers: [], signing: false };
    expect(doc.webhooks).toEqual([
      { name: 'A', url: 'https://example.com/A', description: 'first', events: on, ...exportDefaults },
      { name: 'B', url: 'https://example.com/B', events: { online: false, offline: true, utilizing: false, unplugged: true }, ...exportDefaults },
    ]);

    const b = await open(await makeTempDir());
    created(await b.store.create(hook('Existing')));
    const result = await b.store.importJson(text);
    expect(result.ok).toBe(true);
    expect(b.store.list().map((w) => [w.id, w.orgId, w.name])).toEqual([
      [1, 1, 'Existing'],
      [2, 1, 'A'],
      [3, 1, 'B'],
    ]);
  });

  function exportDoc(webhooks: unknown[], extra: Record<string, unknown> = {}): string {
    return JSON.stringify({ format: EXPORT_FORMAT, version: 1, webhooks, ...extra });
  }

  it('takes all or none: one bad entry means nothing is imported, with every problem listed by index and field', async () => {
    const dir = await makeTempDir();
    const { store } = await open(dir);
    created(await store.create(hook('Taken')));
    const before = await readFile(join(dir, WEBHOOKS_FILE), 'utf-8');
    const result = await store.importJson(
      exportDoc([
        hook('Fine'),
        { name: 'Bad url', url: 'ftp://example.com', events: on },
        hook('Taken'),
        hook('Twice'),
        hook('Twice'),
        { name: 'x'.repeat(51), url: '/relative', events: {} },
        'not an object',
      ]),
    );
    expect(result).toEqual({
      ok: false,
      problems: [
        { index: 1, field: 'url', message: 'URL must start with http:// or https://' },
        { index: 2, field: 'name', message: 'Another webhook in this organization is already named "Taken"' },
        { index: 4, field: 'name', message: 'The name "Twice" is used more than once in this file' },
        { index: 5, field: 'name', message: 'Name must be at most 50 characters (this one has 51)' },
        { index: 5, field: 'url', message: 'URL must be absolute, e.g. https://example.com/hook' },
        { index: 5, field: 'events', message: 'Choose at least one event' },
        { index: 6, field: 'entry', message: 'Send the webhook as an object with a name, a URL and events' },
      ],
    });
    expect(store.list().map((w) => w.name)).toEqual(['Taken']);
    expect(await readFile(join(dir, WEBHOOKS_FILE), 'utf-8')).toBe(before);
  });

  it('ignores ids and timestamps in the file: new ids come from the counter', async () => {
    const { store } = await open(await makeTempDir());
    const result = await store.importJson(exportDoc([{ ...hook('X'), id: 99, orgId: 42, createdAt: 'then' }]));
    expect(result).toMatchObject({ ok: true, imported: [{ id: 1, orgId: 1, name: 'X', createdAt: '2026-11-27T09:00:00.000Z' }] });
  });

  it('imports an empty list as nothing', async () => {
    const { store } = await open(await makeTempDir());
    expect(await store.importJson(exportDoc([]))).toEqual({ ok: true, imported: [] });
  });

  it.each([
    ['not JSON', '{ nope', /not valid JSON/],
    ['another format', JSON.stringify({ format: 'something-else', version: 1, webhooks: [] }), /not a DeviceHooks webhooks export/],
    ['a bare array', JSON.stringify([hook('A')]), /not a DeviceHooks webhooks export/],
    ['a newer format', JSON.stringify({ format: EXPORT_FORMAT, version: 3, webhooks: [] }), /newer version of DeviceHooks/],
    ['no version', JSON.stringify({ format: EXPORT_FORMAT, webhooks: [] }), /no valid version/],
    ['no list', JSON.stringify({ format: EXPORT_FORMAT, version: 1, webhooks: {} }), /no list of webhooks/],
    ['too large', 'x'.repeat(2 * 1024 * 1024 + 1), /too large/],
  ])('refuses a file that is %s as a whole', async (_label, text, message) => {
    const { store } = await open(await makeTempDir());
    const result = await store.importJson(text);
    expect(result.ok).toBe(false);
    if (!result.ok && 'problems' in result) {
      expect(result.problems).toHaveLength(1);
      expect(result.problems[0]).toMatchObject({ index: null, field: 'file' });
      expect(result.problems[0]?.message).toMatch(message);
    } else throw new Error('expected problems');
  });
});

describe('webhook store: change notifications and failures', () => {
  it('tells listeners after each saved change; unsubscribe stops it; a throwing listener breaks nothing', async () => {
    const { log, lines } = recordingLogger();
    const { store } = await open(await makeTempDir(), { logger: log });
    const seen: WebhooksSnapshot[] = [];
    const stop = store.onChange((s) => seen.push(s));
    store.onChange(() => {
      throw new Error('listener bug');
    });
    const a = created(await store.create(hook('A')));
    await store.create(hook('A')); // refused: no notification
    await store.setOrg({ id: 3, name: 'X' });
    stop();
    await store.remove(a.id);
    expect(seen.map((s) => [s.org.id, s.webhooks.map((w) => w.name)])).toEqual([
      [1, ['A']],
      [3, ['A']],
    ]);
    expect(lines.some((l) => l.level === 'error' && l.message.includes('listener bug'))).toBe(true);
  });

  it('a full disk answers a typed storage error and changes nothing', async () => {
    const dir = await makeTempDir();
    const adapter = new FaultyJsonFile(join(dir, WEBHOOKS_FILE));
    const { store } = await open(dir, { adapter });
    created(await store.create(hook('A')));
    adapter.failures.push(osError('ENOSPC'));
    const result = await store.create(hook('B'));
    expect(result).toEqual({
      ok: false,
      error: { code: 'storage', message: `Could not save webhooks: the disk is full (ENOSPC) at ${join(dir, WEBHOOKS_FILE)}` },
    });
    expect(store.list().map((w) => w.name)).toEqual(['A']);
    // The failed create did not use up an id either.
    expect(created(await store.create(hook('B'))).id).toBe(2);
  });

  it('moves a corrupt webhooks.json aside and says so', async () => {
    const dir = await makeTempDir();
    await writeFile(join(dir, WEBHOOKS_FILE), '{"schemaVersion":1,');
    const { store, recovered } = await open(dir);
    expect(recovered?.movedTo).toBe(join(dir, 'webhooks.json.corrupt-2026-11-27T09-00-00Z.json'));
    expect(recovered?.message).toMatch(/^The webhooks file could not be used because it is not valid JSON/);
    expect(store.list()).toEqual([]);
  });

  it('treats two webhooks with one id as a damaged file', async () => {
    const dir = await makeTempDir();
    const w = { id: 1, orgId: 1, name: 'A', url: 'https://a.example', events: on, createdAt: 'x', updatedAt: 'x' };
    await writeFile(join(dir, WEBHOOKS_FILE), JSON.stringify({ schemaVersion: 1, nextWebhookId: 2, org: { id: 1, name: '' }, webhooks: [w, { ...w, name: 'B' }] }));
    const { recovered } = await open(dir);
    expect(recovered?.kind).toBe('invalid');
    expect(recovered?.reason).toContain('appears twice');
  });
});
