// WebhookStore.reload(): the headless runner picks up webhooks.json edited or replaced on disk.
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WEBHOOKS_FILE, openWebhookStore } from '../../main/webhooks/store';
import type { WebhookResult, WebhooksSnapshot } from '../../main/webhooks/store';
import { makeTempDir } from '../support/tmp';
import { recordingLogger } from '../support/storage';

const on = { online: true, offline: false, utilizing: false, unplugged: false };
const hook = (name: string) => ({ name, url: `http://127.0.0.1:9/${encodeURIComponent(name)}`, events: on });

function ok(result: WebhookResult): void {
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result)}`);
}

async function twoStores() {
  const dir = await makeTempDir();
  const runnerLog = recordingLogger();
  const runner = (await openWebhookStore({ dataDir: dir, logger: runnerLog.log })).store;
  ok(await runner.create(hook('First')));
  const snapshots: WebhooksSnapshot[] = [];
  runner.onChange((s) => snapshots.push(s));
  return { dir, runner, lines: runnerLog.lines, snapshots };
}

describe('WebhookStore.reload', () => {
  it('picks up a webhook added to the file by someone else, tells the listeners, and delivers to it', async () => {
    const { dir, runner, snapshots } = await twoStores();
    const admin = (await openWebhookStore({ dataDir: dir, logger: recordingLogger().log })).store;
    ok(await admin.create(hook('Second')));
    await admin.close();

    expect(runner.list().map((w) => w.name)).toEqual(['First']);
    expect(await runner.reload()).toEqual({ ok: true, changed: true });
    expect(runner.list().map((w) => w.name)).toEqual(['First', 'Second']);
    expect(runner.deliveryWebhooks().map((w) => w.name)).toEqual(['First', 'Second']);
    expect(snapshots).toHaveLength(1);
    expect(snapshots[0]?.webhooks.map((w) => w.name)).toEqual(['First', 'Second']);

    // Ids stay unique: the next one made here follows the file's counter.
    ok(await runner.create(hook('Third')));
    expect(runner.list().map((w) => w.id)).toEqual([1, 2, 3]);
  });

  it('answers changed: false for its own writes and tells no one', async () => {
    const { runner, snapshots } = await twoStores();
    ok(await runner.create(hook('Mine')));
    const before = snapshots.length;
    expect(await runner.reload()).toEqual({ ok: true, changed: false });
    expect(snapshots).toHaveLength(before);
  });

  it('keeps the webhooks it has when the file is broken, leaves the file in place, and logs why', async () => {
    const { dir, runner, lines, snapshots } = await twoStores();
    await writeFile(join(dir, WEBHOOKS_FILE), '{ "schemaVersion": 2, "webhooks": [ oops');
    const result = await runner.reload();
    expect(result).toEqual({ ok: false, reason: expect.stringMatching(/not valid JSON/) });
    expect(runner.list().map((w) => w.name)).toEqual(['First']);
    expect(runner.deliveryWebhooks().map((w) => w.name)).toEqual(['First']);
    expect(snapshots).toHaveLength(0);
    expect(lines.some((l) => l.level === 'warn' && l.message.includes('was not reloaded because it is not valid JSON'))).toBe(true);
    expect(await readdir(dir)).toEqual([WEBHOOKS_FILE]);

    // A webhook with a bad shape (a url that is not text) is refused the same way.
    await writeFile(
      join(dir, WEBHOOKS_FILE),
      JSON.stringify({ schemaVersion: 2, nextWebhookId: 2, org: { id: 1, name: '' }, webhooks: [{ id: 1, name: 'x', url: 42 }] }),
    );
    expect(await runner.reload()).toEqual({ ok: false, reason: expect.stringMatching(/webhooks\.0\./) });
    expect(runner.list().map((w) => w.name)).toEqual(['First']);

    // Fixed: picked up.
    await writeFile(join(dir, WEBHOOKS_FILE), JSON.stringify({ schemaVersion: 2, nextWebhookId: 1, org: { id: 9, name: 'Lab' }, webhooks: [] }));
    expect(await runner.reload()).toEqual({ ok: true, changed: true });
    expect(runner.list()).toEqual([]);
    expect(runner.org()).toEqual({ id: 9, name: 'Lab' });
    expect(snapshots).toHaveLength(1);
  });
});
