import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { createDispatcher, HIDDEN_HEADER_VALUE } from '../../main/delivery/dispatcher';
import { openHistory } from '../../main/delivery/history';
import { createAxiosClient } from '../../main/delivery/http';
import { journalFile, openOutbox } from '../../main/delivery/outbox';
import { generateSecret, sign, verify } from '../../main/delivery/signing';
import { ManualClock, event, fixedRandom, receiver, rig, tempDir, webhook } from '../support/delivery';

const until = (check: () => void, timeout = 10_000): Promise<void> => vi.waitFor(check, { timeout, interval: 5 });

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('dispatcher: sending', () => {
  it('POSTs once the delivery is on disk, with our headers, custom headers, and no way to override ours', async () => {
    let journalHadIt: boolean | undefined;
    let dir = '';
    let gen = 0;
    const r = await receiver({
      respond: (req) => {
        // By the time the request arrives, the delivery must already be in the journal on disk.
        const id = req.headers['webhook-id'] ?? '';
        journalHadIt = readFileSync(join(dir, journalFile(gen)), 'utf8').includes(id);
        return {};
      },
    });
    const secret = generateSecret();
    const hooks = [
      webhook({
        url: `${r.url}/cb?x=1`,
        secret,
        headers: { 'X-Team': 'lab', 'content-type': 'text/plain', 'Webhook-Id': 'evil', 'User-Agent': 'spoof', 'Bad Header': 'x', 'X-Split': 'a\r\nb' },
      }),
    ];
    const t = await rig({ webhooks: hooks });
    dir = t.dir;
    gen = t.outbox.stats().gen;
    const result = await t.dispatcher.dispatch(event({ to: 'Utilizing', udid: 'U1', name: 'Pixel 7' }));
    expect(result.refused).toEqual([]);
    expect(result.deliveries).toHaveLength(1);
    await t.attemptsReach(1);
    const [req] = r.requests();
    expect(journalHadIt).toBe(true);
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe('/cb?x=1');
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers['user-agent']).toBe('DeviceHooks/9.9.9-test');
    expect(req?.headers['x-team']).toBe('lab');
    expect(req?.headers['webhook-id']).toBe(result.deliveries[0]?.messageId);
    expect(req?.headers['x-split']).toBeUndefined();
    expect(result.deliveries[0]?.body).toBeUndefined();
    expect(t.attempts[0]?.request.body).toBe(req?.body);
    expect(JSON.parse(req!.body)).toMatchObject({ eventActivity: 'device.state.utilizing', deviceUdid: 'U1', deviceName: 'Pixel 7', webhookId: 1, orgId: 42 });
    expect(verify(req!.headers, req!.body, [secret], 300, Number(req!.headers['webhook-timestamp']) * 1000).ok).toBe(true);
    expect(t.attempts[0]).toMatchObject({ result: 'success', outcome: 'succeeded', attempt: 1 });
    // The history shows every header as sent, but not the custom header values (credentials stay in the webhook).
    expect(t.attempts[0]?.request.headers['X-Team']).toBe(HIDDEN_HEADER_VALUE);
    expect(t.attempts[0]?.request.headers['webhook-id']).toBe(result.deliveries[0]?.messageId);
    expect(JSON.stringify(t.attempts[0])).not.toContain('"lab"');
    expect(t.outbox.size).toBe(0);
    expect(t.log.lines.some((l) => /"Bad Header" is not a valid HTTP header/.test(l.message))).toBe(true);
  });

  it('sends no signature when the webhook has no secret (webhook-id and webhook-timestamp only)', async () => {
    const r = await receiver();
    const t = await rig({ webhooks: [webhook({ url: r.url })] });
    await t.dispatcher.dispatch(event());
    await t.attemptsReach(1);
    expect(Object.keys(r.requests()[0]!.headers).filter((h) => h.startsWith('webhook-'))).toEqual(['webhook-id', 'webhook-timestamp']);
  });

  it('retries 500, 500, then 200 on the schedule with ±20% jitter; same webhook-id, fresh timestamp and signature each time', async () => {
    const clock = new ManualClock();
    const secret = generateSecret();
    let calls = 0;
    const r = await receiver({ secrets: [secret], now: () => clock.now(), respond: () => ({ status: ++calls < 3 ? 500 : 200 }) });
    const t = await rig({ webhooks: [webhook({ url: r.url, secret })], dispatcher: { clock, random: fixedRandom(0, 0.999_999) } });
    const t0 = clock.now();
    await t.dispatcher.dispatch(event());
    await t.attemptsReach(1);
    // Attempt 2 is due 5 s × (1 − 0.2) later (random 0): exactly one timer, at that time.
    await until(() => expect(clock.dues()).toEqual([t0 + 4_000]));
    expect(t.attempts[0]).toMatchObject({ result: 'failure', errorClass: 'http', errorLabel: 'HTTP 500', outcome: 'retrying', nextAttemptAt: t0 + 4_000 });
    clock.advance(3_999);
    expect(r.requests()).toHaveLength(1);
    clock.advance(1);
    await t.attemptsReach(2);
    // Attempt 3: 30 s × (1 + 0.2 × (2 × 0.999999 − 1)) ≈ 36 s, within [24 s, 36 s].
    const t1 = clock.now();
    await until(() => expect(clock.dues()).toHaveLength(1));
    const delay = clock.dues()[0]! - t1;
    expect(delay).toBeGreaterThanOrEqual(24_000);
    expect(delay).toBeLessThanOrEqual(36_000);
    expect(delay).toBe(Math.round(30_000 * (1 + 0.2 * (2 * 0.999_999 - 1))));
    clock.advance(delay);
    await t.attemptsReach(3);
    expect(t.attempts.map((a) => [a.attempt, a.result, a.outcome])).toEqual([
      [1, 'failure', 'retrying'],
      [2, 'failure', 'retrying'],
      [3, 'success', 'succeeded'],
    ]);
    const reqs = r.requests();
    expect(reqs).toHaveLength(3);
    expect(new Set(reqs.map((q) => q.headers['webhook-id'])).size).toBe(1);
    // Composed at each try: creationTime is that try's time.
    expect(new Set(reqs.map((q) => q.body)).size).toBe(3);
    expect(reqs.map((q) => Number(q.headers['webhook-timestamp']))).toEqual([t0, t0 + 4_000, t0 + 4_000 + delay].map((ms) => Math.floor(ms / 1000)));
    expect(new Set(reqs.map((q) => q.headers['webhook-signature'])).size).toBe(3);
    expect(reqs.every((q) => q.signature.status === 'valid')).toBe(true);
    expect(t.outbox.size).toBe(0);
    expect(clock.dues()).toEqual([]);
  });

  it.each([
    ['503 with Retry-After seconds', 503, '120', 120_000],
    ['429 with Retry-After seconds', 429, '45', 45_000],
    ['503 with an HTTP-date', 503, 'date+600', 600_000],
    ['503 asking for more than the 1 h cap', 503, '86400', 3_600_000],
    ['429 asking for less than the schedule', 429, '1', 5_000],
    ['500 (Retry-After only counts on 429/503)', 500, '120', 5_000],
  ])('%s', async (_name, status, retryAfter, expected) => {
    // A whole second, since an HTTP-date has no milliseconds.
    const clock = new ManualClock(Date.UTC(2026, 10, 27, 10, 15, 0, 0));
    const value = retryAfter === 'date+600' ? new Date(clock.now() + 600_000).toUTCString() : retryAfter;
    const r = await receiver({ reply: { status, headers: { 'retry-after': value } } });
    // random 0.5 = no jitter
    const t = await rig({ webhooks: [webhook({ url: r.url })], dispatcher: { clock, random: fixedRandom(0.5) } });
    const t0 = clock.now();
    await t.dispatcher.dispatch(event());
    await t.attemptsReach(1);
    await until(() => expect(clock.dues()).toEqual([t0 + expected]));
  });

  it('410 Gone: the delivery is dead, the webhook disabled, the device lane moves on but nothing more is sent', async () => {
    const clock = new ManualClock();
    const r = await receiver({ reply: { status: 410 } });
    const t = await rig({ webhooks: [webhook({ url: r.url })], dispatcher: { clock } });
    const first = await t.dispatcher.dispatch(event({ seq: 1 }));
    const second = await t.dispatcher.dispatch(event({ seq: 2 }));
    await t.attemptsReach(1);
    await until(() => expect(t.disabled).toHaveLength(1));
    expect(t.disabled[0]).toMatchObject({ id: 1, reason: expect.stringMatching(/410 Gone/) });
    expect(t.attempts[0]).toMatchObject({ outcome: 'dead', errorLabel: 'HTTP 410' });
    expect(t.outbox.get(first.deliveries[0]!.id)).toBeUndefined();
    await t.dispatcher.flush();
    // The next event of that device is kept (the admin may re-enable the webhook) but not sent.
    expect(t.outbox.get(second.deliveries[0]!.id)?.state).toBe('pending');
    clock.advance(24 * 3_600_000);
    await t.dispatcher.flush();
    expect(r.requests()).toHaveLength(1);
    // Re-enabled (e.g. with a fixed URL): the held delivery goes.
    r.setReply({ status: 204 });
    t.webhooks[0]!.enabled = true;
    await t.dispatcher.refresh();
    await t.attemptsReach(2);
    expect(t.attempts[1]).toMatchObject({ deliveryId: second.deliveries[0]!.id, outcome: 'succeeded' });
  });

  it('3xx is a failure and the redirect is not followed', async () => {
    const clock = new ManualClock();
    const r = await receiver({ reply: { status: 302, headers: { location: '/elsewhere' } } });
    const t = await rig({ webhooks: [webhook({ url: `${r.url}/hook` })], dispatcher: { clock } });
    await t.dispatcher.dispatch(event());
    await t.attemptsReach(1);
    await t.dispatcher.flush();
    expect(t.attempts[0]).toMatchObject({ result: 'failure', errorClass: 'http', errorLabel: 'HTTP 302', outcome: 'retrying', response: { status: 302 } });
    expect(r.requests().map((q) => q.path)).toEqual(['/hook']);
  });

  it('classifies a timeout', async () => {
    const clock = new ManualClock();
    const r = await receiver({ reply: { delayMs: 30_000 } });
    const t = await rig({ webhooks: [webhook({ url: r.url })], dispatcher: { clock, timeoutMs: 150 } });
    await t.dispatcher.dispatch(event());
    await t.attemptsReach(1);
    expect(t.attempts[0]).toMatchObject({ result: 'failure', errorClass: 'timeout', errorLabel: 'Timeout', outcome: 'retrying' });
    expect(t.attempts[0]?.response).toBeUndefined();
  });

  it('classifies a refused connection (closed port)', async () => {
    const clock = new ManualClock();
    const port = await closedPort();
    const t = await rig({ webhooks: [webhook({ url: `http://127.0.0.1:${port}/x` })], dispatcher: { clock } });
    await t.dispatcher.dispatch(event());
    await t.attemptsReach(1);
    expect(t.attempts[0]).toMatchObject({ result: 'failure', errorClass: 'refused', errorLabel: 'Connection refused' });
    expect(t.attempts[0]?.errorDetail).toMatch(/ECONNREFUSED/);
  });

  it('classifies a connection reset and a TLS failure (https to a plain-HTTP port)', async () => {
    const clock = new ManualClock();
    const r = await receiver();
    const resetServer = createServer((socket) => socket.resetAndDestroy());
    await new Promise<void>((resolve) => resetServer.listen(0, '127.0.0.1', resolve));
    const resetPort = (resetServer.address() as AddressInfo).port;
    try {
      const t = await rig({
        webhooks: [webhook({ id: 1, url: `http://127.0.0.1:${resetPort}/` }), webhook({ id: 2, url: `https://127.0.0.1:${r.port}/` })],
        dispatcher: { clock },
      });
      await t.dispatcher.dispatch(event());
      await t.attemptsReach(2);
      const byHook = new Map(t.attempts.map((a) => [a.webhookId, a]));
      expect(byHook.get(1)).toMatchObject({ errorClass: 'reset', errorLabel: 'Connection reset' });
      expect(byHook.get(2)).toMatchObject({ errorClass: 'tls', errorLabel: 'TLS' });
    } finally {
      await new Promise<void>((resolve) => resetServer.close(() => resolve()));
    }
  });

  it('once the retry horizon is used up the delivery is failed and the device lane moves on', async () => {
    const clock = new ManualClock();
    let calls = 0;
    const r = await receiver({ respond: () => ({ status: ++calls <= 3 ? 500 : 200 }) });
    const t = await rig({ webhooks: [webhook({ url: r.url })], dispatcher: { clock, schedule: [0, 1_000], retryHorizonMs: 2_000, random: fixedRandom(0.5) } });
    const a = await t.dispatcher.dispatch(event({ seq: 1 }));
    const b = await t.dispatcher.dispatch(event({ seq: 2 }));
    await t.attemptsReach(1);
    // The second event of the same device waits while the first is retried.
    await until(() => expect(clock.dues()).toHaveLength(1));
    expect(r.requests()).toHaveLength(1);
    clock.advance(1_000);
    await t.attemptsReach(2);
    await until(() => expect(clock.dues()).toHaveLength(1));
    clock.advance(1_000);
    await t.attemptsReach(4);
    expect(t.attempts.map((x) => [x.deliveryId, x.attempt, x.outcome])).toEqual([
      [a.deliveries[0]!.id, 1, 'retrying'],
      [a.deliveries[0]!.id, 2, 'retrying'],
      [a.deliveries[0]!.id, 3, 'failed'],
      [b.deliveries[0]!.id, 1, 'succeeded'],
    ]);
    expect(t.outbox.size).toBe(0);
    expect(t.log.lines.some((l) => l.level === 'warn' && /failed after 3 attempts \(retry horizon used up\): HTTP 500/.test(l.message))).toBe(true);
  });
});

describe('dispatcher: pause, resume, redeliver, test events, shutdown', () => {
  it('pauses after N consecutive failed attempts (in the webhook store), keeps queueing, and a resume there sends the backlog in order', async () => {
    const clock = new ManualClock();
    let healthy = false;
    const r = await receiver({ respond: () => ({ status: healthy ? 200 : 500 }) });
    const t = await rig({ webhooks: [webhook({ url: r.url })], dispatcher: { clock, pauseAfterFailures: 3, schedule: [0, 1_000, 1_000, 1_000, 1_000], random: fixedRandom(0.5) } });
    await t.dispatcher.dispatch(event({ udid: 'A', seq: 1 }));
    await t.dispatcher.dispatch(event({ udid: 'A', seq: 2 }));
    await t.attemptsReach(1);
    for (let n = 2; n <= 3; n++) {
      await until(() => expect(clock.dues()).toHaveLength(1));
      clock.advance(1_000);
      await t.attemptsReach(n);
    }
    await until(() => expect(t.paused).toEqual([1]));
    expect(t.attempts[2]?.outcome).toBe('paused');
    expect(t.webhooks[0]?.paused).toBe(true);
    expect(t.log.lines.some((l) => /paused after 3 consecutive failed attempts/.test(l.message))).toBe(true);
    // Still queueing, nothing sent, however long we wait.
    const more = await t.dispatcher.dispatch(event({ udid: 'A', seq: 3 }));
    await t.dispatcher.dispatch(event({ udid: 'B', seq: 1 }));
    expect(more.deliveries).toHaveLength(1);
    expect(t.outbox.pendingFor(1)).toBe(4);
    clock.advance(10 * 3_600_000);
    await t.dispatcher.flush();
    expect(r.requests()).toHaveLength(3);
    expect(clock.dues()).toEqual([]);

    healthy = true;
    await t.setPaused(1, false);
    await t.attemptsReach(3 + 4);
    const seen = r.requests().slice(3).map((q) => JSON.parse(q.body) as { deviceUdid: string });
    const resent = t.attempts.slice(3);
    expect(resent.every((x) => x.outcome === 'succeeded')).toBe(true);
    expect(resent.filter((x) => x.udid === 'A').map((x) => x.seq)).toEqual([1, 2, 3]);
    expect(seen.filter((b) => b.deviceUdid === 'A')).toHaveLength(3);
    expect(t.dispatcher.consecutiveFailures(1)).toBe(0);
  });

  it('a success resets the consecutive-failure count', async () => {
    const clock = new ManualClock();
    let calls = 0;
    const r = await receiver({ respond: () => ({ status: ++calls % 2 === 0 ? 200 : 500 }) });
    const t = await rig({ webhooks: [webhook({ url: r.url })], dispatcher: { clock, pauseAfterFailures: 2, schedule: [0, 10], random: fixedRandom(0.5) } });
    for (let i = 1; i <= 3; i++) {
      await t.dispatcher.dispatch(event({ udid: 'A' }));
      await t.attemptsReach(2 * i - 1);
      await until(() => expect(clock.dues()).toHaveLength(1));
      clock.advance(10);
      await t.attemptsReach(2 * i);
    }
    expect(t.paused).toEqual([]);
  });

  it('redeliver() makes a new delivery of the same event with the same webhook-id', async () => {
    const r = await receiver();
    const t = await rig({ webhooks: [webhook({ url: r.url, secret: generateSecret() })] });
    const { deliveries } = await t.dispatcher.dispatch(event());
    await t.attemptsReach(1);
    const original = deliveries[0]!;
    await expect(t.dispatcher.redeliver('dlv_nope')).rejects.toThrow(/no longer in the history/);
    const again = await t.dispatcher.redeliver(original.id);
    expect(again.id).not.toBe(original.id);
    expect(again.messageId).toBe(original.messageId);
    expect(again.event).toEqual(original.event);
    expect(again.redeliveryOf).toBe(original.id);
    await t.attemptsReach(2);
    expect(t.attempts[1]).toMatchObject({ deliveryId: again.id, attempt: 1, redeliveryOf: original.id, outcome: 'succeeded' });
    const [a, b] = r.requests();
    expect(b?.headers['webhook-id']).toBe(a?.headers['webhook-id']);
    const { creationTime: _a, ...bodyA } = JSON.parse(a!.body) as Record<string, unknown>;
    const { creationTime: _b, ...bodyB } = JSON.parse(b!.body) as Record<string, unknown>;
    expect(bodyB).toEqual(bodyA);
  });

  it('sendTest() sends one attempt now, even to a disabled webhook, records it as a test, retries nothing', async () => {
    const clock = new ManualClock();
    const r = await receiver({ reply: { status: 500 } });
    const t = await rig({ webhooks: [webhook({ url: r.url, enabled: false })], dispatcher: { clock, pauseAfterFailures: 1 } });
    const rec = await t.dispatcher.sendTest(1, event({ name: 'Test device' }));
    expect(rec).toMatchObject({ test: true, outcome: 'test', result: 'failure', errorLabel: 'HTTP 500' });
    expect(JSON.parse(r.requests()[0]!.body)).toMatchObject({ deviceName: 'Test device', webhookId: 1 });
    expect(t.outbox.size).toBe(0);
    expect(clock.dues()).toEqual([]);
    expect(t.paused).toEqual([]);
    expect((await t.dispatcher.history({ webhookId: 1 }))[0]?.id).toBe(rec.id);
    await expect(t.dispatcher.sendTest(99, event())).rejects.toThrow(/not found/);
    await expect(t.dispatcher.redeliver(rec.deliveryId)).rejects.toThrow(/test event/);
  });

  it('stop() waits for attempts in flight', async () => {
    const r = await receiver({ reply: { delayMs: 100 } });
    const t = await rig({ webhooks: [webhook({ url: r.url })] });
    await t.dispatcher.dispatch(event());
    await until(() => expect(r.requests()).toHaveLength(1));
    await t.dispatcher.stop({ timeoutMs: 10_000 });
    expect(t.attempts).toHaveLength(1);
    expect(t.attempts[0]?.outcome).toBe('succeeded');
  });

  it('stop() aborts what is still in flight after its timeout; it is sent again after a restart', async () => {
    const dir = await tempDir();
    const slow = await receiver({ reply: { delayMs: 60_000 } });
    const hooks = [webhook({ url: slow.url, secret: generateSecret() })];
    const first = await rig({ dir, webhooks: hooks });
    const { deliveries } = await first.dispatcher.dispatch(event());
    await until(() => expect(slow.requests()).toHaveLength(1));
    await first.dispatcher.stop({ timeoutMs: 0 });
    expect(first.attempts).toHaveLength(0);
    await first.outbox.close();
    await first.history.close();

    const healthy = await receiver();
    hooks[0]!.url = healthy.url;
    const outbox = await openOutbox({ dir });
    const history = await openHistory({ dir });
    const http = createAxiosClient();
    expect(outbox.list().map((d) => [d.id, d.state, d.attempts])).toEqual([[deliveries[0]!.id, 'pending', 1]]);
    const dispatcher = createDispatcher({ outbox, history, http, listWebhooks: () => hooks, disableWebhook: () => {}, pauseWebhook: () => {}, version: 'x' });
    const seen: number[] = [];
    dispatcher.onAttempt((a) => seen.push(a.attempt));
    await until(() => expect(seen).toEqual([2]));
    expect(healthy.requests()[0]?.headers['webhook-id']).toBe(deliveries[0]!.messageId);
    await dispatcher.stop();
    http.close();
    await outbox.close();
    await history.close();
  });

  it('refuses (and reports) events for a webhook whose queue is full, without losing the accepted ones', async () => {
    const clock = new ManualClock();
    const overflow: number[] = [];
    const r = await receiver({ reply: { status: 500 } });
    const t = await rig({
      webhooks: [webhook({ id: 1, url: r.url }), webhook({ id: 2, url: r.url })],
      outbox: { maxPending: 1, onOverflow: (i) => overflow.push(i.webhookId) },
      dispatcher: { clock },
    });
    await t.dispatcher.dispatch(event({ udid: 'A' }));
    const second = await t.dispatcher.dispatch(event({ udid: 'B' }));
    expect(second.deliveries).toEqual([]);
    expect(second.refused.map((x) => [x.webhookId, (x.error as { code?: string }).code])).toEqual([
      [1, 'OUTBOX_FULL'],
      [2, 'OUTBOX_FULL'],
    ]);
    expect(overflow).toEqual([1, 2]);
    expect(t.outbox.size).toBe(2);
  });

  it('a webhook deleted while its deliveries wait: they are skipped, said in the log', async () => {
    const clock = new ManualClock();
    const r = await receiver({ reply: { status: 500 } });
    const hooks = [webhook({ url: r.url })];
    const t = await rig({ webhooks: hooks, dispatcher: { clock, random: fixedRandom(0.5) } });
    await t.dispatcher.dispatch(event());
    await t.attemptsReach(1);
    hooks.length = 0;
    await until(() => expect(clock.dues()).toHaveLength(1));
    clock.advance(5_000);
    await until(() => expect(t.outbox.size).toBe(0));
    expect(t.log.lines.some((l) => /Skipped — webhook deleted/.test(l.message))).toBe(true);
    expect(r.requests()).toHaveLength(1);
  });
});

describe('signature over the exact bytes', () => {
  it('the receiver can verify what the dispatcher sent with an independent HMAC', async () => {
    const secret = generateSecret();
    const r = await receiver();
    const t = await rig({ webhooks: [webhook({ url: r.url, secret })] });
    await t.dispatcher.dispatch(event({ name: 'Zoë 📱' }));
    await t.attemptsReach(1);
    const q = r.requests()[0]!;
    expect(q.headers['webhook-signature']).toBe(sign({ id: q.headers['webhook-id']!, timestamp: Number(q.headers['webhook-timestamp']), body: q.body, secret }));
  });
});
