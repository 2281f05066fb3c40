// Self-delimiting, checked records for the append-only files (outbox journal and snapshot): whatever
// JSON record the caller gives is written as one line
//
//   RS "F1" SP <byte length of the JSON> SP <CRC-32 of the JSON, 8 hex digits> SP <JSON> LF
//
// RS is the ASCII record separator (0x1E, as in JSON text sequences). JSON.stringify never emits a raw
// control character, so an RS byte inside a file always starts a record: a record torn by a full disk or
// a crash and glued to the next one loses only itself, and the reader finds the next record at its RS.
// The length and checksum catch a torn or damaged record even when its bytes still parse as JSON.
// "F1" is the framing version. Lines that start with "{" are the older unframed format (one JSON
// record per line) and are still read: recovery rewrites them framed (outbox.ts compacts at open).
import { crc32 } from 'node:zlib';

const RS = 0x1e;
const FRAME_VERSION = 'F1';

/** One framed line (with its LF) for a record given as JSON text. */
export function frameJson(json: string): string {
  // Length and CRC-32 of the UTF-8 bytes, computed from the string (no Buffer per record).
  return `\x1e${FRAME_VERSION} ${Buffer.byteLength(json, 'utf8')} ${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
}

export function frameRecord(value: unknown): string {
  return frameJson(JSON.stringify(value));
}

export type Decoded<T> = { ok: true; value: T; framed: boolean } | { ok: false };

/** Checks one framed record (starting at its RS, without the LF) and parses its JSON. */
function decodeFrame<T>(piece: Buffer): Decoded<T> {
  // RS F 1 SP len SP crc SP json
  if (piece.length < 4 || piece[0] !== RS || piece.toString('latin1', 1, 3) !== FRAME_VERSION || piece[3] !== 0x20) return { ok: false };
  const lenEnd = piece.indexOf(0x20, 4);
  if (lenEnd < 0) return { ok: false };
  const crcEnd = lenEnd + 9;
  if (piece[crcEnd] !== 0x20) return { ok: false };
  const length = Number(piece.toString('latin1', 4, lenEnd));
  const crc = piece.toString('latin1', lenEnd + 1, crcEnd);
  const json = piece.subarray(crcEnd + 1);
  if (!Number.isSafeInteger(length) || json.length !== length) return { ok: false };
  if (!/^[0-9a-f]{8}$/.test(crc) || parseInt(crc, 16) !== crc32(json)) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(json.toString('utf8')) as T, framed: true };
  } catch {
    return { ok: false };
  }
}

/**
 * Decodes one line (without its LF): framed records (one, or several when a torn record was glued to
 * the next), or one record in the older unframed format. Answers what it found, in order, and how many
 * pieces were damaged.
 */
export function decodeLine<T>(line: Buffer): { records: T[]; bad: number; lastBad: boolean } {
  const records: T[] = [];
  let bad = 0;
  let lastBad = false;
  const first = line.indexOf(RS);
  if (first < 0) {
    // The older unframed format (or garbage): the whole line is one JSON record.
    const text = line.toString('utf8');
    if (text.trim() === '') return { records, bad, lastBad };
    try {
      records.push(JSON.parse(text) as T);
    } catch {
      return { records, bad: 1, lastBad: true };
    }
    return { records, bad, lastBad };
  }
  if (line.subarray(0, first).toString('utf8').trim() !== '') bad++; // torn bytes before the first record
  let start = first;
  while (start >= 0) {
    const next = line.indexOf(RS, start + 1);
    const piece = line.subarray(start, next < 0 ? line.length : next);
    const decoded = decodeFrame<T>(piece);
    if (decoded.ok) {
      records.push(decoded.value);
      lastBad = false;
    } else {
      bad++;
      lastBad = true;
    }
    start = next;
  }
  return { records, bad, lastBad };
}
