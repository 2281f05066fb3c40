// Test doubles for the storage layer: a real JSONFile whose writes can be made to fail (ENOSPC,
// EACCES…) on demand — chmod does not stop root, which is who runs CI — and a logger that records.
import { JSONFile } from 'lowdb/node';
import type { Logger, LogLevel } from '../../main/log';

export function osError(code: string, message = `${code}: simulated`): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

export class FaultyJsonFile extends JSONFile<unknown> {
  /** Each write takes the next entry: an error to throw, or null to write for real. Empty: write. */
  readonly failures: (NodeJS.ErrnoException | null)[] = [];
  writes = 0;
  inFlight = 0;
  maxInFlight = 0;
  /** Hold each write open for a few ms so overlapping writes would show in maxInFlight. */
  holdMs = 0;

  override async write(data: unknown): Promise<void> {
    this.writes++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.holdMs > 0) await new Promise((resolve) => setTimeout(resolve, this.holdMs));
      const failure = this.failures.shift();
      if (failure) throw failure;
      await super.write(data);
    } finally {
      this.inFlight--;
    }
  }
}

export interface RecordingLogger {
  log: Logger;
  lines: { level: LogLevel; message: string }[];
}

export function recordingLogger(): RecordingLogger {
  const lines: { level: LogLevel; message: string }[] = [];
  return { log: (level, message) => lines.push({ level, message }), lines };
}
