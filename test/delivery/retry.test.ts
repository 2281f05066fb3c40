import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyError, HttpTimeoutError } from '../../main/delivery/http';
import { DEFAULT_SCHEDULE_MS, nextDelay, parseRetryAfter, scheduledDelay } from '../../main/delivery/retry';

describe('retry schedule', () => {
  it('is: at once, 5 s, 30 s, 2 min, 10 min, 30 min, 1 h (then hourly until the retry horizon)', () => {
    expect(DEFAULT_SCHEDULE_MS).toEqual([0, 5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000]);
    expect(scheduledDelay(7, DEFAULT_SCHEDULE_MS, 0.2, 0.5)).toBeUndefined();
  });

  it('keeps every delay within ±20% of the step, reaching both ends', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (done, r) => {
        const base = DEFAULT_SCHEDULE_MS[done] as number;
        const d = scheduledDelay(done, DEFAULT_SCHEDULE_MS, 0.2, r) as number;
        expect(d).toBeGreaterThanOrEqual(Math.floor(base * 0.8));
        expect(d).toBeLessThanOrEqual(Math.ceil(base * 1.2));
      }),
    );
    expect(scheduledDelay(1, DEFAULT_SCHEDULE_MS, 0.2, 0)).toBe(4_000);
    expect(scheduledDelay(1, DEFAULT_SCHEDULE_MS, 0.2, 0.5)).toBe(5_000);
    expect(scheduledDelay(6, DEFAULT_SCHEDULE_MS, 0.2, 0.999_999_9)).toBe(4_320_000);
  });

  it('reads Retry-After as seconds or an HTTP-date, and ignores nonsense', () => {
    const now = Date.UTC(2026, 10, 27, 10, 0, 0);
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Fri, 27 Nov 2026 10:05:00 GMT', now)).toBe(300_000);
    expect(parseRetryAfter('Fri, 27 Nov 2026 09:00:00 GMT', now)).toBe(0);
    for (const bad of [undefined, '', '-5', '1.5', 'soon', 'in 2 minutes']) expect(parseRetryAfter(bad, now)).toBeUndefined();
  });

  it('takes the larger of schedule and Retry-After on 429/503 only, capped', () => {
    const base = { attemptsDone: 1, schedule: DEFAULT_SCHEDULE_MS, jitter: 0, r: 0.5, nowMs: 0, maxRetryAfterMs: 3_600_000 };
    expect(nextDelay({ ...base, status: 503, retryAfter: '60' })).toBe(60_000);
    expect(nextDelay({ ...base, status: 429, retryAfter: '1' })).toBe(5_000);
    expect(nextDelay({ ...base, status: 500, retryAfter: '60' })).toBe(5_000);
    expect(nextDelay({ ...base, status: 503, retryAfter: '999999' })).toBe(3_600_000);
    // Past the schedule: its last step (1 h) again, never more than the 1 h cap; none past the horizon.
    expect(nextDelay({ ...base, attemptsDone: 7, status: 503, retryAfter: '60' })).toBe(3_600_000);
    expect(nextDelay({ ...base, attemptsDone: 8, status: 503, retryAfter: '60', retriedMs: 3 * 24 * 3_600_000 })).toBeUndefined();
  });
});

describe('classifyError', () => {
  const err = (code: string, message = code): Error => Object.assign(new Error(message), { code });
  it.each([
    [err('ENOTFOUND', 'getaddrinfo ENOTFOUND hooks.example'), 'dns', 'DNS'],
    [err('EAI_AGAIN'), 'dns', 'DNS'],
    [err('ECONNREFUSED'), 'refused', 'Connection refused'],
    [err('ETIMEDOUT'), 'timeout', 'Timeout'],
    [new HttpTimeoutError(10_000), 'timeout', 'Timeout'],
    [err('CERT_HAS_EXPIRED'), 'tls', 'TLS'],
    [err('DEPTH_ZERO_SELF_SIGNED_CERT'), 'tls', 'TLS'],
    [err('ERR_TLS_CERT_ALTNAME_INVALID'), 'tls', 'TLS'],
    [err('ERR_SSL_WRONG_VERSION_NUMBER'), 'tls', 'TLS'],
    [err('ECONNRESET'), 'reset', 'Connection reset'],
    [new Error('socket hang up'), 'reset', 'Connection reset'],
    [Object.assign(new Error('wrapped'), { cause: err('ECONNREFUSED') }), 'refused', 'Connection refused'],
    [new Error('something else'), 'other', 'Error'],
  ])('%s → %s', (error, errorClass, label) => {
    expect(classifyError(error)).toMatchObject({ errorClass, label });
  });
});
