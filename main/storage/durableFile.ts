// The lowdb adapter every JSON data file is written through. lowdb's own JSONFile writes a temp file
// and renames it, without fsync: after a power cut the rename may be on disk before the data, leaving
// an empty file. Here a write is:
//   remove a stale temp file → create `.NAME.tmp` with O_EXCL and mode 0600 → write → fsync →
//   close → rename over NAME → fsync the folder (so the rename itself is durable).
// A failure at any step removes the temp file and leaves NAME as it was. The fs functions are injected
// so tests can spy on their order and make any step fail.
import * as fsp from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Adapter } from 'lowdb';

interface DurableHandle {
  writeFile(data: string): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** The few fs functions the adapter uses (node:fs/promises by default). */
export interface DurableFs {
  readFile(path: string, encoding: 'utf-8'): Promise<string>;
  open(path: string, flags: string, mode?: number): Promise<DurableHandle>;
  rename(from: string, to: string): Promise<void>;
  rm(path: string, options: { force: boolean }): Promise<void>;
}

const nodeDurableFs: DurableFs = {
  readFile: (path, encoding) => fsp.readFile(path, encoding),
  open: (path, flags, mode) => fsp.open(path, flags, mode),
  rename: (from, to) => fsp.rename(from, to),
  rm: (path, options) => fsp.rm(path, options),
};

/** Mode of every data file and temp file: readable and writable by the owner only. */
const DATA_FILE_MODE = 0o600;

interface DurableJsonFileOptions {
  fs?: DurableFs;
  /** Default 0o600. */
  mode?: number;
}

/** `.NAME.tmp` beside NAME (the name lowdb's writer used, so leftovers of either are found). */
function tempPathOf(file: string): string {
  return join(dirname(file), `.${basename(file)}.tmp`);
}

/** The one fs function a folder fsync needs (both DurableFs and the outbox's StorageFs have it). */
interface FolderSyncFs {
  open(path: string, flags: string): Promise<{ sync(): Promise<void>; close(): Promise<void> }>;
}

/**
 * Makes a rename or unlink in `dir` durable (Linux, macOS). Windows cannot open a folder: skipped there.
 * Used by the JSON data files here and by the outbox journal and history segments (delivery/files.ts).
 */
export async function fsyncFolder(dir: string, fs: FolderSyncFs = nodeDurableFs): Promise<void> {
  let handle: { sync(): Promise<void>; close(): Promise<void> } | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch (error) {
    // EISDIR/EPERM on Windows (a folder cannot be opened or synced there); elsewhere a real failure.
    const code = (error as NodeJS.ErrnoException).code;
    if (process.platform !== 'win32' && code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL') throw error;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** Writes `text` to `file` durably and atomically (see the file comment). */
async function writeFileDurably(file: string, text: string, options: DurableJsonFileOptions = {}): Promise<void> {
  const fs = options.fs ?? nodeDurableFs;
  const tmp = tempPathOf(file);
  // O_EXCL after removing a leftover: the mode applies only to a file we create, never to an old one.
  await fs.rm(tmp, { force: true });
  let renamed = false;
  try {
    const handle = await fs.open(tmp, 'wx', options.mode ?? DATA_FILE_MODE);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
    renamed = true;
  } finally {
    if (!renamed) await fs.rm(tmp, { force: true }).catch(() => undefined);
  }
  await fsyncFolder(dirname(file), fs);
}

export class DurableJsonFile<T> implements Adapter<T> {
  readonly #file: string;
  readonly #options: DurableJsonFileOptions;

  constructor(file: string, options: DurableJsonFileOptions = {}) {
    this.#file = file;
    this.#options = options;
  }

  /** null for a missing file; a SyntaxError for one that is not JSON (as lowdb's JSONFile does). */
  async read(): Promise<T | null> {
    let text: string;
    try {
      text = await (this.#options.fs ?? nodeDurableFs).readFile(this.#file, 'utf-8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    return JSON.parse(text) as T;
  }

  write(data: T): Promise<void> {
    return writeFileDurably(this.#file, JSON.stringify(data, null, 2), this.#options);
  }
}
