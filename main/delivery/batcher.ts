// Group commit for append-only files: every chunk pushed within `windowMs` of the first one (with a
// window of 0, in the same turn of the event loop) goes out in ONE write (and one datasync); every
// caller's promise settles when its chunk is on disk (or the write failed). Writes never overlap:
// chunks pushed while a write is running form the next batch, which starts as soon as the running one
// ends (those chunks have already waited long enough).
import type { Timers } from './types';

/** One promise for every chunk of a batch: they all reach the disk (or fail) together. */
interface Batch {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A run at the end of this turn of the event loop (setImmediate), cancellable like a timer. */
class Immediately {
  private readonly handle: NodeJS.Immediate;
  constructor(fn: () => void) {
    this.handle = setImmediate(fn);
  }
  cancel(): void {
    clearImmediate(this.handle);
  }
}

export interface WriteBatcherOptions {
  windowMs: number;
  timers: Timers;
  /** Writes one batch, in push order. Must not be called concurrently (the batcher guarantees it). */
  write: (chunks: string[]) => Promise<void>;
}

export class WriteBatcher {
  private chunks: string[] = [];
  private batch: Batch | undefined;
  private timer: unknown = undefined;
  private writing: Promise<void> | undefined;
  private readonly windowMs: number;
  private readonly timers: Timers;
  private readonly writeBatch: (chunks: string[]) => Promise<void>;

  constructor({ windowMs, timers, write }: WriteBatcherOptions) {
    this.windowMs = Math.max(0, windowMs);
    this.timers = timers;
    this.writeBatch = write;
  }

  /** Number of chunks waiting for the next write. */
  get queued(): number {
    return this.chunks.length;
  }

  /** Resolves when this chunk is on disk. Chunks of one batch share the promise (no allocation per chunk). */
  push(chunk: string): Promise<void> {
    this.chunks.push(chunk);
    const batch = (this.batch ??= newBatch());
    if (!this.writing && this.timer === undefined) {
      const go = (): void => {
        this.timer = undefined;
        this.kick();
      };
      // No window: once the current turn of the event loop is done (what it pushed goes together),
      // not a timer's millisecond later. A window: that many ms on the given timers.
      this.timer = this.windowMs === 0 ? new Immediately(go) : this.timers.setTimeout(go, this.windowMs);
    }
    return batch.promise;
  }

  /** Writes whatever is queued now, without waiting for the window; resolves when all of it is written. */
  async flush(): Promise<void> {
    for (;;) {
      if (this.writing) {
        await this.writing.catch(() => undefined);
        continue;
      }
      if (this.chunks.length === 0) return;
      if (this.timer !== undefined) {
        this.cancelTimer(this.timer);
        this.timer = undefined;
      }
      this.kick();
    }
  }

  private cancelTimer(timer: unknown): void {
    if (timer instanceof Immediately) timer.cancel();
    else this.timers.clearTimeout(timer);
  }

  private kick(): void {
    if (this.writing || this.chunks.length === 0) return;
    const chunks = this.chunks;
    const batch = this.batch as Batch;
    this.chunks = [];
    this.batch = undefined;
    const run = (async () => {
      try {
        await this.writeBatch(chunks);
        batch.resolve();
      } catch (error) {
        batch.reject(error);
      }
    })();
    this.writing = run;
    void run.finally(() => {
      this.writing = undefined;
      // Whatever arrived during the write has waited at least as long as the window: go now.
      if (this.chunks.length > 0 && this.timer === undefined) this.kick();
    });
  }
}
