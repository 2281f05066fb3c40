// The lowdb adapter every data file is written through: temp file created 0600, fsynced, renamed into
// place, then the folder fsynced — in that order, so a power cut leaves the old file or the new one.
import * as fsp from 'node:fs/promises';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DurableJsonFile } from '../../main/storage/durableFile';
import type { DurableFs } from '../../main/storage/durableFile';
import { openJsonStore, zodValidator } from '../../main/storage/jsonStore';
import { makeTempDir } from '../support/tmp';

/** Real fs calls, each one noted in `log` as it happens. */
function spyFs(log: string[], dir: string): DurableFs {
  const rel = (p: string) => (p === dir ? '<dir>' : p.slice(dir.length + 1));
  return {
    readFile: (path, encoding) => fsp.readFile(path, encoding),
    rm: async (path, options) => {
      log.push(`rm ${rel(path)}`);
      await fsp.rm(path, options);
    },
    rename: async (from, to) => {
      log.push(`rename ${rel(from)} -> ${rel(to)}`);
      await fsp.rename(from, to);
    },
    open: async (path, flags, mode) => {
      log.push(`open ${rel(path)} ${flags}${mode !== undefined ? ` 0${mode.toString(8)}` : ''}`);
      const handle = await fsp.open(path, flags, mode);
      return {
        writeFile: async (data: string) => {
          log.push(`write ${rel(path)}`);
          await handle.writeFile(data);
        },
        sync: async () => {
          log.push(`fsync ${rel(path)}`);
          await handle.sync();
        },
        close: async () => {
          log.push(`close ${rel(path)}`);
          await handle.close();
        },
      };
    },
  };
}

describe('DurableJsonFile (the lowdb adapter for data files)', () => {
  it('writes a 0600 temp file, fsyncs it, renames it into place, then fsyncs the folder', async () => {
    const dir = await makeTempDir();
    const file = join(dir, 'things.json');
    const log: string[] = [];
    const adapter = new DurableJsonFile<{ a: number }>(file, { fs: spyFs(log, dir) });
    await adapter.write({ a: 1 });
    expect(log).toEqual([
      'rm .things.json.tmp',
      'open .things.json.tmp wx 0600',
      'write .things.json.tmp',
      'fsync .things.json.tmp',
      'close .things.json.tmp',
      'rename .things.json.tmp -> things.json',
      'open <dir> r',
      'fsync <dir>',
      'close <dir>',
    ]);
    expect(JSON.parse(await readFile(file, 'utf-8'))).toEqual({ a: 1 });
    expect(await adapter.read()).toEqual({ a: 1 });
  });

  it('creates the file 0600 even when a stale temp file with wider permissions is lying there', async () => {
    if (process.platform === 'win32') return;
    const dir = await makeTempDir();
    const file = join(dir, 'things.json');
    await writeFile(join(dir, '.things.json.tmp'), 'half', { mode: 0o666 });
    await new DurableJsonFile(file).write({ a: 2 });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('a failed fsync leaves the old file in place and no temp file', async () => {
    const dir = await makeTempDir();
    const file = join(dir, 'things.json');
    await new DurableJsonFile(file).write({ a: 1 });
    const log: string[] = [];
    const real = spyFs(log, dir);
    const failing: DurableFs = {
      ...real,
      open: async (path, flags, mode) => {
        const h = await real.open(path, flags, mode);
        return { ...h, sync: () => Promise.reject(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' })) };
      },
    };
    await expect(new DurableJsonFile(file, { fs: failing }).write({ a: 9 })).rejects.toMatchObject({ code: 'EIO' });
    expect(JSON.parse(await readFile(file, 'utf-8'))).toEqual({ a: 1 });
    expect(log).not.toContain('rename .things.json.tmp -> things.json');
    await expect(stat(join(dir, '.things.json.tmp'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('reads a missing file as null and a corrupt one as a SyntaxError (what the store expects)', async () => {
    const dir = await makeTempDir();
    const file = join(dir, 'things.json');
    expect(await new DurableJsonFile(file).read()).toBeNull();
    await writeFile(file, '{"a":');
    await expect(new DurableJsonFile(file).read()).rejects.toBeInstanceOf(SyntaxError);
  });
});

describe('openJsonStore writes through the durable adapter by default', () => {
  it('every data file it writes has mode 0600', async () => {
    if (process.platform === 'win32') return;
    const dir = await makeTempDir();
    const file = join(dir, 'things.json');
    const { store } = await openJsonStore({
      file,
      defaults: { schemaVersion: 1, items: [] as string[] },
      version: 1,
      validate: zodValidator(z.object({ schemaVersion: z.number(), items: z.array(z.string()) })),
      logger: () => undefined,
    });
    await store.update((d) => {
      d.items.push('x');
    });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });
});
