// Per-device order under load, against a real loopback receiver answering after random delays.
import { describe, expect, it } from 'vitest';
import { generateSecret } from '../../main/delivery/signing';
import type { ReceivedRequest } from '../../main/delivery/receiver';
import { event, receiver, rig, webhook } from '../support/delivery';

const DEVICES = 50;
const EVENTS = 20;
const CAP = 8;

interface Seen {
  hook: string;
  udid: string;
  seq: number;
  messageId: string;
}

function parse(req: ReceivedRequest): Seen {
  const body = JSON.parse(req.body) as { deviceUdid: string; deviceName: string };
  return { hook: req.path, udid: body.deviceUdid, seq: Number(body.deviceName.slice(4)), messageId: req.headers['webhook-id'] ?? '' };
}

/** A receiver that answers after 0–12 ms (so answers come back out of order) and counts concurrency per path. */
async function loadReceiver(fail: (s: Seen, firstTime: boolean) => boolean) {
  const active = new Map<string, number>();
  const maxActive = new Map<string, number>();
  const seenIds = new Set<string>();
  const successes: Seen[] = [];
  const arrivals: Seen[] = [];
  const r = await receiver({
    maxRequests: 10_000,
    respond: async (req) => {
      const s = parse(req);
      arrivals.push(s);
      const now = (active.get(s.hook) ?? 0) + 1;
      active.set(s.hook, now);
      maxActive.set(s.hook, Math.max(maxActive.get(s.hook) ?? 0, now));
      const firstTime = !seenIds.has(s.messageId);
      seenIds.add(s.messageId);
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 13)));
      const failed = fail(s, firstTime);
      if (!failed) successes.push(s);
      // Counted down before the answer is written: the dispatcher cannot start another one before this.
      active.set(s.hook, (active.get(s.hook) ?? 1) - 1);
      return { status: failed ? 503 : 200 };
    },
  });
  return { r, maxActive, successes, arrivals };
}

async function runLoad(fail: (s: Seen, firstTime: boolean) => boolean, schedule?: number[]) {
  const { r, maxActive, successes, arrivals } = await loadReceiver(fail);
  const hooks = [webhook({ id: 1, url: `${r.url}/a`, secret: generateSecret() }), webhook({ id: 2, url: `${r.url}/b`, secret: generateSecret() })];
  const t = await rig({
    webhooks: hooks,
    dispatcher: { maxConcurrentPerWebhook: CAP, pauseAfterFailures: 1_000_000, ...(schedule ? { schedule } : {}) },
  });
  const dispatched: Promise<unknown>[] = [];
  for (let seq = 1; seq <= EVENTS; seq++) {
    for (let d = 0; d < DEVICES; d++) dispatched.push(t.dispatcher.dispatch(event({ udid: `dev-${d}`, name: `seq:${seq}`, seq })));
  }
  const results = (await Promise.all(dispatched)) as { refused: unknown[] }[];
  expect(results.every((x) => x.refused.length === 0)).toBe(true);
  await t.attemptsReach(DEVICES * EVENTS * 2);
  await t.dispatcher.flush();
  return { t, maxActive, successes, arrivals };
}

function perLane(list: Seen[]): Map<string, number[]> {
  const lanes = new Map<string, number[]>();
  for (const s of list) {
    const key = `${s.hook} ${s.udid}`;
    const l = lanes.get(key) ?? [];
    l.push(s.seq);
    lanes.set(key, l);
  }
  return lanes;
}

const ALL_SEQS = Array.from({ length: EVENTS }, (_, i) => i + 1);

describe('ordering under load', () => {
  it(`${DEVICES} devices × ${EVENTS} events × 2 webhooks: per device strictly in order, each exactly once, ≤ ${CAP} at a time per webhook`, { timeout: 60_000 }, async () => {
    const { t, maxActive, successes, arrivals } = await runLoad(() => false);
    expect(arrivals).toHaveLength(DEVICES * EVENTS * 2);
    expect(new Set(arrivals.map((s) => s.messageId)).size).toBe(DEVICES * EVENTS * 2);
    const lanes = perLane(arrivals);
    expect(lanes.size).toBe(DEVICES * 2);
    for (const seqs of lanes.values()) expect(seqs).toEqual(ALL_SEQS);
    expect(successes).toHaveLength(arrivals.length);
    for (const hook of ['/a', '/b']) {
      expect(maxActive.get(hook)).toBeLessThanOrEqual(CAP);
      // …and the lanes really did run side by side.
      expect(maxActive.get(hook)).toBeGreaterThan(1);
    }
    expect(t.outbox.size).toBe(0);
  });

  it('with retries in the mix, a later event never starts before the earlier one succeeded', { timeout: 60_000 }, async () => {
    // Every third event fails its first attempt (503); retries come 5–20 ms later (real clock).
    const { successes, arrivals } = await runLoad((s, firstTime) => firstTime && s.seq % 3 === 0, [0, 5, 10, 20, 20, 20]);
    const retried = DEVICES * 2 * Math.floor(EVENTS / 3);
    expect(arrivals).toHaveLength(DEVICES * EVENTS * 2 + retried);
    for (const seqs of perLane(successes).values()) expect(seqs).toEqual(ALL_SEQS);
    // Arrivals per lane: a seq only ever repeats itself (retry) or moves to the next one.
    for (const seqs of perLane(arrivals).values()) {
      for (let i = 1; i < seqs.length; i++) expect([seqs[i - 1], (seqs[i - 1] as number) + 1]).toContain(seqs[i]);
    }
  });
});
