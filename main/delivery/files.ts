// Small file helpers shared by the outbox journal and the history segments: the fs functions they
// write through (injected, so tests can make any write fail with ENOSPC or EIO), durable appends, and
// reading JSON-lines files as a stream, line by line (a file may be larger than one JavaScript string).
import { createReadStream } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { fsyncFolder } from '../storage/durableFile';
import { decodeLine } from './framing';

/** The part of a FileHandle the writers use. */
export interface AppendHandle {
  write(buffer: Buffer, offset: number, length: number): Promise<{ bytesWritten: number }>;
  datasync(): Promise<void>;
  sync(): Promise<void>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

/** Every fs function through which the outbox and the history change the disk. */
export interface StorageFs {
  open(path: string, flags: string, mode?: number): Promise<AppendHandle>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  mkdir(path: string): Promise<void>;
  copyFile(from: string, to: string): Promise<void>;
}

export const nodeStorageFs: StorageFs = {
  open: async (path, flags, mode) => {
    const handle = await fsp.open(path, flags, mode);
    return {
      write: (buffer, offset, length) => handle.write(buffer, offset, length),
      datasync: () => handle.datasync(),
      sync: () => handle.sync(),
      truncate: (length) => handle.truncate(length),
      close: () => handle.close(),
    };
  },
  rename: (from, to) => fsp.rename(from, to),
  unlink: (path) => fsp.unlink(path),
  mkdir: async (path) => {
    await fsp.mkdir(path, { recursive: true });
  },
  copyFile: (from, to) => fsp.copyFile(from, to),
};

/** Makes a rename/unlink in `dir` durable (Linux, macOS); skipped on Windows. */
export function fsyncDir(dir: string, fs: StorageFs = nodeStorageFs): Promise<void> {
  return fsyncFolder(dir, fs);
}

interface ParsedLines<T> {
  records: T[];
  /** The file ended in a line without its newline that did not parse: a write torn by a crash. */
  tornTail: boolean;
  /** Records that did not parse or failed their check, other than a torn tail (counted and reported). */
  badLines: number;
}

interface ScanResult {
  records: number;
  tornTail: boolean;
  badLines: number;
  /** Byte offset just after the last newline: truncating there drops only a torn tail. */
  goodEnd: number;
  /** The file's size in bytes (0 when missing). */
  bytes: number;
  missing: boolean;
}

/**
 * Streams a JSON-lines file (framed records, see framing.ts, or the older one-JSON-per-line format)
 * and hands each record to `onRecord` in order. Never holds more than one line in memory. A torn last
 * line (no newline, does not check) is reported as tornTail; other damage is counted in badLines. A
 * missing file reads as empty.
 */
export async function scanJsonLines<T>(path: string, onRecord: (record: T) => void): Promise<ScanResult> {
  const result: ScanResult = { records: 0, tornTail: false, badLines: 0, goodEnd: 0, bytes: 0, missing: false };
  let carry: Buffer[] = [];
  let carryLength = 0;
  let offset = 0;
  const take = (line: Buffer, endsWithNewline: boolean) => {
    const { records, bad, lastBad } = decodeLine<T>(line);
    for (const r of records) {
      result.records++;
      onRecord(r);
    }
    if (!endsWithNewline && lastBad) {
      result.tornTail = true;
      result.badLines += bad - 1;
    } else {
      result.badLines += bad;
    }
    if (endsWithNewline) result.goodEnd = offset;
  };
  try {
    const stream = createReadStream(path, { highWaterMark: 256 * 1024 });
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let start = 0;
      for (;;) {
        const nl = chunk.indexOf(0x0a, start);
        if (nl < 0) break;
        const part = chunk.subarray(start, nl);
        const line = carryLength > 0 ? Buffer.concat([...carry, part]) : part;
        carry = [];
        carryLength = 0;
        offset += line.length + 1;
        take(line, true);
        start = nl + 1;
      }
      if (start < chunk.length) {
        carry.push(chunk.subarray(start));
        carryLength += chunk.length - start;
      }
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ...result, missing: true };
    throw error;
  }
  if (carryLength > 0) {
    const line = Buffer.concat(carry);
    offset += line.length;
    take(line, false);
  }
  result.bytes = offset;
  return result;
}

/** Reads a whole JSON-lines file into an array (for files bounded in size, like one history segment). */
export async function readJsonLines<T>(path: string): Promise<ParsedLines<T>> {
  const records: T[] = [];
  const scan = await scanJsonLines<T>(path, (r) => records.push(r));
  return { records, tornTail: scan.tornTail, badLines: scan.badLines };
}

/** Writes all of `data` at the end of an append-mode handle, then (optionally) datasyncs. */
export async function appendDurably(handle: AppendHandle, data: string | Buffer, sync: boolean): Promise<number> {
  const buffer = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let offset = 0;
  while (offset < buffer.length) {
    const { bytesWritten } = await handle.write(buffer, offset, buffer.length - offset);
    offset += bytesWritten;
  }
  if (sync) await handle.datasync();
  return buffer.length;
}
