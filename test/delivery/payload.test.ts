import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchWebhooks, wants } from '../../main/delivery/match';
import { buildPayload, serializePayload } from '../../main/delivery/payload';
import type { DeliveryEvent, DeliveryWebhook, Status } from '../../main/delivery/types';

const KEYS = ['creationTime', 'deviceName', 'deviceUdid', 'eventActivity', 'eventDescription', 'eventType', 'orgId', 'webhookId', 'webhookName'];
const ISO_MS_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const hook: DeliveryWebhook = {
  id: 7,
  orgId: 42,
  name: 'Lab hook',
  url: 'http://127.0.0.1:9/x',
  events: { online: true, offline: true, utilizing: true, unplugged: true },
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  headers: { 'X-Extra': 'not in the body' },
};
const ev = (to: Status, over: Partial<DeliveryEvent> = {}): DeliveryEvent => ({
  udid: 'R58M123ABC',
  name: 'Galaxy Note 8',
  platform: 'android',
  to,
  at: Date.UTC(2026, 10, 27, 10, 15, 0, 123),
  seq: 3,
  ...over,
});

describe('buildPayload', () => {
  it('has exactly the nine keys, with the right types and values', () => {
    const body = buildPayload({ event: ev('Online'), webhook: hook, org: { id: 42 }, at: Date.UTC(2026, 10, 27, 10, 15, 0, 123) });
    expect(Object.keys(body).sort()).toEqual(KEYS);
    expect(body).toEqual({
      creationTime: '2026-11-27T10:15:00.123Z',
      eventType: 'DEVICE',
      eventActivity: 'device.status.online',
      eventDescription: 'Online',
      deviceUdid: 'R58M123ABC',
      deviceName: 'Galaxy Note 8',
      orgId: 42,
      webhookId: 7,
      webhookName: 'Lab hook',
    });
    expect(typeof body.orgId).toBe('number');
    expect(typeof body.webhookId).toBe('number');
    // The serialized text has the same keys and nothing else (no secret, headers or platform leak in).
    expect(Object.keys(JSON.parse(serializePayload(body)) as object).sort()).toEqual(KEYS);
    expect(serializePayload(body)).not.toMatch(/whsec|X-Extra|android|seq/);
  });

  it.each([
    ['Online', 'device.status.online'],
    ['Offline', 'device.status.offline'],
    ['Utilizing', 'device.state.utilizing'],
    ['Unplugged', 'device.state.unplugged'],
  ] as const)('%s → %s', (to, activity) => {
    const body = buildPayload({ event: ev(to), webhook: hook, org: { id: 42 }, at: 0 });
    expect(body.eventActivity).toBe(activity);
    expect(body.eventDescription).toBe(to);
    expect(body.creationTime).toBe('1970-01-01T00:00:00.000Z');
  });

  it('creationTime is ISO-8601 UTC with milliseconds and Z for any time in years 0000–9999, even whole seconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: -62_167_219_200_000, max: 253_402_300_799_999 }), (at) => {
        const body = buildPayload({ event: ev('Offline'), webhook: hook, org: { id: 1 }, at });
        expect(body.creationTime).toMatch(ISO_MS_Z);
        expect(Date.parse(body.creationTime)).toBe(at);
      }),
    );
    expect(buildPayload({ event: ev('Offline'), webhook: hook, org: { id: 1 }, at: Date.UTC(2026, 0, 1) }).creationTime).toBe('2026-01-01T00:00:00.000Z');
  });

  it('refuses an unknown status and an invalid time instead of sending a wrong body', () => {
    expect(() => buildPayload({ event: ev('Sleeping' as Status), webhook: hook, org: { id: 1 }, at: 0 })).toThrow(/unknown status/);
    expect(() => buildPayload({ event: ev('Online'), webhook: hook, org: { id: 1 }, at: Number.NaN })).toThrow(RangeError);
    expect(() => buildPayload({ event: ev('Online'), webhook: hook, org: { id: 1 }, at: 8.64e15 })).toThrow(RangeError);
  });

  it('keeps names exactly (unicode, quotes) and serializes to valid JSON', () => {
    const body = buildPayload({ event: ev('Online', { name: 'Zoë\'s "📱" iPhone' }), webhook: { id: 1, name: 'ハンドラー' }, org: { id: 9 }, at: 1 });
    const parsed = JSON.parse(serializePayload(body)) as Record<string, unknown>;
    expect(parsed.deviceName).toBe('Zoë\'s "📱" iPhone');
    expect(parsed.webhookName).toBe('ハンドラー');
  });
});

describe('matchWebhooks', () => {
  const base = (over: Partial<DeliveryWebhook>): DeliveryWebhook => ({ ...hook, ...over });

  it('sends only to enabled webhooks subscribed to the status the device moved into', () => {
    const hooks = [
      base({ id: 1 }),
      base({ id: 2, enabled: false }),
      base({ id: 3, events: { online: false, offline: true, utilizing: false, unplugged: false } }),
      base({ id: 4, paused: true }),
    ];
    expect(matchWebhooks(ev('Online'), hooks).map((w) => w.id)).toEqual([1, 4]);
    expect(matchWebhooks(ev('Offline'), hooks).map((w) => w.id)).toEqual([1, 3, 4]);
  });

  it('honours the device scope: absent or empty = all; udids and platforms both apply', () => {
    expect(wants(base({ scope: {} }), ev('Online'))).toBe(true);
    expect(wants(base({ scope: { udids: [], platforms: [] } }), ev('Online'))).toBe(true);
    expect(wants(base({ scope: { udids: ['OTHER'] } }), ev('Online'))).toBe(false);
    expect(wants(base({ scope: { udids: ['R58M123ABC'] } }), ev('Online'))).toBe(true);
    expect(wants(base({ scope: { platforms: ['ios'] } }), ev('Online'))).toBe(false);
    expect(wants(base({ scope: { platforms: ['ios', 'android'] } }), ev('Online'))).toBe(true);
    expect(wants(base({ scope: { udids: ['R58M123ABC'], platforms: ['ios'] } }), ev('Online'))).toBe(false);
  });
});
