import { chmod, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  StorageClosedError,
  StorageDataError,
  StorageReadError,
  StorageVersionError,
  StorageWriteError,
} from '../../main/storage/errors';
import { fileStamp, openJsonStore, zodValidator } from '../../main/storage/jsonStore';
import type { JsonStoreOptions } from '../../main/storage/jsonStore';
import { makeTempDir } from '../support/tmp';
import { FaultyJsonFile, osError, recordingLogger } from '../support/storage';

interface Things {
  schemaVersion: number;
  items: string[];
}
const thingsSchema = z.object({ schemaVersion: z.number().int(), items: z.array(z.string()) });
const NOW = Date.UTC(2026, 10, 27, 10, 15, 0, 123);

function options(file: string, extra: Partial<JsonStoreOptions<Things>> = {}): JsonStoreOptions<Things> {
  return {
    file,
    label: 'things',
    defaults: { schemaVersion: 1, items: [] },
    version: 1,
    validate: zodValidator(thingsSchema),
    logger: recordingLogger().log,
    now: () => NOW,
    ...extra,
  };
}

async function readJson(file: string): Promise<unknown> {
  return JSON.parse(await readFile(file, 'utf-8'));
}

describe('openJsonStore: a missing file', () => {
  it('starts from the defaults, creates the folder, and writes on the first update', async () => {
    const dir = await makeTempDir();
    const file = join(dir, 'nested', 'deeper', 'things.json');
    const { store, created, recovered } = await openJsonStore(options(file));
    expect(created).toBe(true);
    expect(recovered).toBeUndefined();
    expect(store.data).toEqual({ schemaVersion: 1, items: [] });
    expect(await readdir(join(dir, 'nested', 'deeper'))).toEqual([]);

    const result = await store.update((d) => {
      d.items.push('a');
      return d.items.length;
    });
    expect(result).toBe(1);
    expect(await readJson(file)).toEqual({ schemaVersion: 1, items: ['a'] });
  });

  it('reads back what it wrote after reopening', async () => {
    const file = join(await makeTempDir(), 'things.json');
    const first = await openJsonStore(options(file));
    await first.store.update((d) => void d.items.push('kept'));
    await first.store.close();
    const second = await openJsonStore(options(file));
    expect(second.created).toBe(false);
    expect(second.store.data.items).toEqual(['kept']);
  });

  it('does not share the defaults object between stores', async () => {
    const dir = await makeTempDir();
    const defaults = { schemaVersion: 1, items: [] as string[] };
    const a = await openJsonStore(options(join(dir, 'a.json'), { defaults }));
    const b = await openJsonStore(options(join(dir, 'b.json'), { defaults }));
    await a.store.update((d) => void d.items.push('only in a'));
    expect(b.store.data.items).toEqual([]);
    expect(defaults.items).toEqual([]);
  });

  it('hands out deep-frozen data: changes go through update()', async () => {
    const { store } = await openJsonStore(options(join(await makeTempDir(), 'things.json')));
    await store.update((d) => void d.items.push('x'));
    expect(() => (store.data.items as string[]).push('sneaky')).toThrow(TypeError);
    expect(store.data.items).toEqual(['x']);
  });

  it.skipIf(process.platform === 'win32')('gives the file the fileMode after every write (each atomic write makes a new file)', async () => {
    const file = join(await makeTempDir(), 'things.json');
    const { store } = await openJsonStore(options(file, { fileMode: 0o600 }));
    await store.update((d) => void d.items.push('a'));
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    await chmod(file, 0o644);
    await store.update((d) => void d.items.push('b'));
    expect((await stat(file)).mode & 0o777).toBe(0o600);

    const other = join(await makeTempDir(), 'things.json');
    const second = await openJsonStore(options(other, { fileMode: 0o640 }));
    await second.store.update((d) => void d.items.push('a'));
    expect((await stat(other)).mode & 0o777).toBe(0o640);
  });
});

describe('openJsonStore: versions and migrations', () => {
  interface V3 {
    schemaVersion: number;
    things: { label: string; done: boolean }[];
  }
  const v3Schema = z.object({ schemaVersion: z.number(), things: z.array(z.object({ label: z.string(), done: z.boolean() })) });
  const calls: string[] = [];
  const migrations = {
    // v1 { names: string[] } → v2 { items: string[] }
    2: (old: unknown) => {
      calls.push('2');
      const o = old as { names: string[] };
      return { items: o.names };
    },
    // v2 { items } → v3 { things: [{ label, done }] }
    3: (old: unknown) => {
      calls.push('3');
      const o = old as { items: string[] };
      return { things: o.items.map((label) => ({ label, done: false })) };
    },
  };
  const v3Options = (file: string, extra: Partial<JsonStoreOptions<V3>> = {}): JsonStoreOptions<V3> => ({
    file,
    label: 'things',
    defaults: { schemaVersion: 3, things: [] },
    version: 3,
    migrations,
    validate: zodValidator(v3Schema),
    logger: recordingLogger().log,
    now: () => NOW,
    ...extra,
  });

  it('runs v1→v2→v3 in order, saves the upgrade, and keeps a copy of the v1 file', async () => {
    calls.length = 0;
    const dir = await makeTempDir();
    const file = join(dir, 'things.json');
    const v1Text = JSON.stringify({ schemaVersion: 1, names: ['a', 'b'] });
    await writeFile(file, v1Text);
    const { store, migrated, recovered } = await openJsonStore(v3Options(file));
    expect(calls).toEqual(['2', '3']);
    expect(recovered).toBeUndefined();
    expect(store.data).toEqual({ schemaVersion: 3, things: [{ label: 'a', done: false }, { label: 'b', done: false }] });
    expect(await readJson(file)).toEqual(store.data);
    expect(migrated).toEqual({ from: 1, to: 3, backup: `${file}.v1-backup-2026-11-27T10-15-00Z.json` });
    expect(await readFile(migrated?.backup ?? '', 'utf-8')).toBe(v1Text);
  });

  it('still opens on the upgraded data when saving the upgrade fails, leaving the old file as it was', async () => {
    const dir = await makeTempDir();
    const file = join(dir, 'things.json');
    const v1Text = JSON.stringify({ schemaVersion: 1, names: ['a'] });
    await writeFile(file, v1Text);
    const adapter = new FaultyJsonFile(file);
    adapter.failures.push(osError('ENOSPC'));
    const { log, lines } = recordingLogger();
    const { store, migrated } = await openJsonStore(v3Options(file, { adapter, logger: log }));
    expect(migrated?.to).toBe(3);
    expect(store.data.things).toEqual([{ label: 'a', done: false }]);
    expect(await readFile(file, 'utf-8')).toBe(v1Text);
    expect(lines.some((l) => l.level === 'warn' && l.message.includes('could not save the upgraded'))).toBe(true);
  });

  it('runs only the steps the file needs (v2→v3)', async () => {
    calls.length = 0;
    const file = join(await makeTempDir(), 'things.json');
    await writeFile(file, JSON.stringify({ schemaVersion: 2, items: ['x'] }));
    const { store } = await openJsonStore(v3Options(file));
    expect(calls).toEqual(['3']);
    expect(store.data.things).toEqual([{ label: 'x', done: false }]);
  });

  it('leaves a current-version file alone (no migration, no backup)', async () => {
    calls.length = 0;
    const dir = await makeTempDir();
    const file = join(dir, 'things.json');
    await writeFile(file, JSON.stringify({ schemaVersion: 3, things: [] }));
    const { migrated } = await openJsonStore(v3Options(file));
    expect(calls).toEqual([]);
    expect(migrated).toBeUndefined();
    expect(await readdir(dir)).toEqual(['things.json']);
  });

  it('refuses a file from a newer version with a plain message and never touches it', async () => {
    const dir = await makeTempDir();
    const file = join(dir, 'things.json');
    const text = JSON.stringify({ schemaVersion: 4, whatever: 'future' });
    await writeFile(file, text);
    const error = await openJsonStore(v3Options(file)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageVersionError);
    const e = error as StorageVersionError;
    expect(e.kind).toBe('newer_version');
    expect(e.fileVersion).toBe(4);
    expect(e.supportedVersion).toBe(3);
    expect(e.message).toContain('newer version of DeviceHooks');
    expect(e.message).toContain('left untouched');
    expect(await readFile(file, 'utf-8')).toBe(text);
    expect(await readdir(dir)).toEqual(['things.json']);
  });

  it('moves aside a file whose migration throws, and starts fresh', async () => {
    const dir = await makeTempDir();
    const file = join(dir, 'things.json');
    await writeFile(file, JSON.stringify({ schemaVersion: 1, names: 'not a list' }));
    const { store, recovered } = await openJsonStore(v3Options(file));
    expect(recovered?.kind).toBe('invalid');
    expect(recovered?.reason).toContain('could not be upgraded from version 1');
    expect(store.data.things).toEqual([]);
  });

  it('throws (and leaves the file) when this build lacks a migration step: that is a bug, not bad data', async () => {
    const dir = await makeTempDir();
    const file = join(dir, 'things.json');
    await writeFile(file, JSON.stringify({ schemaVersion: 1, names: [] }));
    await expect(openJsonStore(v3Options(file, { migrations: { 3: migrations[3] } }))).rejects.toThrow(/no migration to version 2/);
    expect(await readdir(dir)).toEqual(['things.json']);
  });
});

describe('openJsonStore: files that cannot be used are moved aside, never overwritten', () => {
  async function expectMovedAside(content: string, kind: string, reason: RegExp) {
    const dir = await makeTempDir();
    const file = join(dir, 'things.json');
    await writeFile(file, content);
    const { log, lines } = recordingLogger();
    const { store, recovered } = await openJsonStore(options(file, { logger: log }));
    const expectedName = `${file}.${kind}-2026-11-27T10-15-00Z.json`;
    expect(recovered?.kind).toBe(kind);
    expect(recovered?.movedTo).toBe(expectedName);
    expect(recovered?.reason).toMatch(reason);
    expect(recovered?.message).toContain(expectedName);
    expect(await readFile(expectedName, 'utf-8')).toBe(content);
    expect(store.data).toEqual({ schemaVersion: 1, items: [] });
    expect(lines.some((l) => l.level === 'warn' && l.message.includes(expectedName))).toBe(true);
    // The fresh store writes to the original name; the moved copy is untouched.
    await store.update((d) => void d.items.push('new'));
    expect(await readJson(file)).toEqual({ schemaVersion: 1, items: ['new'] });
    expect(await readFile(expectedName, 'utf-8')).toBe(content);
  }

  it('corrupt JSON', () => expectMovedAside('{"schemaVersion": 1, "items": [', 'corrupt', /not valid JSON/));
  it('an empty file', () => expectMovedAside('', 'empty', /empty/));
  it('a whitespace-only file', () => expectMovedAside('  \n', 'empty', /empty/));
  it('a file that fails the shape check', () => expectMovedAside(JSON.stringify({ schemaVersion: 1, items: [1, 2] }), 'invalid', /items\.0/));
  it('a file without a schema version', () => expectMovedAside(JSON.stringify({ items: [] }), 'invalid', /schemaVersion/));
  it('a file holding JSON null (lowdb would silently keep the defaults)', () => expectMovedAside('null', 'invalid', /no data/));
  it('a file holding a JSON array', () => expectMovedAside('[]', 'invalid', /schemaVersion/));

  it('never overwrites an earlier moved-aside copy from the same second', async () => {
    const dir = await makeTempDir();
    const file = join(dir, 'things.json');
    await writeFile(file, 'first {');
    const a = await openJsonStore(options(file));
    await writeFile(file, 'second {');
    const b = await openJsonStore(options(file));
    expect(a.recovered?.movedTo).toBe(`${file}.corrupt-2026-11-27T10-15-00Z.json`);
    expect(b.recovered?.movedTo).toBe(`${file}.corrupt-2026-11-27T10-15-00Z-2.json`);
    expect(await readFile(a.recovered?.movedTo ?? '', 'utf-8')).toBe('first {');
    expect(await readFile(b.recovered?.movedTo ?? '', 'utf-8')).toBe('second {');
  });

  it('refuses to open (rather than start fresh and overwrite later) when the bad file cannot be moved', async () => {
    const dir = await makeTempDir();
    const file = join(dir, 'things.json');
    // An adapter that reports a corrupt file that is not there to rename: the move fails with ENOENT.
    const adapter = { read: () => Promise.reject(new SyntaxError('Unexpected end of JSON input')), write: () => Promise.resolve() };
    const error = await openJsonStore(options(file, { adapter })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageReadError);
    expect((error as StorageReadError).message).toContain('could not be moved aside');
  });

  it('reports a file it cannot read at all (a folder in its place) without moving anything', async () => {
    const dir = await makeTempDir();
    const file = join(dir, 'things.json');
    await mkdir(file);
    const error = await openJsonStore(options(file)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageReadError);
    expect((error as StorageReadError).code).toBe('EISDIR');
    expect(await readdir(dir)).toEqual(['things.json']);
  });

  it('names copies with a file-system-safe UTC stamp', () => {
    expect(fileStamp(NOW)).toBe('2026-11-27T10-15-00Z');
  });
});

describe('JsonStore.update: all or nothing', () => {
  it('a failed write (ENOSPC) leaves memory and disk at the last good state and says why in plain words', async () => {
    const file = join(await makeTempDir(), 'things.json');
    const adapter = new FaultyJsonFile(file);
    const { log, lines } = recordingLogger();
    const { store } = await openJsonStore(options(file, { adapter, logger: log }));
    await store.update((d) => void d.items.push('good'));
    const before = await readFile(file, 'utf-8');

    adapter.failures.push(osError('ENOSPC', 'ENOSPC: no space left on device, write'));
    const error = await store.update((d) => void d.items.push('lost')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageWriteError);
    const e = error as StorageWriteError;
    expect(e.code).toBe('ENOSPC');
    expect(e.kind).toBe('write');
    expect(e.message).toBe(`Could not save things: the disk is full (ENOSPC) at ${file}`);
    expect(store.data.items).toEqual(['good']);
    expect(await readFile(file, 'utf-8')).toBe(before);
    expect(lines.some((l) => l.level === 'error' && l.message.includes('ENOSPC'))).toBe(true);

    // The next update starts from the last good state, not from the lost one.
    await store.update((d) => void d.items.push('after'));
    expect(store.data.items).toEqual(['good', 'after']);
    expect(await readJson(file)).toEqual({ schemaVersion: 1, items: ['good', 'after'] });
  });

  it.each([
    ['EACCES', 'permission was denied'],
    ['EROFS', 'the disk is read-only'],
  ])('names %s in plain words', async (code, words) => {
    const file = join(await makeTempDir(), 'things.json');
    const adapter = new FaultyJsonFile(file);
    const { store } = await openJsonStore(options(file, { adapter }));
    adapter.failures.push(osError(code));
    await expect(store.update((d) => void d.items.push('x'))).rejects.toThrow(`Could not save things: ${words} (${code}) at ${file}`);
    expect(store.data.items).toEqual([]);
  });

  it('a real failing rename (a folder where the file goes: works as root, unlike chmod) is refused the same way', async () => {
    const dir = await makeTempDir();
    const file = join(dir, 'things.json');
    const { store } = await openJsonStore(options(file));
    await store.update((d) => void d.items.push('good'));
    await rm(file);
    await mkdir(file); // rename(temp, file) now fails with EISDIR
    const error = await store.update((d) => void d.items.push('lost')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageWriteError);
    expect((error as StorageWriteError).code).toBe('EISDIR');
    expect((error as StorageWriteError).message).toContain('a folder is in the way');
    expect(store.data.items).toEqual(['good']);
    // The half-done temp file is cleaned up.
    expect((await readdir(dir)).sort()).toEqual(['things.json']);
  });

  it('a mutator that throws changes nothing and writes nothing; the error reaches only its caller', async () => {
    const file = join(await makeTempDir(), 'things.json');
    const adapter = new FaultyJsonFile(file);
    const { store } = await openJsonStore(options(file, { adapter }));
    const boom = new Error('boom');
    const failing = store.update((d) => {
      d.items.push('half-done');
      throw boom;
    });
    const fine = store.update((d) => void d.items.push('fine'));
    await expect(failing).rejects.toBe(boom);
    await fine;
    expect(store.data.items).toEqual(['fine']);
    expect(adapter.writes).toBe(1);
  });

  it('refuses an async mutator', async () => {
    const { store } = await openJsonStore(options(join(await makeTempDir(), 'things.json')));
    await expect(store.update(async (d) => void d.items.push('late'))).rejects.toThrow(/synchronous/);
    expect(store.data.items).toEqual([]);
  });

  it('refuses data that breaks its own shape (a programming error) before it reaches the disk', async () => {
    const file = join(await makeTempDir(), 'things.json');
    const adapter = new FaultyJsonFile(file);
    const { store } = await openJsonStore(options(file, { adapter }));
    await expect(store.update((d) => void (d.items as unknown[]).push(42))).rejects.toBeInstanceOf(StorageDataError);
    expect(adapter.writes).toBe(0);
    expect(store.data.items).toEqual([]);
  });

  it('serializes writes: one at a time, in call order, each caller seeing the previous result', async () => {
    const file = join(await makeTempDir(), 'things.json');
    const adapter = new FaultyJsonFile(file);
    adapter.holdMs = 2;
    const { store } = await openJsonStore(options(file, { adapter }));
    const seen = await Promise.all(
      Array.from({ length: 15 }, (_, i) =>
        store.update((d) => {
          d.items.push(String(i));
          return d.items.length;
        }),
      ),
    );
    expect(seen).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    expect(adapter.maxInFlight).toBe(1);
    expect(adapter.writes).toBe(15);
    expect((await readJson(file)) as Things).toEqual({ schemaVersion: 1, items: Array.from({ length: 15 }, (_, i) => String(i)) });
  });

  it('matches a model under any sequence of successes and failures (property)', async () => {
    const dir = await makeTempDir();
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ value: fc.string({ maxLength: 5 }), fail: fc.boolean() }), { maxLength: 12 }), async (ops) => {
        const file = join(dir, `p${run++}.json`);
        const adapter = new FaultyJsonFile(file);
        const { store } = await openJsonStore(options(file, { adapter }));
        for (const op of ops) adapter.failures.push(op.fail ? osError('ENOSPC') : null);
        const settled = await Promise.allSettled(ops.map((op) => store.update((d) => void d.items.push(op.value))));
        const model = ops.filter((op) => !op.fail).map((op) => op.value);
        expect(settled.map((s) => s.status)).toEqual(ops.map((op) => (op.fail ? 'rejected' : 'fulfilled')));
        expect(store.data.items).toEqual(model);
        if (model.length > 0) expect(((await readJson(file)) as Things).items).toEqual(model);
      }),
      { numRuns: 40 },
    );
  });
});

describe('JsonStore batching', () => {
  it('coalesces many updates into one write; every promise resolves once its data is on disk; order kept', async () => {
    const file = join(await makeTempDir(), 'things.json');
    const adapter = new FaultyJsonFile(file);
    const { store } = await openJsonStore(options(file, { adapter, batchMs: 5 }));
    const onDiskWhenResolved: boolean[] = [];
    const updates = Array.from({ length: 50 }, (_, i) =>
      store
        .update((d) => void d.items.push(`n${i}`))
        .then(async () => {
          const disk = (await readJson(file)) as Things;
          onDiskWhenResolved.push(disk.items.includes(`n${i}`));
        }),
    );
    await Promise.all(updates);
    expect(adapter.writes).toBe(1);
    expect(onDiskWhenResolved).toEqual(Array(50).fill(true));
    expect(store.data.items).toEqual(Array.from({ length: 50 }, (_, i) => `n${i}`));
  });

  it('a failed batched write fails every caller in the batch and keeps the last good state', async () => {
    const file = join(await makeTempDir(), 'things.json');
    const adapter = new FaultyJsonFile(file);
    const { store } = await openJsonStore(options(file, { adapter, batchMs: 5 }));
    await store.update((d) => void d.items.push('good'));
    adapter.failures.push(osError('ENOSPC'));
    const settled = await Promise.allSettled([1, 2, 3].map((n) => store.update((d) => void d.items.push(`lost${n}`))));
    expect(settled.every((s) => s.status === 'rejected' && s.reason instanceof StorageWriteError)).toBe(true);
    expect(store.data.items).toEqual(['good']);
    expect(((await readJson(file)) as Things).items).toEqual(['good']);
  });

  it('flush() writes a pending batch now', async () => {
    const file = join(await makeTempDir(), 'things.json');
    const { store } = await openJsonStore(options(file, { batchMs: 60 * 60 * 1000 }));
    let resolved = false;
    const pending = store.update((d) => void d.items.push('x')).then(() => (resolved = true));
    await store.flush();
    expect(resolved).toBe(true);
    expect(((await readJson(file)) as Things).items).toEqual(['x']);
    await pending;
  });

  it('close() writes what is pending, then refuses further updates', async () => {
    const file = join(await makeTempDir(), 'things.json');
    const { store } = await openJsonStore(options(file, { batchMs: 60 * 60 * 1000 }));
    const pending = store.update((d) => void d.items.push('last'));
    await store.close();
    await pending;
    expect(((await readJson(file)) as Things).items).toEqual(['last']);
    await expect(store.update((d) => void d.items.push('too late'))).rejects.toBeInstanceOf(StorageClosedError);
  });
});
