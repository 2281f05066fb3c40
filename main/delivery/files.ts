// Small file helpers shared by the outbox journal and the history segments.
import { open, readFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

/** Makes a rename/unlink in `dir` durable (Linux, macOS). Windows cannot open a folder: skipped there. */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // EISDIR/EPERM on Windows; nothing more we can do.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

export interface ParsedLines<T> {
  records: T[];
  /** The file ended in a line without its newline that did not parse: a write torn by a crash. */
  tornTail: boolean;
  /** Complete lines that did not parse (should not happen; counted and reported). */
  badLines: number;
}

/** Reads a JSON-lines file, tolerating a torn last line. A missing file reads as empty. */
export async function readJsonLines<T>(path: string): Promise<ParsedLines<T>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], tornTail: false, badLines: 0 };
    throw error;
  }
  return parseJsonLines<T>(text);
}

export function parseJsonLines<T>(text: string): ParsedLines<T> {
  const records: T[] = [];
  let tornTail = false;
  let badLines = 0;
  const lines = text.split('\n');
  const endsWithNewline = text.endsWith('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '') continue;
    const isLast = i === lines.length - 1 && !endsWithNewline;
    try {
      records.push(JSON.parse(line) as T);
    } catch {
      if (isLast) tornTail = true;
      else badLines++;
    }
  }
  return { records, tornTail, badLines };
}

/** Writes all of `data` at the end of an append-mode handle, then (optionally) datasyncs. */
export async function appendDurably(handle: FileHandle, data: string, sync: boolean): Promise<number> {
  const buffer = Buffer.from(data, 'utf8');
  let offset = 0;
  while (offset < buffer.length) {
    const { bytesWritten } = await handle.write(buffer, offset, buffer.length - offset);
    offset += bytesWritten;
  }
  if (sync) await handle.datasync();
  return buffer.length;
}
