// The one clock type: injectable time, so tests drive debounce, backoff and retries without sleeping.
// Plain Node.

export interface Clock {
  /** Wall-clock epoch ms: for what people read, payloads, and deadlines stored across restarts. */
  now(): number;
  /**
   * Monotonic ms (any origin; never stepped by NTP or a person changing the time): for every in-process duration
   * (holds, TTLs, retry delays, settle windows). Timers (setTimeout) run on it. Without it, now() is used.
   */
  monotonic?(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export function monotonicNow(clock: Clock): number {
  return clock.monotonic ? clock.monotonic() : clock.now();
}

/**
 * The longest delay a Node timer holds (2^31 - 1 ms, about 24.8 days). A longer one runs after 1 ms
 * instead: a timer for a time further away must be asked for in steps of at most this.
 */
const MAX_TIMER_MS = 2_147_483_647;

/** A delay Node's timers keep: never negative, never past MAX_TIMER_MS (the caller looks again when it runs). */
export function timerDelay(ms: number): number {
  return Math.max(0, Math.min(ms, MAX_TIMER_MS));
}

/** Only setTimeout/clearTimeout, for pieces that never read the time. */
export type Timers = Pick<Clock, 'setTimeout' | 'clearTimeout'>;

export const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
