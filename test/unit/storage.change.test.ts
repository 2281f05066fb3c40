// JsonStore.change(): the one way a store changes its data. The mutator edits a draft or refuses (with
// what to answer); a refusal, a mutator that throws, data that fails the shape check and a failed write
// all leave memory and disk as they were; change listeners hear of each saved change once, afterwards.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { StorageDataError, StorageWriteError } from '../../main/storage/errors';
import { Refusal, openJsonStore, refuse, zodValidator } from '../../main/storage/jsonStore';
import type { JsonStoreOptions } from '../../main/storage/jsonStore';
import { makeTempDir } from '../support/tmp';
import { FaultyJsonFile, osError, recordingLogger } from '../support/storage';

interface Things {
  schemaVersion: number;
  items: string[];
}
const schema = z.object({ schemaVersion: z.number().int(), items: z.array(z.string().min(1)) });
type Answer = { ok: true; count: number } | { ok: false; fieldErrors: Record<string, string> };

async function openThings(extra: Partial<JsonStoreOptions<Things>> = {}) {
  const dir = await makeTempDir();
  const file = join(dir, 'things.json');
  const adapter = new FaultyJsonFile(file);
  const logger = recordingLogger();
  const { store } = await openJsonStore<Things>({
    file,
    label: 'things',
    defaults: { schemaVersion: 1, items: [] },
    version: 1,
    validate: zodValidator(schema),
    logger: logger.log,
    adapter,
    ...extra,
  });
  await store.update((d) => {
    d.items.push('a');
  });
  const heard: (readonly string[])[] = [];
  store.onChange((data) => heard.push(data.items));
  return { file, store, adapter, logger, heard };
}

async function onDisk(file: string): Promise<unknown> {
  return JSON.parse(await readFile(file, 'utf-8'));
}

const addItem = (item: string) => (draft: Things) => {
  if (draft.items.includes(item)) return refuse<Answer>({ ok: false, fieldErrors: { item: `"${item}" is already there` } });
  draft.items.push(item);
  return { ok: true, count: draft.items.length } as Answer;
};

describe('JsonStore.change', () => {
  it('writes the draft, makes it current, answers the mutator and tells each listener once', async () => {
    const { file, store, adapter, heard } = await openThings();
    const writes = adapter.writes;
    const answer = await store.change(addItem('b'));
    expect(answer).toEqual({ ok: true, count: 2 });
    expect(store.data.items).toEqual(['a', 'b']);
    expect(await onDisk(file)).toEqual({ schemaVersion: 1, items: ['a', 'b'] });
    expect(adapter.writes).toBe(writes + 1);
    expect(heard).toEqual([['a', 'b']]);
  });

  it('a returned refusal answers its result and writes nothing, tells no one, and leaves memory as it was', async () => {
    const { file, store, adapter, heard } = await openThings();
    const writes = adapter.writes;
    const before = store.data;
    const answer = await store.change(addItem('a'));
    expect(answer).toEqual({ ok: false, fieldErrors: { item: '"a" is already there' } });
    expect(store.data).toBe(before);
    expect(adapter.writes).toBe(writes);
    expect(heard).toEqual([]);
    expect(await onDisk(file)).toEqual({ schemaVersion: 1, items: ['a'] });
  });

  it('a refusal thrown from deep inside the mutator is answered the same way, edits made before it dropped', async () => {
    const { store, adapter, heard } = await openThings();
    const writes = adapter.writes;
    const mustBeNew = (draft: Things, item: string) => {
      if (draft.items.includes(item)) throw new Refusal<Answer>({ ok: false, fieldErrors: { item: 'taken' } });
    };
    const answer = await store.change<Answer, Answer>((draft) => {
      draft.items.push('x');
      mustBeNew(draft, 'a');
      return { ok: true, count: draft.items.length };
    });
    expect(answer).toEqual({ ok: false, fieldErrors: { item: 'taken' } });
    expect(store.data.items).toEqual(['a']);
    expect(adapter.writes).toBe(writes);
    expect(heard).toEqual([]);
  });

  it('a failed write rejects with StorageWriteError and leaves memory and disk as they were; no one is told', async () => {
    const { file, store, adapter, heard } = await openThings();
    adapter.failures.push(osError('ENOSPC', 'ENOSPC: no space left on device, write'));
    const error = await store.change(addItem('b')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageWriteError);
    expect(store.data.items).toEqual(['a']);
    expect(await onDisk(file)).toEqual({ schemaVersion: 1, items: ['a'] });
    expect(heard).toEqual([]);
    // The next change starts from what is really saved.
    expect(await store.change(addItem('c'))).toEqual({ ok: true, count: 2 });
    expect(heard).toEqual([['a', 'c']]);
  });

  it('a draft the shape check refuses is not written (StorageDataError), memory unchanged, no one told', async () => {
    const { file, store, adapter, heard } = await openThings();
    const writes = adapter.writes;
    const error = await store.change(addItem('')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageDataError);
    expect(store.data.items).toEqual(['a']);
    expect(adapter.writes).toBe(writes);
    expect(await onDisk(file)).toEqual({ schemaVersion: 1, items: ['a'] });
    expect(heard).toEqual([]);
  });

  it('a mutator that throws rejects with its own error and leaves no trace', async () => {
    const { store, heard } = await openThings();
    const error = await store
      .change((draft) => {
        draft.items.push('half');
        throw new TypeError('boom');
      })
      .catch((e: unknown) => e);
    expect(error).toEqual(new TypeError('boom'));
    expect(store.data.items).toEqual(['a']);
    expect(heard).toEqual([]);
  });

  it('listeners see the saved data: every listener once per write, one that throws is logged and the others still hear', async () => {
    const { store, logger, heard } = await openThings();
    store.onChange(() => {
      throw new Error('listener broke');
    });
    const late: (readonly string[])[] = [];
    const off = store.onChange((data) => late.push(data.items));
    await store.change(addItem('b'));
    off();
    await store.change(addItem('c'));
    expect(heard).toEqual([['a', 'b'], ['a', 'b', 'c']]);
    expect(late).toEqual([['a', 'b']]);
    expect(logger.lines.filter((l) => l.level === 'error' && l.message.includes('listener broke'))).toHaveLength(2);
  });

  it('batched: changes queued together are one write and one notice; a refused one among them leaves the others', async () => {
    const { file, store, adapter, heard } = await openThings({ batchMs: 5 });
    const writes = adapter.writes;
    const answers = await Promise.all([store.change(addItem('b')), store.change(addItem('a')), store.change(addItem('c'))]);
    expect(answers).toEqual([{ ok: true, count: 2 }, { ok: false, fieldErrors: { item: '"a" is already there' } }, { ok: true, count: 3 }]);
    expect(adapter.writes).toBe(writes + 1);
    expect(heard).toEqual([['a', 'b', 'c']]);
    expect(await onDisk(file)).toEqual({ schemaVersion: 1, items: ['a', 'b', 'c'] });
  });

  it('update() stays silent (writes no one needs to hear of); a reload that brings new data is heard', async () => {
    const { file, store, heard } = await openThings();
    await store.update((d) => {
      d.items.push('quiet');
    });
    expect(heard).toEqual([]);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(file, JSON.stringify({ schemaVersion: 1, items: ['edited'] }));
    expect(await store.reload()).toEqual({ ok: true, changed: true });
    expect(heard).toEqual([['edited']]);
  });

  it('after close() no one is told and change() is refused', async () => {
    const { store, heard } = await openThings();
    await store.close();
    await expect(store.change(addItem('b'))).rejects.toThrow(/closed/);
    expect(heard).toEqual([]);
  });
});
