// What the outbox reports when it refuses or cannot save: a full queue, a closed outbox, a save problem
// (disk full, I/O error) and its banner sentence.

export interface OverflowInfo {
  limit: number;
  pending: number;
  webhookId: number;
  udid: string;
  /** How many of this webhook's deliveries have been refused since its queue became full. */
  refusedSinceFull: number;
}

/** Thrown (as a rejection) by enqueue() when the webhook has maxPending unfinished deliveries. */
export class OutboxFullError extends Error {
  readonly code = 'OUTBOX_FULL' as const;
  constructor(
    readonly limit: number,
    readonly webhookId: number,
  ) {
    super(`The delivery queue of webhook ${webhookId} is full (${limit} undelivered callbacks): a new callback for it was refused`);
    this.name = 'OutboxFullError';
  }
}

export class OutboxClosedError extends Error {
  readonly code = 'OUTBOX_CLOSED' as const;
  constructor() {
    super('The delivery outbox is closed');
    this.name = 'OutboxClosedError';
  }
}

export interface SaveProblem {
  /** ENOSPC, EIO, … (undefined when the error had none). */
  code: string | undefined;
  message: string;
  /** Status changes (device and sequence number) with callbacks held in memory, not yet on disk. */
  unsaved: number;
  /** Those callbacks (one per webhook and status change). */
  unsavedCallbacks: number;
  /** Changes of any kind waiting to be written. */
  pendingWrites: number;
  since: number;
}

/** flush() rejects with this while changes cannot be written. */
export class OutboxSaveError extends Error {
  readonly code = 'OUTBOX_SAVE' as const;
  constructor(readonly problem: SaveProblem) {
    super(`The delivery outbox cannot save ${problem.unsavedCallbacks} callback(s): ${problem.message}`);
    this.name = 'OutboxSaveError';
  }
}

/** The banner sentence for a save problem. */
export function describeSaveProblem(problem: SaveProblem): string {
  const what = `${problem.unsaved} status change${problem.unsaved === 1 ? '' : 's'} not yet saved`;
  if (problem.code === 'ENOSPC' || problem.code === 'EDQUOT') return `Disk full: ${what} — free space. They are saved as soon as there is room.`;
  return `Disk error (${problem.code ?? problem.message}): ${what}. DeviceHooks keeps trying to save them.`;
}
