// Reading an outbox folder at open: the snapshot record by record (a damaged one is counted, reported and
// a copy of the file kept beside it), then every journal from the snapshot's generation on, in order,
// skipping torn or damaged records. Every record read is handed to the outbox to apply; what to do with
// the result (in-flight becomes pending, the compaction at open) stays in outbox.ts.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { scanJsonLines } from './files';
import type { StorageFs } from './files';
import { JOURNAL_PATTERN, READABLE_SNAPSHOT_VERSIONS, SNAPSHOT_FILE, isDeliveryRecord } from './outboxRecords';
import type { JournalRecord, SnapshotHeader } from './outboxRecords';
import type { Logger } from './types';

/** The newest journal read, and where its last whole record ends. */
export interface NewestJournal {
  path: string;
  gen: number;
  goodEnd: number;
  bytes: number;
}

/** What recovery fills in of the outbox's open report. */
export interface RecoveryReport {
  tornTail: boolean;
  badLines: number;
  snapshotMovedAside?: string;
  unreadableRecords: number;
}

export async function readOutboxFiles(
  io: { dir: string; fs: StorageFs; now: () => number; logger: Logger },
  target: { header(header: SnapshotHeader): void; apply(record: JournalRecord): void },
  report: RecoveryReport,
): Promise<{ header: SnapshotHeader | undefined; fromGen: number; newest: NewestJournal | undefined; maxJournalGen: number }> {
  const snapshotPath = join(io.dir, SNAPSHOT_FILE);
  // The snapshot, record by record: a damaged record costs only itself.
  let header: SnapshotHeader | undefined;
  let end: { count?: unknown } | undefined;
  let body = 0;
  let strays = 0;
  const snap = await scanJsonLines<Record<string, unknown>>(snapshotPath, (r) => {
    if (r.kind === 'outbox-snapshot' && header === undefined && body === 0) {
      header = r as unknown as SnapshotHeader;
      target.header(header);
    } else if (r.end === true) {
      end = r;
    } else if (isDeliveryRecord(r)) {
      body++;
      target.apply({ t: 'enq', d: r });
    } else {
      strays++;
    }
  });
  let fromGen = 0;
  if (!snap.missing && snap.bytes > 0) {
    const damaged = snap.badLines + (snap.tornTail ? 1 : 0) + strays;
    const complete =
      header !== undefined && READABLE_SNAPSHOT_VERSIONS.includes(header.version) && end !== undefined && end.count === header.count && body === header.count && damaged === 0;
    if (complete && header) {
      fromGen = header.gen;
    } else {
      // Keep what could be read; keep a copy of the file; replay every journal there is (a lost header
      // means the snapshot's generation is unknown; replay is idempotent).
      const expected = typeof header?.count === 'number' ? header.count : typeof end?.count === 'number' ? end.count : undefined;
      report.unreadableRecords = expected !== undefined ? Math.max(expected - body, damaged) : Math.max(damaged, 1);
      const aside = join(io.dir, `outbox-snapshot.unreadable-${io.now()}.jsonl`);
      try {
        await io.fs.copyFile(snapshotPath, aside);
        report.snapshotMovedAside = aside;
      } catch (error) {
        io.logger('warn', `Delivery outbox: could not keep a copy of the damaged snapshot at ${aside}: ${String(error)}`);
      }
      io.logger(
        'error',
        `Delivery outbox snapshot is damaged: ${body} callback(s) recovered, ${report.unreadableRecords} record(s) unreadable` +
          (report.snapshotMovedAside ? `; a copy is at ${report.snapshotMovedAside}` : ''),
      );
    }
  }

  const journals = (await readdir(io.dir))
    .map((name) => ({ name, m: JOURNAL_PATTERN.exec(name) }))
    .filter((j) => j.m !== null)
    .map((j) => ({ name: j.name, gen: Number((j.m as RegExpExecArray)[1]) }))
    .filter((j) => j.gen >= fromGen)
    .sort((a, b) => a.gen - b.gen);
  let newest: NewestJournal | undefined;
  let maxJournalGen = 0;
  for (const j of journals) {
    const path = join(io.dir, j.name);
    const scan = await scanJsonLines<JournalRecord>(path, (record) => {
      if (record && typeof record === 'object' && 't' in record) target.apply(record);
      else report.badLines++;
    });
    report.badLines += scan.badLines;
    if (scan.tornTail) report.tornTail = true;
    maxJournalGen = Math.max(maxJournalGen, j.gen);
    newest = { path, gen: j.gen, goodEnd: scan.goodEnd, bytes: scan.bytes };
  }
  return { header, fromGen, newest, maxJournalGen };
}
