// When to try again. Pure functions, so the rules are tested without any I/O.

/**
 * Delay before each attempt: attempt 1 at once, then 5 s, 30 s, 2 min, 10 min, 30 min, 1 h after the
 * previous attempt, and then the last step again (capped at DEFAULT_MAX_INTERVAL_MS) until the retry
 * horizon is used up; then the delivery is failed.
 */
export const DEFAULT_SCHEDULE_MS: readonly number[] = [0, 5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000];
export const DEFAULT_JITTER = 0.2;
/** No wait between two tries is longer than this (jitter included). */
export const DEFAULT_MAX_INTERVAL_MS = 3_600_000;
/**
 * How long a callback is retried: the sum of the waits between its tries (as planned: time the webhook
 * was paused, disabled or waiting for its secret beyond that does not count). Default 3 days.
 */
export const DEFAULT_RETRY_HORIZON_MS = 3 * 24 * 3_600_000;
/**
 * The most a Retry-After can push one retry out. A lane is strictly ordered, so a retry that waits
 * also holds back every later event of that device: an endpoint saying "come back in a week" (or a
 * buggy date) must not silence a device for a week. One hour is longer than any schedule step but
 * the last, so a server's reasonable request is always honoured, and the delivery still finishes
 * its attempts within a bounded time (schedule + at most 1 h per attempt).
 */
export const DEFAULT_MAX_RETRY_AFTER_MS = 3_600_000;

/**
 * The delay before attempt `attemptsDone + 1`, jittered by ±jitter using r in [0, 1), or undefined
 * when the schedule is used up.
 */
export function scheduledDelay(attemptsDone: number, schedule: readonly number[], jitter: number, r: number): number | undefined {
  if (attemptsDone >= schedule.length) return undefined;
  const base = schedule[attemptsDone] as number;
  const clamped = Math.min(Math.max(r, 0), 1);
  return Math.max(0, Math.round(base * (1 + jitter * (2 * clamped - 1))));
}

/** Retry-After as delay-seconds or an HTTP-date, in ms from now; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // An HTTP-date (IMF-fixdate, or the obsolete forms Date.parse also reads). Require a letter so a
  // bare "1.5" or "-3" is not read as a year.
  if (!/[a-z]/i.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

interface NextAttemptInput {
  attemptsDone: number;
  /** Default DEFAULT_SCHEDULE_MS; past its end its last step repeats. */
  schedule?: readonly number[];
  jitter: number;
  r: number;
  status?: number;
  retryAfter?: string;
  nowMs: number;
  maxRetryAfterMs: number;
  /** Default DEFAULT_MAX_INTERVAL_MS. */
  maxIntervalMs?: number;
  /** Waiting time already counted towards the horizon for this delivery. Default 0. */
  retriedMs?: number;
  /** Default DEFAULT_RETRY_HORIZON_MS. */
  horizonMs?: number;
}

/**
 * Delay before the next attempt, or undefined when there is none (the next wait would take the
 * delivery past its retry horizon). On 429 and 503 the larger of the jittered schedule and Retry-After
 * (capped at maxRetryAfterMs) wins: the server may ask us to wait longer, never to hurry. No wait is
 * longer than maxIntervalMs.
 */
export function nextDelay(input: NextAttemptInput): number | undefined {
  const schedule = input.schedule && input.schedule.length > 0 ? input.schedule : DEFAULT_SCHEDULE_MS;
  const step = Math.min(input.attemptsDone, schedule.length - 1);
  let delay = scheduledDelay(step, schedule, input.jitter, input.r) ?? 0;
  if (input.status === 429 || input.status === 503) {
    const asked = parseRetryAfter(input.retryAfter, input.nowMs);
    if (asked !== undefined) delay = Math.max(delay, Math.min(asked, input.maxRetryAfterMs));
  }
  delay = Math.min(delay, input.maxIntervalMs ?? DEFAULT_MAX_INTERVAL_MS);
  if ((input.retriedMs ?? 0) + delay > (input.horizonMs ?? DEFAULT_RETRY_HORIZON_MS)) return undefined;
  return delay;
}
