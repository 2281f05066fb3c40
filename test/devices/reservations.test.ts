import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DeviceTracker } from '../../main/devices/tracker';
import type { DeviceEvent } from '../../main/devices/tracker';
import { ADMIN, byToken, ReservationError, Reservations } from '../../main/devices/reservations';
import type { Reservation } from '../../main/devices/reservations';
import { FakeClock } from '../support/fakeClock';
import { adb } from '../support/observations';

/** A tracker with A Online, B Offline, C gone (Unplugged), N just seen (not committed yet), plus reservations. */
function setup() {
  const clock = new FakeClock();
  const tracker = new DeviceTracker({ clock, settleAfterMs: null });
  tracker.sourcesSettled();
  tracker.ingest({ source: 'adb', devices: [adb('A'), adb('B', 'unauthorized'), adb('C')] });
  clock.advance(2000);
  tracker.ingest({ source: 'adb', devices: [adb('A'), adb('B', 'unauthorized')] });
  clock.advance(3000);
  tracker.ingest({ source: 'adb', devices: [adb('A'), adb('B', 'unauthorized'), adb('N')] });
  const events: DeviceEvent[] = [];
  tracker.onEvent((e) => events.push(e));
  const reservations = new Reservations({ clock, devices: tracker });
  return { clock, tracker, reservations, events };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof ReservationError) return err.code;
    throw err;
  }
  return undefined;
}

describe('Reservations', () => {
  it('marks an Online device in use: the tracker turns Utilizing and fires its event', () => {
    const { clock, tracker, reservations, events } = setup();
    const grant = reservations.markInUse('A', { by: 'runner-1', note: 'smoke', ttlMs: 60_000, origin: 'api' });
    expect(grant).toMatchObject({ udid: 'A', by: 'runner-1', note: 'smoke', since: clock.now(), expiresAt: clock.now() + 60_000, origin: 'api' });
    expect(grant.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(tracker.get('A')).toMatchObject({ status: 'Utilizing', inUse: { by: 'runner-1', note: 'smoke', until: clock.now() + 60_000 } });
    expect(events.map((e) => `${e.from}>${e.to}`)).toEqual(['Online>Utilizing']);
    expect(reservations.list()).toEqual([{ udid: 'A', by: 'runner-1', note: 'smoke', since: clock.now(), expiresAt: clock.now() + 60_000, origin: 'api' }]);
    expect(JSON.stringify(reservations.list())).not.toContain(grant.token);
  });

  it('refuses unknown, Unplugged, Offline and not-yet-committed devices with clear codes', () => {
    const { reservations, tracker } = setup();
    expect(codeOf(() => reservations.markInUse('nope'))).toBe('unknown_device');
    expect(tracker.statusOf('C')).toBe('Unplugged');
    expect(codeOf(() => reservations.markInUse('C'))).toBe('unknown_device');
    expect(tracker.statusOf('B')).toBe('Offline');
    expect(codeOf(() => reservations.markInUse('B'))).toBe('device_not_online');
    expect(tracker.statusOf('N')).toBeNull();
    expect(codeOf(() => reservations.markInUse('N'))).toBe('device_not_online');
    expect(reservations.list()).toEqual([]);
  });

  it('refuses a second reservation of the same device', () => {
    const { reservations } = setup();
    reservations.markInUse('A', { by: 'one' });
    expect(codeOf(() => reservations.markInUse('A', { by: 'two' }))).toBe('already_reserved');
    expect(reservations.get('A')!.by).toBe('one');
  });

  it('only the token holder (or the admin) may renew or release', () => {
    const { clock, reservations, tracker, events } = setup();
    const { token } = reservations.markInUse('A', { ttlMs: 60_000 });
    // differs from the real token in its last character only
    const other = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    expect(codeOf(() => reservations.renew('A', byToken(other), 120_000))).toBe('reserved_by_other');
    expect(codeOf(() => reservations.release('A', byToken(other)))).toBe('reserved_by_other');
    expect(codeOf(() => reservations.release('A', byToken('')))).toBe('reserved_by_other');
    expect(tracker.statusOf('A')).toBe('Utilizing');
    clock.advance(10_000);
    expect(reservations.renew('A', byToken(token), 120_000).expiresAt).toBe(clock.now() + 120_000);
    reservations.release('A', byToken(token));
    expect(tracker.statusOf('A')).toBe('Online');
    expect(tracker.get('A')!.inUse).toBeUndefined();
    expect(events.filter((e) => e.udid === 'A').map((e) => e.to)).toEqual(['Utilizing']);
  });

  it('the admin may renew and release anything', () => {
    const { clock, reservations, tracker } = setup();
    reservations.markInUse('A', { origin: 'api', ttlMs: 1000 });
    reservations.renew('A', ADMIN, 50_000);
    clock.advance(49_999);
    expect(tracker.statusOf('A')).toBe('Utilizing');
    reservations.release('A', ADMIN);
    expect(tracker.statusOf('A')).toBe('Online');
  });

  it('a reservation with a TTL lapses by itself, a renewed one later', () => {
    const { clock, reservations, tracker } = setup();
    const changes: Reservation[][] = [];
    reservations.onChange((list) => changes.push(list));
    const { token } = reservations.markInUse('A', { ttlMs: 60_000 });
    clock.advance(30_000);
    reservations.renew('A', byToken(token), 60_000);
    clock.advance(59_999);
    expect(tracker.statusOf('A')).toBe('Utilizing');
    clock.advance(1);
    expect(tracker.statusOf('A')).toBe('Online');
    expect(reservations.list()).toEqual([]);
    expect(changes.map((c) => c.length)).toEqual([1, 1, 0]);
    expect(codeOf(() => reservations.release('A', byToken(token)))).toBe('not_reserved');
    expect(clock.pending()).toBe(0);
  });

  it('a reservation without TTL stays until released', () => {
    const { clock, reservations, tracker } = setup();
    reservations.markInUse('A');
    clock.advance(30 * 24 * 60 * 60 * 1000);
    expect(tracker.statusOf('A')).toBe('Utilizing');
    expect(reservations.get('A')!.expiresAt).toBeNull();
  });

  it('reaches TTLs beyond the timer limit in steps', () => {
    const clock = new FakeClock(0);
    const inUse = new Map<string, unknown>();
    const reservations = new Reservations({
      clock,
      maxTtlMs: 40 * 24 * 60 * 60 * 1000,
      devices: { statusOf: () => 'Online', setInUse: (udid, info) => (info ? inUse.set(udid, info) : inUse.delete(udid)) },
    });
    const ttl = 30 * 24 * 60 * 60 * 1000;
    reservations.markInUse('A', { ttlMs: ttl });
    clock.advance(ttl - 1);
    expect(inUse.has('A')).toBe(true);
    clock.advance(1);
    expect(inUse.has('A')).toBe(false);
  });

  it('checks the TTL', () => {
    const { reservations } = setup();
    expect(codeOf(() => reservations.markInUse('A', { ttlMs: 0 }))).toBe('invalid_ttl');
    expect(codeOf(() => reservations.markInUse('A', { ttlMs: Number.NaN }))).toBe('invalid_ttl');
    expect(codeOf(() => reservations.markInUse('A', { ttlMs: 8 * 24 * 60 * 60 * 1000 }))).toBe('invalid_ttl');
    const { token } = reservations.markInUse('A', { ttlMs: 1000 });
    expect(codeOf(() => reservations.renew('A', byToken(token), -5))).toBe('invalid_ttl');
  });

  it('renew/release of a device that is not reserved: not_reserved, or unknown_device when unknown', () => {
    const { reservations } = setup();
    expect(codeOf(() => reservations.release('A', ADMIN))).toBe('not_reserved');
    expect(codeOf(() => reservations.renew('A', ADMIN, 1000))).toBe('not_reserved');
    expect(codeOf(() => reservations.release('ghost', ADMIN))).toBe('unknown_device');
  });

  it('issues a different token every time', () => {
    const { reservations } = setup();
    const a = reservations.markInUse('A').token;
    reservations.release('A', ADMIN);
    const b = reservations.markInUse('A').token;
    expect(a).not.toBe(b);
  });

  it('dispose() clears the lapse timers', () => {
    const { clock, reservations } = setup();
    const before = clock.pending();
    reservations.markInUse('A', { ttlMs: 1000 });
    expect(clock.pending()).toBe(before + 1);
    reservations.dispose();
    expect(clock.pending()).toBe(before);
  });

  it('property: the tracker’s in-use state always mirrors the reservations; nobody but the holder or admin can end one', () => {
    type Op =
      | { op: 'mark'; dev: 'A' | 'B'; ttl: number | null }
      | { op: 'renew' | 'release'; dev: 'A' | 'B'; who: 'holder' | 'stranger' | 'admin'; ttl: number }
      | { op: 'advance'; ms: number };
    const dev = fc.constantFrom<'A' | 'B'>('A', 'B');
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ op: fc.constant('mark' as const), dev, ttl: fc.option(fc.integer({ min: 1, max: 5000 }), { nil: null }) }),
      fc.record({ op: fc.constantFrom('renew' as const, 'release' as const), dev, who: fc.constantFrom('holder' as const, 'stranger' as const, 'admin' as const), ttl: fc.integer({ min: 1, max: 5000 }) }),
      fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 3000 }) }),
    );
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        const clock = new FakeClock();
        const tracker = new DeviceTracker({ clock, settleAfterMs: null });
        tracker.sourcesSettled();
        tracker.ingest({ source: 'adb', devices: [adb('A'), adb('B')] });
        clock.advance(500);
        const reservations = new Reservations({ clock, devices: tracker });
        const tokens = new Map<string, string>();
        const model = new Map<string, number | null>(); // udid → expiresAt
        for (const o of ops) {
          for (const [udid, exp] of model) if (exp !== null && exp <= clock.now()) model.delete(udid);
          if (o.op === 'advance') {
            clock.advance(o.ms);
            for (const [udid, exp] of model) if (exp !== null && exp <= clock.now()) model.delete(udid);
          } else if (o.op === 'mark') {
            const code = codeOf(() => tokens.set(o.dev, reservations.markInUse(o.dev, o.ttl === null ? {} : { ttlMs: o.ttl }).token));
            expect(code).toBe(model.has(o.dev) ? 'already_reserved' : undefined);
            if (!code) model.set(o.dev, o.ttl === null ? null : clock.now() + o.ttl);
          } else {
            const actor = o.who === 'admin' ? ADMIN : byToken(o.who === 'holder' ? (tokens.get(o.dev) ?? 'none') : 'stranger-token');
            const code = codeOf(() => (o.op === 'renew' ? reservations.renew(o.dev, actor, o.ttl) : reservations.release(o.dev, actor)));
            const expected = !model.has(o.dev) ? 'not_reserved' : o.who === 'stranger' ? 'reserved_by_other' : undefined;
            expect(code).toBe(expected);
            if (!code) {
              if (o.op === 'renew') model.set(o.dev, clock.now() + o.ttl);
              else model.delete(o.dev);
            }
          }
          for (const udid of ['A', 'B']) {
            expect([udid, tracker.statusOf(udid)]).toEqual([udid, model.has(udid) ? 'Utilizing' : 'Online']);
            expect(reservations.get(udid)?.expiresAt).toBe(model.get(udid));
          }
        }
        reservations.dispose();
        tracker.dispose();
      }),
      { numRuns: 300 },
    );
  });
});
