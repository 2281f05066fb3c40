// webhooks.json keeps the ids of deleted webhooks (schema version 3), so the dispatcher can tell a
// deletion from a webhook that vanished, and an id is never handed out again.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WEBHOOKS_FILE, WEBHOOKS_SCHEMA_VERSION, openWebhookStore } from '../../main/webhooks/store';
import type { Webhook, WebhookResult } from '../../main/webhooks/store';
import { makeTempDir } from '../support/tmp';
import { recordingLogger } from '../support/storage';

const T0 = Date.UTC(2026, 10, 27, 9, 0, 0);
const on = { online: true, offline: false, utilizing: false, unplugged: false };
const hook = (name: string) => ({ name, url: `https://example.com/${name}`, events: on });
const open = (dataDir: string) => openWebhookStore({ dataDir, logger: recordingLogger().log, now: () => T0 });

function created(result: WebhookResult): Webhook {
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result)}`);
  return result.webhook;
}

describe('webhook store: deleted ids', () => {
  it('deleting records the id as deleted, on disk, across a reopen', async () => {
    const dir = await makeTempDir();
    const { store } = await open(dir);
    const a = created(await store.create(hook('A')));
    const b = created(await store.create(hook('B')));
    expect(store.isDeleted(a.id)).toBe(false);
    await store.remove(a.id);
    expect(store.isDeleted(a.id)).toBe(true);
    expect(store.isDeleted(b.id)).toBe(false);
    // Never defined: not "deleted" either.
    expect(store.isDeleted(77)).toBe(false);
    await store.close();
    const onDisk = JSON.parse(await readFile(join(dir, WEBHOOKS_FILE), 'utf-8')) as { schemaVersion: number; deletedWebhookIds: number[] };
    expect(WEBHOOKS_SCHEMA_VERSION).toBe(4);
    expect(onDisk.schemaVersion).toBe(4);
    expect(onDisk.deletedWebhookIds).toEqual([a.id]);
    const again = await open(dir);
    expect(again.store.isDeleted(a.id)).toBe(true);
  });

  it('a version 2 file opens as version 4 with no deleted ids, and ids stay above the deleted ones', async () => {
    const dir = await makeTempDir();
    const v2 = { schemaVersion: 2, nextWebhookId: 3, org: { id: 1, name: '' }, webhooks: [] };
    await writeFile(join(dir, WEBHOOKS_FILE), JSON.stringify(v2));
    const { store, migrated } = await open(dir);
    expect(migrated).toMatchObject({ from: 2, to: 4 });
    expect(store.isDeleted(1)).toBe(false);
    expect(created(await store.create(hook('C'))).id).toBe(3);
  });

  it('a hand-edited counter below a deleted id is raised above it', async () => {
    const dir = await makeTempDir();
    await writeFile(join(dir, WEBHOOKS_FILE), JSON.stringify({ schemaVersion: 4, nextWebhookId: 1, org: { id: 1, name: '' }, webhooks: [], deletedWebhookIds: [9] }));
    const { store } = await open(dir);
    expect(created(await store.create(hook('D'))).id).toBe(10);
  });
});
