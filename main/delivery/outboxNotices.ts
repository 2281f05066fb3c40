// The sentences a person sees about the outbox's disk: changes that cannot be saved (disk full, I/O
// error) and a damaged snapshot found at open. Plain functions; the composition root shows them.
import { describeSaveProblem } from './outbox';
import type { OpenReport, SaveProblem } from './outbox';
import type { NoticeLevel } from '../../preload/contract/vocabulary';

type Notice = (level: NoticeLevel, message: string) => void;

/** An onSaveProblem listener: one banner when saving stops working, one when it works again. */
export function saveProblemNotices(notice: Notice): (problem: SaveProblem | undefined) => void {
  let shown = false;
  return (problem) => {
    if (problem && !shown) {
      shown = true;
      notice('error', describeSaveProblem(problem));
    } else if (!problem && shown) {
      shown = false;
      notice('info', 'The disk takes writes again: every status change that was waiting in memory is saved.');
    }
  };
}

/** The banner for a damaged outbox snapshot, or undefined when nothing was lost. */
export function describeOutboxDamage(report: OpenReport): string | undefined {
  if (report.unreadableRecords <= 0) return undefined;
  const copy = report.snapshotMovedAside ? ` A copy of the damaged file is at ${report.snapshotMovedAside}.` : '';
  return (
    `The delivery outbox file was damaged: ${report.unreadableRecords} waiting callback record(s) could not be read and will not be sent; ` +
    `${report.recovered} callback(s) were recovered and will be sent.${copy}`
  );
}
