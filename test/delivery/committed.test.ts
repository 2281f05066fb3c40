// A device's committed status and sequence number are written in the outbox journal together with the
// callbacks they announce, and each callback's webhook-id is a function of a secret kept with that data,
// the webhook, the device and the sequence number: a change committed again after a crash carries the
// same id, while a fresh outbox gets a new secret (ids never collide with ones sent before).
import { describe, expect, it } from 'vitest';
import { openOutbox } from '../../main/delivery/outbox';
import { reconcileDevices } from '../../main/services/reconcile';
import type { SavedDeviceState } from '../../main/devices/tracker';
import { ManualClock, event, receiver, rig, tempDir, webhook } from '../support/delivery';

describe('committed device status in the outbox', () => {
  it('is on disk with the event’s callbacks, and survives a reopen', async () => {
    const dir = await tempDir();
    const clock = new ManualClock();
    const r = await receiver({ reply: { status: 500 } });
    const t = await rig({ dir, webhooks: [webhook({ url: r.url })], dispatcher: { clock } });
    await t.dispatcher.dispatch(event({ udid: 'A', seq: 7, to: 'Offline', at: 1234, name: 'Phone A' }));
    // No webhook wants Utilizing from B: the status is committed all the same.
    t.webhooks[0] = { ...t.webhooks[0]!, events: { online: true, offline: true, utilizing: false, unplugged: true } };
    await t.dispatcher.dispatch(event({ udid: 'B', seq: 3, to: 'Utilizing', at: 99, platform: 'ios' }));
    expect(t.outbox.committedDevices().get('A')).toMatchObject({ udid: 'A', to: 'Offline', seq: 7, at: 1234, name: 'Phone A' });
    await t.dispatcher.stop({ timeoutMs: 0 });
    await t.outbox.close();
    const reopened = await openOutbox({ dir });
    expect([...reopened.committedDevices().values()].map((d) => [d.udid, d.to, d.seq])).toEqual([
      ['A', 'Offline', 7],
      ['B', 'Utilizing', 3],
    ]);
    await reopened.close();
  });

  it('message ids: the same (webhook, device, seq) gives the same webhook-id in the same data, another in a fresh one; test events are random', async () => {
    const dirA = await tempDir();
    const dirB = await tempDir();
    const r = await receiver({ reply: { status: 500 } });
    const a1 = await rig({ dir: dirA, webhooks: [webhook({ url: r.url })], dispatcher: { clock: new ManualClock() } });
    const first = (await a1.dispatcher.dispatch(event({ udid: 'A', seq: 5 }))).deliveries[0]!;
    const other = (await a1.dispatcher.dispatch(event({ udid: 'A', seq: 6 }))).deliveries[0]!;
    expect(other.messageId).not.toBe(first.messageId);
    await a1.dispatcher.stop({ timeoutMs: 0 });
    await a1.outbox.close();
    await a1.history.close();
    // The same data after a crash: the same change committed again carries the same id.
    const a2 = await rig({ dir: dirA, webhooks: [webhook({ url: r.url })], dispatcher: { clock: new ManualClock() } });
    const again = (await a2.dispatcher.dispatch(event({ udid: 'A', seq: 5 }))).deliveries[0]!;
    expect(again.messageId).toBe(first.messageId);
    expect(again.messageId).toMatch(/^msg_[A-Za-z0-9_-]{22}$/);
    const test1 = await a2.dispatcher.sendTest(1, event({ udid: 'A', seq: 5 }));
    const test2 = await a2.dispatcher.sendTest(1, event({ udid: 'A', seq: 5 }));
    expect(new Set([test1.messageId, test2.messageId, first.messageId]).size).toBe(3);
    // Another folder (a fresh device state): another secret, another id.
    const b = await rig({ dir: dirB, webhooks: [webhook({ url: r.url })], dispatcher: { clock: new ManualClock() } });
    const fresh = (await b.dispatcher.dispatch(event({ udid: 'A', seq: 5 }))).deliveries[0]!;
    expect(fresh.messageId).not.toBe(first.messageId);
  });
});

describe('reconcileDevices', () => {
  const saved = (over: Partial<SavedDeviceState>): SavedDeviceState => ({
    udid: 'A',
    name: 'Phone',
    platform: 'android',
    connection: 'usb',
    status: 'Online',
    since: 100,
    seq: 4,
    ...over,
  });

  it('takes the outbox’s committed status where it is newer than devices.json, and adds devices it alone knows', () => {
    const committed = new Map([
      ['A', { udid: 'A', name: 'Phone', platform: 'android' as const, to: 'Offline' as const, seq: 5, at: 200 }],
      ['B', { udid: 'B', name: 'Old', platform: 'ios' as const, to: 'Unplugged' as const, seq: 2, at: 50 }],
      ['C', { udid: '10.0.0.2:5555', name: 'Net', to: 'Online' as const, seq: 9, at: 70 }],
    ]);
    const out = reconcileDevices([saved({}), saved({ udid: 'B', seq: 3, status: 'Online' })], committed);
    expect(out.find((d) => d.udid === 'A')).toMatchObject({ status: 'Offline', seq: 5, since: 200, connection: 'usb' });
    // devices.json is newer for B: kept.
    expect(out.find((d) => d.udid === 'B')).toMatchObject({ status: 'Online', seq: 3 });
    expect(out.find((d) => d.udid === '10.0.0.2:5555')).toMatchObject({ status: 'Online', seq: 9, connection: 'network', platform: 'other', name: 'Net' });
  });
});
