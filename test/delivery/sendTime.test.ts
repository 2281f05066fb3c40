// A callback's body is composed when each try is sent: creationTime is the time of that try, the
// webhook's current name and org go in it, and its webhook-id stays the same on every try.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { decodeLine } from '../../main/delivery/framing';
import { OUTBOX_RECORD_VERSION, journalFile, openOutbox, SNAPSHOT_FILE } from '../../main/delivery/outbox';
import { CALLBACK_KEYS } from '../../main/delivery/payload';
import { generateSecret, verify } from '../../main/delivery/signing';
import { ManualClock, event, fixedRandom, receiver, rig, tempDir, webhook } from '../support/delivery';

const until = (check: () => void, timeout = 10_000): Promise<void> => vi.waitFor(check, { timeout, interval: 5 });

/** A receiver answering as `options` say, and one webhook to it dispatched on a manual clock. */
async function clockedRig(options: Parameters<typeof receiver>[0] = {}) {
  const clock = new ManualClock();
  const r = await receiver(options);
  const t = await rig({ webhooks: [webhook({ url: r.url })], dispatcher: { clock } });
  return { clock, r, t };
}

describe('creationTime is when the try is sent', () => {
  it('a callback retried after 500, 500: each try carries its own creationTime, the same webhook-id, a signature over the body sent', async () => {
    const clock = new ManualClock();
    const secret = generateSecret();
    let calls = 0;
    const r = await receiver({ secrets: [secret], now: () => clock.now(), respond: () => ({ status: ++calls < 3 ? 500 : 200 }) });
    const t = await rig({ webhooks: [webhook({ url: r.url, secret })], dispatcher: { clock, random: fixedRandom(0.5), schedule: [0, 5_000, 30_000] } });
    const changedAt = clock.now() - 60_000;
    await t.dispatcher.dispatch(event({ at: changedAt }));
    const sentAt: number[] = [clock.now()];
    await t.attemptsReach(1);
    for (const n of [2, 3]) {
      await until(() => expect(clock.dues()).toHaveLength(1));
      const due = clock.dues()[0]!;
      clock.advance(due - clock.now());
      sentAt.push(clock.now());
      await t.attemptsReach(n);
    }
    const reqs = r.requests();
    expect(reqs).toHaveLength(3);
    const bodies = reqs.map((q) => JSON.parse(q.body) as Record<string, unknown>);
    expect(bodies.map((b) => b.creationTime)).toEqual(sentAt.map((ms) => new Date(ms).toISOString()));
    for (const b of bodies) expect(Object.keys(b)).toEqual([...CALLBACK_KEYS]);
    expect(new Set(reqs.map((q) => q.headers['webhook-id'])).size).toBe(1);
    for (const q of reqs) expect(verify(q.headers, q.body, [secret], 300, clock.now()).ok).toBe(true);
    // The history keeps the moment the status changed beside what was sent.
    expect(t.attempts.map((a) => a.event?.at)).toEqual([changedAt, changedAt, changedAt]);
    expect(t.attempts.map((a) => a.request.body)).toEqual(reqs.map((q) => q.body));
  });

  it('the outbox record holds the event, not a finished body', async () => {
    const { t } = await clockedRig({ reply: { status: 500 } });
    const { deliveries } = await t.dispatcher.dispatch(event({ udid: 'U9', name: 'Pixel 9', to: 'Offline' }));
    const d = t.outbox.get(deliveries[0]!.id)!;
    expect(d.body).toBeUndefined();
    expect(d.event).toMatchObject({ udid: 'U9', name: 'Pixel 9', to: 'Offline', platform: 'android' });
  });

  it('a redelivery and a test event carry the time they are sent; the redelivery keeps the webhook-id', async () => {
    const { clock, r, t } = await clockedRig();
    const { deliveries } = await t.dispatcher.dispatch(event());
    await t.attemptsReach(1);
    clock.advance(3_600_000);
    await t.dispatcher.redeliver(deliveries[0]!.id);
    await t.attemptsReach(2);
    clock.advance(1_000);
    await t.dispatcher.sendTest(1, event({ at: 0 }));
    const reqs = r.requests();
    expect(reqs.map((q) => (JSON.parse(q.body) as { creationTime: string }).creationTime)).toEqual(
      [clock.now() - 3_601_000, clock.now() - 1_000, clock.now()].map((ms) => new Date(ms).toISOString()),
    );
    expect(reqs[1]?.headers['webhook-id']).toBe(reqs[0]?.headers['webhook-id']);
    expect(reqs[2]?.headers['webhook-id']).not.toBe(reqs[0]?.headers['webhook-id']);
  });

  it('a record written by the previous outbox format (a finished body) is still delivered, composed at send time', async () => {
    const clock = new ManualClock();
    const dir = await tempDir();
    const outboxDir = join(dir, 'outbox');
    await mkdir(outboxDir, { recursive: true });
    const oldBody = JSON.stringify({
      creationTime: '2026-11-20T08:00:00.000Z',
      eventType: 'DEVICE',
      eventActivity: 'device.status.offline',
      eventDescription: 'Offline',
      deviceUdid: 'OLD1',
      deviceName: 'Old phone',
      orgId: 7,
      webhookId: 1,
      webhookName: 'Old name',
    });
    const old = { id: 'dlv_old', messageId: 'msg_old', webhookId: 1, udid: 'OLD1', seq: 4, body: oldBody, createdAt: 1, attempts: 1, nextAttemptAt: 0, state: 'pending', n: 1 };
    const opaque = { ...old, id: 'dlv_opaque', messageId: 'msg_opaque', udid: 'OLD2', seq: 1, body: '{"custom":true}', n: 2 };
    await writeFile(
      join(outboxDir, SNAPSHOT_FILE),
      [JSON.stringify({ kind: 'outbox-snapshot', version: 1, gen: 3, nextN: 2, paused: [], count: 1 }), JSON.stringify(old), JSON.stringify({ end: true, count: 1 })].join('\n') + '\n',
    );
    await writeFile(join(outboxDir, journalFile(3)), `${JSON.stringify({ t: 'enq', d: opaque })}\n`);
    const r = await receiver();
    const t = await rig({ dir: outboxDir, webhooks: [webhook({ url: r.url, name: 'New name', orgId: 8 })], dispatcher: { clock } });
    expect(t.outbox.get('dlv_old')?.event).toEqual({ udid: 'OLD1', name: 'Old phone', to: 'Offline', at: Date.parse('2026-11-20T08:00:00.000Z'), seq: 4 });
    await t.attemptsReach(2);
    const byId = new Map(r.requests().map((q) => [q.headers['webhook-id'], q.body]));
    expect(JSON.parse(byId.get('msg_old')!)).toEqual({ ...JSON.parse(oldBody), creationTime: new Date(clock.now()).toISOString(), orgId: 8, webhookName: 'New name' });
    // A body that is not a callback of ours goes out as it was stored.
    expect(byId.get('msg_opaque')).toBe('{"custom":true}');
    expect(t.attempts.find((a) => a.messageId === 'msg_old')).toMatchObject({ attempt: 2, event: { at: Date.parse('2026-11-20T08:00:00.000Z') } });
  });

  it('writes the new snapshot version', async () => {
    const dir = await tempDir();
    const outbox = await openOutbox({ dir });
    const { readFile } = await import('node:fs/promises');
    const bytes = await readFile(join(dir, SNAPSHOT_FILE));
    const firstLine = bytes.subarray(0, bytes.indexOf(0x0a));
    const [header] = decodeLine<{ version: number }>(firstLine).records;
    expect(header).toBeDefined();
    expect(header?.version).toBe(OUTBOX_RECORD_VERSION);
    await outbox.close();
  });
});

describe('webhook-id and webhook-timestamp on every callback', () => {
  it('an unsigned webhook’s callbacks carry webhook-id and webhook-timestamp, and no webhook-signature', async () => {
    const { clock, r, t } = await clockedRig();
    const { deliveries } = await t.dispatcher.dispatch(event());
    await t.attemptsReach(1);
    const q = r.requests()[0]!;
    expect(q.headers['webhook-id']).toBe(deliveries[0]!.messageId);
    expect(q.headers['webhook-timestamp']).toBe(String(Math.floor(clock.now() / 1000)));
    expect(q.headers['webhook-signature']).toBeUndefined();
  });
});

describe('a try uses the webhook as it is now', () => {
  it('a rename before the retry shows the new name (and a new org id)', async () => {
    const clock = new ManualClock();
    let calls = 0;
    const r = await receiver({ respond: () => ({ status: ++calls < 2 ? 500 : 200 }) });
    const hooks = [webhook({ url: r.url, name: 'Before' })];
    const t = await rig({ webhooks: hooks, dispatcher: { clock, random: fixedRandom(0.5) } });
    await t.dispatcher.dispatch(event());
    await t.attemptsReach(1);
    hooks[0] = { ...hooks[0]!, name: 'After', orgId: 99 };
    await until(() => expect(clock.dues()).toHaveLength(1));
    clock.advance(5_000);
    await t.attemptsReach(2);
    expect(r.requests().map((q) => JSON.parse(q.body) as { webhookName: string; orgId: number }).map((b) => [b.webhookName, b.orgId])).toEqual([
      ['Before', 42],
      ['After', 99],
    ]);
  });

  it.each([
    ['the event is switched off', (w: ReturnType<typeof webhook>) => ({ ...w, events: { ...w.events, online: false } })],
    ['the device left the webhook’s scope (UDIDs)', (w: ReturnType<typeof webhook>) => ({ ...w, scope: { udids: ['someone-else'] } })],
    ['the device left the webhook’s scope (platforms)', (w: ReturnType<typeof webhook>) => ({ ...w, scope: { platforms: ['ios'] } })],
  ])('%s before the retry: Skipped — no longer subscribed, not Failed, no pause', async (_name, change) => {
    const clock = new ManualClock();
    const r = await receiver({ reply: { status: 500 } });
    const hooks = [webhook({ url: r.url })];
    const t = await rig({ webhooks: hooks, dispatcher: { clock, random: fixedRandom(0.5), pauseAfterFailures: 2 } });
    const { deliveries } = await t.dispatcher.dispatch(event({ to: 'Online' }));
    await t.attemptsReach(1);
    hooks[0] = change(hooks[0]!);
    await until(() => expect(clock.dues()).toHaveLength(1));
    clock.advance(5_000);
    await t.attemptsReach(2);
    expect(r.requests()).toHaveLength(1);
    expect(t.attempts[1]).toMatchObject({ deliveryId: deliveries[0]!.id, result: 'skipped', outcome: 'skipped', errorLabel: 'Skipped — no longer subscribed' });
    expect(t.outbox.size).toBe(0);
    expect(t.paused).toEqual([]);
    expect(await t.dispatcher.history({ webhookId: 1, result: 'skipped' })).toHaveLength(1);
    expect(await t.dispatcher.history({ webhookId: 1, result: 'failure' })).toHaveLength(1);
  });

  it('an edit that unsubscribes skips the waiting callback at once; an edit that keeps it leaves its retry time', async () => {
    const clock = new ManualClock();
    const r = await receiver({ reply: { status: 500 } });
    const hooks = [webhook({ url: r.url, id: 1 }), webhook({ url: r.url, id: 2 })];
    const t = await rig({ webhooks: hooks, dispatcher: { clock, random: fixedRandom(0.5) } });
    await t.dispatcher.dispatch(event({ to: 'Online' }));
    await t.attemptsReach(2);
    await until(() => expect(clock.dues()).toHaveLength(2));
    hooks[0] = { ...hooks[0]!, events: { ...hooks[0]!.events, online: false } };
    hooks[1] = { ...hooks[1]!, name: 'Renamed' };
    await t.dispatcher.refresh();
    await t.attemptsReach(3);
    expect(t.attempts[2]).toMatchObject({ webhookId: 1, result: 'skipped', errorLabel: 'Skipped — no longer subscribed' });
    await t.dispatcher.flush();
    expect(r.requests()).toHaveLength(2);
    expect(t.outbox.list().map((d) => d.webhookId)).toEqual([2]);
    expect(clock.dues()).toHaveLength(1);
  });

  it('a deleted webhook’s waiting callbacks end Skipped — webhook deleted, at once', async () => {
    const clock = new ManualClock();
    const r = await receiver({ reply: { status: 500 } });
    const hooks = [webhook({ url: r.url })];
    const deleted = new Set<number>();
    const t = await rig({ webhooks: hooks, dispatcher: { clock, random: fixedRandom(0.5), isWebhookDeleted: (id) => deleted.has(id) } });
    await t.dispatcher.dispatch(event({ udid: 'A' }));
    await t.dispatcher.dispatch(event({ udid: 'A' }));
    await t.attemptsReach(1);
    hooks.length = 0;
    deleted.add(1);
    await t.dispatcher.refresh();
    await t.attemptsReach(3);
    expect(t.attempts.slice(1).map((a) => [a.result, a.errorLabel])).toEqual([
      ['skipped', 'Skipped — webhook deleted'],
      ['skipped', 'Skipped — webhook deleted'],
    ]);
    expect(t.outbox.size).toBe(0);
    expect(r.requests()).toHaveLength(1);
  });

  it('callbacks for a webhook id that is neither defined nor recorded as deleted stay queued', async () => {
    const clock = new ManualClock();
    const r = await receiver({ reply: { status: 500 } });
    const hooks = [webhook({ url: r.url })];
    const t = await rig({ webhooks: hooks, dispatcher: { clock, random: fixedRandom(0.5), isWebhookDeleted: () => false } });
    await t.dispatcher.dispatch(event());
    await t.attemptsReach(1);
    hooks.length = 0;
    await until(() => expect(clock.dues()).toHaveLength(1));
    clock.advance(5_000);
    await t.dispatcher.flush();
    expect(t.outbox.size).toBe(1);
    expect(t.attempts).toHaveLength(1);
    // Back (e.g. restored): it goes.
    r.setReply({ status: 200 });
    hooks.push(webhook({ url: r.url }));
    await t.dispatcher.refresh();
    await t.attemptsReach(2);
    expect(t.attempts[1]).toMatchObject({ outcome: 'succeeded' });
  });
});
