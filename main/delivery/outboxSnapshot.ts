// Writing an outbox snapshot file: the header, every unfinished delivery in enqueue order, the end
// marker, each a framed record, then fsynced and read back whole (byte for byte). Where it is written
// (a temp file renamed over the old snapshot) and when (compaction) is outbox.ts's.
import { createReadStream } from 'node:fs';
import { crc32 } from 'node:zlib';
import { appendDurably } from './files';
import type { StorageFs } from './files';
import { frameRecord } from './framing';
import type { Delivery, SnapshotHeader } from './outboxRecords';

/** Writes a fresh snapshot at path (which must not exist) and checks it; returns its size in bytes. */
export async function writeSnapshotFile(fs: StorageFs, path: string, header: SnapshotHeader, deliveries: readonly Delivery[]): Promise<number> {
  await fs.unlink(path).catch(() => undefined);
  const tmp = await fs.open(path, 'wx', 0o600);
  let bytes = 0;
  // CRC-32 of every byte handed to the disk, to compare with what reads back.
  let crc = 0;
  const write = async (chunk: string): Promise<void> => {
    crc = crc32(chunk, crc);
    bytes += await appendDurably(tmp, chunk, false);
  };
  try {
    let chunk = frameRecord(header);
    for (const d of deliveries) {
      chunk += frameRecord(d);
      if (chunk.length > 256 * 1024) {
        await write(chunk);
        chunk = '';
      }
    }
    chunk += frameRecord({ end: true, count: deliveries.length });
    await write(chunk);
    await tmp.sync();
  } finally {
    await tmp.close();
  }
  await verifySnapshot(path, bytes, crc, deliveries.length);
  return bytes;
}

/**
 * Reads a written snapshot back: the same bytes as were written (its length and CRC-32), so every
 * record, the count and the end marker are whole. Byte for byte rather than record by record: no
 * record is parsed again (a compaction in a storm snapshots thousands of deliveries).
 */
async function verifySnapshot(path: string, written: number, writtenCrc: number, count: number): Promise<void> {
  let bytes = 0;
  let crc = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>) {
    crc = crc32(chunk, crc);
    bytes += chunk.length;
  }
  if (bytes !== written || crc !== writtenCrc) {
    throw new Error(`the new outbox snapshot did not read back whole (${bytes} of ${written} bytes read, ${crc === writtenCrc ? 'same' : 'different'} checksum, ${count} records written)`);
  }
}
