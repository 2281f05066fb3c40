// Group commit for append-only files: every chunk pushed within `windowMs` of the first one goes out
// in ONE write (and one datasync); every caller's promise settles when its chunk is on disk (or the
// write failed). Writes never overlap: chunks pushed while a write is running form the next batch,
// which starts as soon as the running one ends (those chunks have already waited long enough).
import type { Timers } from './types';

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface WriteBatcherOptions {
  windowMs: number;
  timers: Timers;
  /** Writes one batch, in push order. Must not be called concurrently (the batcher guarantees it). */
  write: (chunks: string[]) => Promise<void>;
}

export class WriteBatcher {
  private chunks: string[] = [];
  private waiters: Waiter[] = [];
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

  push(chunk: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.chunks.push(chunk);
      this.waiters.push({ resolve, reject });
      if (!this.writing && this.timer === undefined) {
        this.timer = this.timers.setTimeout(() => {
          this.timer = undefined;
          this.kick();
        }, this.windowMs);
      }
    });
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
        this.timers.clearTimeout(this.timer);
        this.timer = undefined;
      }
      this.kick();
    }
  }

  private kick(): void {
    if (this.writing || this.chunks.length === 0) return;
    const chunks = this.chunks;
    const waiters = this.waiters;
    this.chunks = [];
    this.waiters = [];
    const run = (async () => {
      try {
        await this.writeBatch(chunks);
        for (const w of waiters) w.resolve();
      } catch (error) {
        for (const w of waiters) w.reject(error);
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
