// Retrying for a horizon (default 3 days of time the webhook could send), the interval capped at 1 h;
// the time counted survives a restart, and so does the consecutive-failure count that pauses a webhook.
import { describe, expect, it, vi } from 'vitest';
import { openOutbox } from '../../main/delivery/outbox';
import { DEFAULT_MAX_INTERVAL_MS, DEFAULT_RETRY_HORIZON_MS, nextDelay } from '../../main/delivery/retry';
import { ManualClock, event, fixedRandom, receiver, rig, tempDir, webhook } from '../support/delivery';

const until = (check: () => void, timeout = 10_000): Promise<void> => vi.waitFor(check, { timeout, interval: 2 });

describe('retry horizon', () => {
  it('after the schedule, tries every hour at most; none once the horizon is used up', () => {
    expect(DEFAULT_RETRY_HORIZON_MS).toBe(3 * 24 * 3_600_000);
    expect(DEFAULT_MAX_INTERVAL_MS).toBe(3_600_000);
    const base = { jitter: 0.2, nowMs: 0, maxRetryAfterMs: 3_600_000, retriedMs: 0, horizonMs: DEFAULT_RETRY_HORIZON_MS };
    for (const attemptsDone of [6, 7, 20, 70]) {
      for (const r of [0, 0.5, 0.999]) {
        const d = nextDelay({ ...base, attemptsDone, r }) as number;
        expect(d).toBeGreaterThanOrEqual(2_880_000);
        expect(d).toBeLessThanOrEqual(3_600_000);
      }
    }
    expect(nextDelay({ ...base, attemptsDone: 30, r: 0.5, retriedMs: DEFAULT_RETRY_HORIZON_MS - 3_600_000 })).toBe(3_600_000);
    expect(nextDelay({ ...base, attemptsDone: 30, r: 0.5, retriedMs: DEFAULT_RETRY_HORIZON_MS - 3_599_999 })).toBeUndefined();
  });

  it('a receiver down for 3 days: hourly tries, then Failed at the horizon (not after 4 h 47 min)', async () => {
    const clock = new ManualClock();
    const r = await receiver({ reply: { status: 500 } });
    const t = await rig({ webhooks: [webhook({ url: r.url })], dispatcher: { clock, random: fixedRandom(0.5), pauseAfterFailures: 1000 } });
    const t0 = clock.now();
    await t.dispatcher.dispatch(event());
    for (let n = 1; ; n++) {
      await t.attemptsReach(n);
      if (t.attempts[n - 1]?.outcome === 'failed') break;
      await until(() => expect(clock.dues()).toHaveLength(1));
      const gap = clock.dues()[0]! - clock.now();
      expect(gap).toBeLessThanOrEqual(3_600_000);
      clock.advance(gap);
    }
    const last = t.attempts.at(-1)!;
    expect(last.at - t0).toBeGreaterThan(DEFAULT_RETRY_HORIZON_MS - 3_600_000);
    expect(last.at - t0).toBeLessThanOrEqual(DEFAULT_RETRY_HORIZON_MS);
    expect(t.attempts.slice(0, -1).every((a) => a.outcome === 'retrying')).toBe(true);
    expect(t.outbox.size).toBe(0);
  });

  it('time while the webhook cannot send (disabled, paused, waiting) does not count; the time counted survives a restart', async () => {
    const clock = new ManualClock();
    const dir = await tempDir();
    const r = await receiver({ reply: { status: 500 } });
    const hooks = [webhook({ url: r.url })];
    const options = { clock, random: fixedRandom(0.5), schedule: [0, 1_000], retryHorizonMs: 10_000, pauseAfterFailures: 1000 };
    const t = await rig({ dir, webhooks: hooks, dispatcher: options });
    const { deliveries } = await t.dispatcher.dispatch(event());
    await t.attemptsReach(1);
    // Held for a day: disabled before its retry.
    hooks[0] = { ...hooks[0]!, enabled: false };
    await until(() => expect(clock.dues()).toHaveLength(1));
    clock.advance(24 * 3_600_000);
    await t.dispatcher.flush();
    hooks[0] = { ...hooks[0]!, enabled: true };
    await t.dispatcher.refresh();
    await t.attemptsReach(2);
    expect(t.attempts[1]?.outcome).toBe('retrying');
    await until(() => expect(t.outbox.get(deliveries[0]!.id)?.retriedMs).toBe(2_000));
    await t.dispatcher.stop({ timeoutMs: 0 });
    await t.outbox.close();
    const reopened = await openOutbox({ dir });
    expect(reopened.get(deliveries[0]!.id)?.retriedMs).toBe(2_000);
    await reopened.close();
  });

  it('the consecutive-failure count that pauses a webhook survives a restart', async () => {
    const clock = new ManualClock();
    const dir = await tempDir();
    const r = await receiver({ reply: { status: 500 } });
    const options = { clock, random: fixedRandom(0.5), schedule: [0, 1_000], pauseAfterFailures: 5 };
    const first = await rig({ dir, webhooks: [webhook({ url: r.url })], dispatcher: options });
    await first.dispatcher.dispatch(event());
    for (let n = 1; n <= 3; n++) {
      await first.attemptsReach(n);
      if (n < 3) {
        await until(() => expect(clock.dues()).toHaveLength(1));
        clock.advance(1_000);
      }
    }
    expect(first.dispatcher.consecutiveFailures(1)).toBe(3);
    await first.dispatcher.stop({ timeoutMs: 0 });
    await first.outbox.close();
    await first.history.close();

    const second = await rig({ dir, webhooks: [webhook({ url: r.url })], dispatcher: options });
    expect(second.dispatcher.consecutiveFailures(1)).toBe(3);
    for (let n = 1; n <= 2; n++) {
      await until(() => expect(clock.dues().length).toBeGreaterThan(0));
      clock.advance(clock.dues()[0]! - clock.now());
      await second.attemptsReach(n);
    }
    await until(() => expect(second.paused).toEqual([1]));
  });
});

describe('a retry time weeks away (the system clock set back, a journal from a machine whose clock ran ahead)', () => {
  it('waits with timers Node can hold: one timer, no 1 ms loop, nothing sent early', async () => {
    const dir = await tempDir();
    const r = await receiver();
    const hook = webhook({ url: r.url });
    const first = await openOutbox({ dir });
    const fortyDays = 40 * 24 * 3_600_000;
    await first.enqueue({ webhookId: hook.id, udid: 'R1', seq: 1, event: { ...event({ udid: 'R1', seq: 1 }) }, createdAt: Date.now(), nextAttemptAt: Date.now() + fortyDays });
    await first.close();
    // Real time and real timers, with every timer the dispatcher asks for counted. Node runs a timer
    // longer than 2^31 - 1 ms after 1 ms instead: asked for again on every run, that is a busy loop.
    const asked: number[] = [];
    const clock = {
      now: () => Date.now(),
      setTimeout: (fn: () => void, ms: number) => {
        asked.push(ms);
        return setTimeout(fn, ms);
      },
      clearTimeout: (handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    };
    const t = await rig({ dir, webhooks: [hook], dispatcher: { clock } });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(t.outbox.list()).toHaveLength(1);
    expect(r.requests()).toHaveLength(0);
    const laneTimers = asked.filter((ms) => ms > 3_600_000);
    expect(laneTimers).toHaveLength(1);
    expect(laneTimers[0]).toBeLessThanOrEqual(2 ** 31 - 1);
  });
});
