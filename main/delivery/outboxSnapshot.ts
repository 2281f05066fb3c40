// Writing an outbox snapshot file: the header, every unfinished delivery in enqueue order, the end
// marker, each a framed record, then fsynced and read back whole. Where it is written (a temp file
// renamed over the old snapshot) and when (compaction) is outbox.ts's.
import { appendDurably, scanJsonLines } from './files';
import type { StorageFs } from './files';
import { frameRecord } from './framing';
import type { Delivery, SnapshotHeader } from './outboxRecords';

/** Writes a fresh snapshot at path (which must not exist) and checks it; returns its size in bytes. */
export async function writeSnapshotFile(fs: StorageFs, path: string, header: SnapshotHeader, deliveries: readonly Delivery[]): Promise<number> {
  await fs.unlink(path).catch(() => undefined);
  const tmp = await fs.open(path, 'wx', 0o600);
  let bytes = 0;
  try {
    let chunk = frameRecord(header);
    for (const d of deliveries) {
      chunk += frameRecord(d);
      if (chunk.length > 256 * 1024) {
        bytes += await appendDurably(tmp, chunk, false);
        chunk = '';
      }
    }
    chunk += frameRecord({ end: true, count: deliveries.length });
    bytes += await appendDurably(tmp, chunk, false);
    await tmp.sync();
  } finally {
    await tmp.close();
  }
  await verifySnapshot(path, header);
  return bytes;
}

/** Reads a written snapshot back: every record whole, the count and end marker right. */
async function verifySnapshot(path: string, header: SnapshotHeader): Promise<void> {
  let deliveries = 0;
  let sawHeader = false;
  let sawEnd = false;
  const scan = await scanJsonLines<Record<string, unknown>>(path, (r) => {
    if (r.kind === 'outbox-snapshot') sawHeader = r.gen === header.gen;
    else if (r.end === true) sawEnd = r.count === header.count;
    else deliveries++;
  });
  if (!sawHeader || !sawEnd || deliveries !== header.count || scan.badLines > 0 || scan.tornTail) {
    throw new Error(`the new outbox snapshot did not read back whole (${deliveries} of ${header.count} records, ${scan.badLines} damaged)`);
  }
}
