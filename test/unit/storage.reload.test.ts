// JsonStore.reload(): a file changed on disk by someone else is picked up; one that cannot be used
// leaves the current data in place and the file where it is; our own writes read back as unchanged.
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openJsonStore, zodValidator } from '../../main/storage/jsonStore';
import type { JsonStoreOptions } from '../../main/storage/jsonStore';
import { makeTempDir } from '../support/tmp';
import { recordingLogger } from '../support/storage';

interface Things {
  schemaVersion: number;
  items: string[];
  note?: string;
}
const schema = z.object({ schemaVersion: z.number().int(), items: z.array(z.string()), note: z.string().optional() });

function options(file: string, extra: Partial<JsonStoreOptions<Things>> = {}): JsonStoreOptions<Things> {
  return {
    file,
    label: 'things',
    defaults: { schemaVersion: 2, items: [] },
    version: 2,
    // v1 kept the items as one comma-separated string.
    migrations: { 2: (old) => ({ ...(old as object), items: String((old as { items: string }).items).split(',') }) },
    validate: zodValidator(schema),
    logger: recordingLogger().log,
    ...extra,
  };
}

async function opened(extra: Partial<JsonStoreOptions<Things>> = {}) {
  const dir = await makeTempDir();
  const file = join(dir, 'things.json');
  const { store } = await openJsonStore(options(file, extra));
  await store.update((d) => {
    d.items.push('a');
  });
  return { dir, file, store };
}

describe('JsonStore.reload', () => {
  it('picks up a valid change made on disk', async () => {
    const { file, store } = await opened();
    await writeFile(file, JSON.stringify({ schemaVersion: 2, items: ['a', 'b'], note: 'edited by hand' }));
    expect(await store.reload()).toEqual({ ok: true, changed: true });
    expect(store.data).toEqual({ schemaVersion: 2, items: ['a', 'b'], note: 'edited by hand' });
    expect(Object.isFrozen(store.data.items)).toBe(true);
    // The next update builds on the reloaded data.
    await store.update((d) => {
      d.items.push('c');
    });
    expect(JSON.parse(await readFile(file, 'utf-8'))).toEqual({ schemaVersion: 2, items: ['a', 'b', 'c'], note: 'edited by hand' });
  });

  it('answers changed: false for what it wrote itself (key order and layout do not count)', async () => {
    const { file, store } = await opened();
    const writes = store.writeCount;
    expect(await store.reload()).toEqual({ ok: true, changed: false });
    // The same data, reformatted and with keys in another order, is still no change.
    await writeFile(file, `{"items":["a"],\n  "schemaVersion":2}`);
    expect(await store.reload()).toEqual({ ok: true, changed: false });
    expect(store.writeCount).toBe(writes); // reload never writes
  });

  it('migrates an older file copied in, without writing it', async () => {
    const { file, store } = await opened();
    const v1 = JSON.stringify({ schemaVersion: 1, items: 'x,y' });
    await writeFile(file, v1);
    expect(await store.reload()).toEqual({ ok: true, changed: true });
    expect(store.data).toEqual({ schemaVersion: 2, items: ['x', 'y'] });
    expect(await readFile(file, 'utf-8')).toBe(v1);
  });

  it('keeps the current data, and the file where it is, when the file is not valid JSON', async () => {
    const { dir, file, store } = await opened();
    await writeFile(file, '{"schemaVersion": 2, "items": [');
    const result = await store.reload();
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/not valid JSON/);
    expect(store.data).toEqual({ schemaVersion: 2, items: ['a'] });
    expect((await readdir(dir)).sort()).toEqual(['things.json']); // nothing moved aside
    expect(await readFile(file, 'utf-8')).toBe('{"schemaVersion": 2, "items": [');
  });

  it('refuses contents of the wrong shape, an empty file, a missing file, a newer version; keeps the data each time', async () => {
    const { file, store } = await opened();
    const cases: [string | null, RegExp][] = [
      [JSON.stringify({ schemaVersion: 2, items: [1, 2] }), /not what DeviceHooks expects \(items\.0: /],
      ['   ', /empty/],
      ['null', /no data/],
      [JSON.stringify({ items: [] }), /no valid schemaVersion/],
      [JSON.stringify({ schemaVersion: 3, items: [] }), /newer version of DeviceHooks/],
      [null, /not there/],
    ];
    for (const [text, reason] of cases) {
      if (text === null) await rm(file);
      else await writeFile(file, text);
      const result = await store.reload();
      expect(result, String(text)).toEqual({ ok: false, reason: expect.stringMatching(reason) });
      expect(store.data).toEqual({ schemaVersion: 2, items: ['a'] });
    }
  });

  it('runs in turn with updates: never in the middle of a write, and sees the writes queued before it', async () => {
    const { file, store } = await opened({ batchMs: 50 });
    // An edit on disk, then an update and a reload asked in that order: the update (made on the data in
    // memory) is written first, and the reload reads back that write, not the edit.
    await writeFile(file, JSON.stringify({ schemaVersion: 2, items: ['edited'] }));
    const queued = store.update((d) => {
      d.items.push('queued');
    });
    const reloaded = store.reload();
    expect(await reloaded).toEqual({ ok: true, changed: false });
    await queued;
    expect(JSON.parse(await readFile(file, 'utf-8'))).toEqual({ schemaVersion: 2, items: ['a', 'queued'] });
    expect(store.data.items).toEqual(['a', 'queued']);
  });

  it('answers after close without reading', async () => {
    const { store } = await opened();
    await store.close();
    expect(await store.reload()).toEqual({ ok: false, reason: 'the store is closed' });
  });
});
