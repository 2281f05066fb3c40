import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DeviceTracker } from '../../main/devices/tracker';
import { ALL_SOURCES } from '../../main/devices/identity';
import type { DeviceEvent, FlappingNotice, SavedDeviceState, Status, TrackerOptions, Transition } from '../../main/devices/tracker';
import type { Observation, SourceId } from '../../main/devices/types';
import { FakeClock } from '../support/fakeClock';
import { adb, mux, usb } from '../support/observations';

/** The sources these tests drive by name (the app's list, ALL_SOURCES, may grow: see the test of the default). */
const SOURCES: readonly SourceId[] = ['usb', 'adb', 'usbmux'];

function mk(options: Partial<TrackerOptions> = {}, settle = true) {
  const clock = new FakeClock();
  const tracker = new DeviceTracker({ clock, settleAfterMs: null, sources: SOURCES, ...options });
  const events: DeviceEvent[] = [];
  tracker.onEvent((e) => events.push(e));
  if (settle) tracker.sourcesSettled();
  const snap = (source: SourceId, ...devices: Observation[]) => tracker.ingest({ source, devices });
  const brief = () => events.map((e) => `${e.udid}:${e.from ?? 'null'}>${e.to}`);
  return { clock, tracker, events, snap, brief };
}

describe('FakeClock', () => {
  it('runs due timers in order of due time, each at its own time, and not before', () => {
    const clock = new FakeClock(0);
    const seen: string[] = [];
    clock.setTimeout(() => seen.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => {
      seen.push(`a@${clock.now()}`);
      clock.setTimeout(() => seen.push(`c@${clock.now()}`), 5);
    }, 10);
    const cancelled = clock.setTimeout(() => seen.push('x'), 15);
    clock.clearTimeout(cancelled);
    clock.advance(9);
    expect(seen).toEqual([]);
    clock.advance(16);
    expect(seen).toEqual(['a@10', 'c@15', 'b@20']);
    expect(clock.now()).toBe(25);
  });
});

describe('a storm', () => {
  it('commits hundreds of devices that change in one snapshot in one pass: one change notification, not one per device', () => {
    const { clock, tracker, snap, events } = mk();
    const serials = Array.from({ length: 500 }, (_, i) => `S${i}`);
    snap('adb', ...serials.map((s) => adb(s)));
    clock.advance(500);
    expect(events).toHaveLength(500);
    let changes = 0;
    tracker.onChange(() => changes++);
    snap('adb', ...serials.map((s) => adb(s, 'offline')));
    const atIngest = changes;
    clock.advance(2000);
    expect(events).toHaveLength(1000);
    expect(events.slice(500).every((e) => e.to === 'Offline')).toBe(true);
    expect(changes - atIngest).toBe(1);
  });
});

describe('a resync', () => {
  it('500 devices listed offline by a restarted source for 3 s, then back: no event, and their commits run in one pass', () => {
    const { clock, tracker, events } = mk();
    const serials = Array.from({ length: 500 }, (_, i) => `S${i}`);
    tracker.ingest({ source: 'adb', devices: serials.map((s) => adb(s)), resync: true });
    clock.advance(500);
    expect(events).toHaveLength(500);
    clock.advance(10_000);
    tracker.ingest({ source: 'adb', devices: serials.map((s) => adb(s, 'offline')), resync: true });
    clock.advance(3000);
    tracker.ingest({ source: 'adb', devices: serials.map((s) => adb(s)) });
    clock.advance(60_000);
    expect(events).toHaveLength(500);
    // Still offline when the settle window ends: every Offline commits then, in one change notification.
    tracker.ingest({ source: 'adb', devices: serials.map((s) => adb(s, 'offline')), resync: true });
    let changes = 0;
    tracker.onChange(() => changes++);
    clock.advance(4999);
    expect(events).toHaveLength(500);
    clock.advance(1);
    expect(events).toHaveLength(1000);
    expect(changes).toBe(1);
  });

  it('holds only the resyncing source’s devices: an iPhone unplugged meanwhile commits on its own hold', () => {
    const { clock, tracker, brief } = mk();
    tracker.ingest({ source: 'adb', devices: [adb('A1')], resync: true });
    tracker.ingest({ source: 'usbmux', devices: [mux('I1')], resync: true });
    clock.advance(10_000);
    tracker.ingest({ source: 'adb', devices: [], resync: true });
    tracker.ingest({ source: 'usbmux', devices: [] });
    clock.advance(3000);
    expect(brief()).toEqual(['A1:null>Online', 'I1:null>Online', 'I1:Online>Unplugged']);
    clock.advance(2000);
    expect(brief()).toEqual(['A1:null>Online', 'I1:null>Online', 'I1:Online>Unplugged', 'A1:Online>Unplugged']);
  });
});

describe('debounce', () => {
  it('commits a new device as Online after 500 ms, with its entry event from null', () => {
    const { clock, tracker, snap, events } = mk();
    snap('adb', adb('R58M1', 'device', { usbPath: 'usb:1-1', name: 'Galaxy' }));
    expect(tracker.statusOf('R58M1')).toBeNull();
    expect(tracker.list()[0]).toMatchObject({ status: null, pending: { to: 'Online' } });
    clock.advance(499);
    expect(events).toHaveLength(0);
    const t0 = clock.now() + 1;
    clock.advance(1);
    expect(events).toEqual([
      { udid: 'R58M1', name: 'Galaxy', platform: 'android', connection: 'usb', visibility: 'Local', from: null, to: 'Online', at: t0, seq: 1 },
    ]);
    expect(tracker.list()[0]).toMatchObject({ status: 'Online', since: t0 });
    expect(tracker.list()[0]!.pending).toBeUndefined();
  });

  it('uses the per-status hold times: Offline 2000 ms, Unplugged 3000 ms', () => {
    const { clock, snap, brief } = mk();
    snap('adb', adb('A'));
    clock.advance(500);
    snap('adb', adb('A', 'offline'));
    clock.advance(1999);
    expect(brief()).toEqual(['A:null>Online']);
    clock.advance(1);
    expect(brief()).toEqual(['A:null>Online', 'A:Online>Offline']);
    snap('adb');
    clock.advance(2999);
    expect(brief()).toHaveLength(2);
    clock.advance(1);
    expect(brief()).toEqual(['A:null>Online', 'A:Online>Offline', 'A:Offline>Unplugged']);
  });

  it('takes custom hold times', () => {
    const { clock, snap, brief } = mk({ debounceMs: { online: 50, unplugged: 100 } });
    snap('adb', adb('A'));
    clock.advance(50);
    snap('adb');
    clock.advance(99);
    expect(brief()).toEqual(['A:null>Online']);
    clock.advance(1);
    expect(brief()).toEqual(['A:null>Online', 'A:Online>Unplugged']);
  });

  it('sends nothing for a replug or hub reset shorter than the hold time', () => {
    const { clock, tracker, snap, brief } = mk();
    snap('adb', adb('A'));
    clock.advance(500);
    snap('adb');
    clock.advance(2000);
    expect(tracker.get('A')).toMatchObject({ status: 'Online', pending: { to: 'Unplugged' } });
    snap('adb', adb('A', 'offline'));
    clock.advance(900);
    snap('adb', adb('A'));
    clock.advance(10_000);
    expect(brief()).toEqual(['A:null>Online']);
    expect(tracker.get('A')!.pending).toBeUndefined();
    expect(tracker.get('A')!.history).toHaveLength(1);
  });

  it('restarts the hold time when the desired status changes (offline then gone: only Unplugged)', () => {
    const { clock, snap, brief } = mk();
    snap('adb', adb('A'));
    clock.advance(500);
    snap('adb', adb('A', 'offline'));
    clock.advance(1500);
    snap('adb');
    clock.advance(2999);
    expect(brief()).toEqual(['A:null>Online']);
    clock.advance(1);
    expect(brief()).toEqual(['A:null>Online', 'A:Online>Unplugged']);
  });

  it('forgets a device seen for less than its entry hold time, without any event', () => {
    const { clock, tracker, snap, events } = mk();
    snap('adb', adb('A'));
    clock.advance(300);
    snap('adb');
    clock.advance(10_000);
    expect(events).toEqual([]);
    expect(tracker.list()).toEqual([]);
  });

  it('uses only the injected clock, and dispose() clears every timer', () => {
    const { clock, tracker, snap, events } = mk();
    snap('adb', adb('A'), adb('B', 'offline'));
    expect(clock.pending()).toBe(2);
    tracker.dispose();
    expect(clock.pending()).toBe(0);
    clock.advance(10_000);
    expect(events).toEqual([]);
  });
});

describe('status rules', () => {
  it('is Offline for adb offline / unauthorized / no permissions', () => {
    const { clock, tracker, snap } = mk();
    snap('adb', adb('A', 'unauthorized'), adb('B', 'no permissions (user in plugdev group); see [http://developer.android.com/tools/device.html]'), adb('C', 'offline'));
    clock.advance(2000);
    expect(tracker.list().map((d) => [d.udid, d.status])).toEqual([
      ['A', 'Offline'],
      ['B', 'Offline'],
      ['C', 'Offline'],
    ]);
    expect(tracker.get('A')!.rawStates).toEqual({ adb: 'unauthorized' });
  });

  it('is Offline for a phone seen only on USB, Online once adb has it usable', () => {
    const { clock, tracker, snap, brief } = mk();
    snap('usb', usb('R58M1', { usbPath: '1-1', name: 'SAMSUNG_Android' }));
    clock.advance(2000);
    expect(tracker.statusOf('R58M1')).toBe('Offline');
    snap('adb', adb('R58M1', 'device', { usbPath: 'usb:1-1' }));
    clock.advance(500);
    expect(brief()).toEqual(['R58M1:null>Offline', 'R58M1:Offline>Online']);
    expect(tracker.get('R58M1')!.sources).toEqual(['usb', 'adb']);
  });

  it('is Online if any source says usable', () => {
    const { clock, tracker, snap } = mk();
    snap('usb', usb('00008030001A35E02E38802E', { platform: 'ios', usbPath: '2-1' }));
    snap('usbmux', mux('00008030-001A35E02E38802E'));
    clock.advance(500);
    expect(tracker.statusOf('00008030-001A35E02E38802E')).toBe('Online');
  });

  it('Utilizing: immediate on mark, its event; release goes back to Online with no event', () => {
    const { clock, tracker, snap, brief } = mk();
    snap('adb', adb('A'));
    clock.advance(500);
    tracker.setInUse('A', { by: 'ci-runner-3', note: 'nightly', until: clock.now() + 60_000 });
    expect(tracker.statusOf('A')).toBe('Utilizing');
    expect(tracker.get('A')!.inUse).toEqual({ by: 'ci-runner-3', note: 'nightly', until: clock.now() + 60_000 });
    tracker.setInUse('A', null);
    expect(tracker.statusOf('A')).toBe('Online');
    clock.advance(10_000);
    expect(brief()).toEqual(['A:null>Online', 'A:Online>Utilizing']);
    expect(tracker.get('A')!.history.map((t) => `${t.from}>${t.to}`)).toEqual(['null>Online', 'Online>Utilizing', 'Utilizing>Online']);
  });

  it('a reserved device that goes offline turns Offline, and Utilizing again (with the Online hold) when back', () => {
    const { clock, tracker, snap, brief } = mk();
    snap('adb', adb('A'));
    clock.advance(500);
    tracker.setInUse('A', {});
    snap('adb', adb('A', 'offline'));
    clock.advance(2000);
    snap('adb', adb('A'));
    clock.advance(499);
    expect(tracker.statusOf('A')).toBe('Offline');
    clock.advance(1);
    expect(brief()).toEqual(['A:null>Online', 'A:Online>Utilizing', 'A:Utilizing>Offline', 'A:Offline>Utilizing']);
  });

  it('an Unplugged device that comes back fires Online from Unplugged', () => {
    const { clock, snap, brief } = mk();
    snap('adb', adb('A'));
    clock.advance(500);
    snap('adb');
    clock.advance(3000);
    snap('adb', adb('A'));
    clock.advance(500);
    expect(brief()).toEqual(['A:null>Online', 'A:Online>Unplugged', 'A:Unplugged>Online']);
  });
});

describe('merging sources', () => {
  it('matches a USB record to the adb record on the same port (usb:1-1 == 1-1), even with another serial', () => {
    const { clock, tracker, snap } = mk();
    snap('usb', usb('usb:18d1:4ee7@1-1', { usbPath: '1-1', name: 'Pixel USB product' }));
    snap('adb', adb('ZY22', 'device', { usbPath: 'usb:1-1', name: 'Pixel 8' }));
    clock.advance(5000);
    expect(tracker.list()).toHaveLength(1);
    expect(tracker.get('ZY22')).toMatchObject({ status: 'Online', sources: ['usb', 'adb'], name: 'Pixel 8', usbPath: '1-1' });
  });

  it('matches an iOS USB serial to the usbmux UDID', () => {
    const { clock, tracker, snap } = mk();
    snap('usbmux', mux('00008030-001A35E02E38802E', { name: "Anna's iPhone" }));
    snap('usb', usb('00008030001a35e02e38802e', { platform: 'ios', usbPath: '2-1', name: 'iPhone' }));
    clock.advance(5000);
    expect(tracker.list().map((d) => d.udid)).toEqual(['00008030-001A35E02E38802E']);
    expect(tracker.get('00008030-001A35E02E38802E')).toMatchObject({ sources: ['usb', 'usbmux'], name: "Anna's iPhone", platform: 'ios' });
  });

  it('lists non-phone USB devices apart unless the admin tracks them', () => {
    const { clock, tracker, snap, brief } = mk();
    const keyboard = usb('usb:046d:c31c@1-3', { isPhone: false, platform: 'other', name: 'USB Keyboard', usbPath: '1-3' });
    snap('usb', keyboard);
    clock.advance(5000);
    expect(tracker.list()).toEqual([]);
    expect(tracker.otherUsb()).toEqual([keyboard]);
    tracker.setTrackedUsb(['usb:046d:c31c@1-3']);
    expect(tracker.otherUsb()).toEqual([]);
    clock.advance(2000);
    expect(tracker.get('usb:046d:c31c@1-3')).toMatchObject({ status: 'Offline', name: 'USB Keyboard', platform: 'other' });
    expect(brief()).toEqual(['usb:046d:c31c@1-3:null>Offline']);
  });

  it('a down source’s phone never seen on the USB bus (no USB access) keeps its status', () => {
    const { clock, tracker, snap, brief } = mk();
    snap('usb');
    snap('adb', adb('A', 'device', { usbPath: '1-1' }));
    clock.advance(500);
    tracker.setSourceHealth({ source: 'adb', state: 'down', since: clock.now() });
    snap('usb');
    clock.advance(60_000);
    expect(brief()).toEqual(['A:null>Online']);
  });

  it('keeps a down source’s last list: its devices keep their status until it reports again', () => {
    const { clock, tracker, snap, brief } = mk();
    snap('adb', adb('A'), adb('192.168.1.20:5555'));
    clock.advance(500);
    tracker.setSourceHealth({ source: 'adb', state: 'down', message: 'adb server not reachable on 127.0.0.1:5037', since: clock.now() });
    clock.advance(60_000);
    expect(tracker.list().map((d) => d.status)).toEqual(['Online', 'Online']);
    expect(tracker.sourceHealth().find((h) => h.source === 'adb')).toMatchObject({ state: 'down', message: 'adb server not reachable on 127.0.0.1:5037' });
    tracker.setSourceHealth({ source: 'adb', state: 'ok', since: clock.now() });
    snap('adb', adb('A'));
    clock.advance(3000);
    expect(brief()).toEqual(['A:null>Online', '192.168.1.20:5555:null>Online', '192.168.1.20:5555:Online>Unplugged']);
  });
});

describe('visibility', () => {
  it('usb → Local, host:port → Private; Public never emits but is still tracked', () => {
    const { clock, tracker, snap, events } = mk();
    tracker.setVisibility('192.168.1.20:5555', 'Public');
    snap('adb', adb('A'), adb('192.168.1.20:5555'), adb('10.0.0.2:5555'));
    clock.advance(500);
    expect(events.map((e) => [e.udid, e.visibility])).toEqual([
      ['A', 'Local'],
      ['10.0.0.2:5555', 'Private'],
    ]);
    expect(tracker.get('192.168.1.20:5555')).toMatchObject({ status: 'Online', visibility: 'Public', visibilityOverride: 'Public' });
    snap('adb', adb('A'), adb('10.0.0.2:5555'));
    clock.advance(3000);
    expect(tracker.statusOf('192.168.1.20:5555')).toBe('Unplugged');
    expect(events.filter((e) => e.udid === '192.168.1.20:5555')).toEqual([]);
    tracker.setVisibility('192.168.1.20:5555', null);
    expect(tracker.get('192.168.1.20:5555')!.visibility).toBe('Private');
    snap('adb', adb('A'), adb('10.0.0.2:5555'), adb('192.168.1.20:5555'));
    clock.advance(500);
    expect(events.at(-1)).toMatchObject({ udid: '192.168.1.20:5555', from: 'Unplugged', to: 'Online', seq: 1, visibility: 'Private' });
  });

  it('rejects an unknown visibility', () => {
    const { tracker } = mk();
    expect(() => tracker.setVisibility('A', 'Secret' as never)).toThrow(RangeError);
  });
});

describe('names and change notifications', () => {
  it('prefers the adb/usbmux name over the USB product string, keeps it, and a rename fires no event', () => {
    const { clock, tracker, snap, events } = mk();
    snap('usb', usb('R1', { usbPath: '1-1', name: 'SAMSUNG_Android' }));
    expect(tracker.get('R1')!.name).toBe('SAMSUNG_Android');
    snap('adb', adb('R1', 'device', { usbPath: 'usb:1-1', name: '  ' }));
    expect(tracker.get('R1')!.name).toBe('SAMSUNG_Android');
    snap('adb', adb('R1', 'device', { usbPath: 'usb:1-1', name: 'Galaxy Note 8' }));
    expect(tracker.get('R1')!.name).toBe('Galaxy Note 8');
    snap('adb', adb('R1', 'device', { usbPath: 'usb:1-1' }));
    expect(tracker.get('R1')!.name).toBe('Galaxy Note 8');
    clock.advance(500);
    const changes: string[] = [];
    tracker.onChange((list) => changes.push(list[0]!.name));
    snap('adb', adb('R1', 'device', { usbPath: 'usb:1-1', name: 'Lab phone 7' }));
    expect(changes).toEqual(['Lab phone 7']);
    expect(events).toHaveLength(1);
    expect(events[0]!.name).toBe('Galaxy Note 8');
  });

  it('falls back to the udid, never an empty name', () => {
    const { tracker, snap } = mk();
    snap('adb', adb('A', 'device', { name: '' }));
    expect(tracker.get('A')!.name).toBe('A');
  });

  it('onChange fires for a pending status, not for an identical snapshot', () => {
    const { clock, tracker, snap } = mk();
    snap('adb', adb('A'));
    clock.advance(500);
    let calls = 0;
    tracker.onChange(() => calls++);
    snap('adb', adb('A'));
    expect(calls).toBe(0);
    snap('adb');
    expect(calls).toBe(1);
    expect(tracker.get('A')!.pending).toMatchObject({ to: 'Unplugged' });
    clock.advance(3000);
    expect(calls).toBe(2);
    tracker.setSourceHealth({ source: 'usb', state: 'down', since: clock.now() });
    expect(calls).toBe(3);
  });

  it('lets listeners call back into the tracker', () => {
    const { clock, tracker, snap, brief } = mk();
    tracker.onEvent((e) => {
      if (e.to === 'Online') tracker.setInUse(e.udid, { by: 'auto' });
    });
    snap('adb', adb('A'));
    clock.advance(500);
    expect(brief()).toEqual(['A:null>Online', 'A:Online>Utilizing']);
    expect(tracker.get('A')!.inUse).toEqual({ by: 'auto' });
  });

  it('a change listener that changes something is heard again with the change; one that changes nothing is heard once', () => {
    const { clock, tracker, snap } = mk();
    snap('adb', adb('A'));
    clock.advance(500);
    const seen: (string | undefined)[] = [];
    tracker.onChange((list) => {
      seen.push(list[0]!.visibilityOverride);
      if (list[0]!.visibilityOverride === undefined) tracker.setVisibility('A', 'Public');
    });
    snap('adb', adb('A', 'offline'));
    expect(seen).toEqual([undefined, 'Public']);
    snap('adb', adb('A', 'offline'));
    expect(seen).toEqual([undefined, 'Public']);
    snap('adb', adb('A'));
    expect(seen).toEqual([undefined, 'Public', 'Public']);
  });

  it('bounds the history: 24 h window and a count limit', () => {
    const { clock, tracker, snap } = mk({ historyLimit: 5 });
    snap('adb', adb('A'));
    for (let i = 0; i < 10; i++) {
      clock.advance(4 * 60_000); // slower than flapping (more than 6 changes in 10 minutes)
      snap('adb', adb('A', 'offline'));
      clock.advance(2000);
      snap('adb', adb('A'));
    }
    clock.advance(500);
    expect(tracker.get('A')!.history).toHaveLength(5);
    expect(tracker.get('A')!.history.at(-1)).toMatchObject({ from: 'Offline', to: 'Online', at: clock.now() });
    clock.advance(24 * 60 * 60 * 1000 + 1);
    expect(tracker.get('A')!.history).toEqual([]);
  });
});

describe('launch comparison and persistence', () => {
  const t0 = Date.UTC(2025, 0, 1, 11, 0, 0);
  const previous: SavedDeviceState[] = [
    { udid: 'GONE', name: 'Old phone', platform: 'android', connection: 'usb', status: 'Online', since: t0, seq: 7 },
    { udid: 'BACK', name: 'Back phone', platform: 'android', connection: 'usb', status: 'Online', since: t0, seq: 3 },
    { udid: 'LONG-GONE', name: 'Drawer', platform: 'ios', connection: 'usb', status: 'Unplugged', since: t0, seq: 2 },
    { udid: 'PUB', name: 'Shared', platform: 'android', connection: 'usb', status: 'Offline', since: t0, seq: 1, visibilityOverride: 'Public' },
  ];

  it('after every source reported once: Unplugged for each device gone since last quit, once', () => {
    const { clock, tracker, snap, events } = mk({ previous }, false);
    expect(tracker.get('GONE')).toMatchObject({ status: 'Online', name: 'Old phone' });
    snap('adb', adb('BACK'));
    snap('usb');
    clock.advance(60_000);
    expect(events).toEqual([]);
    snap('usbmux');
    expect(events).toEqual([
      { udid: 'GONE', name: 'Old phone', platform: 'android', connection: 'usb', visibility: 'Local', from: 'Online', to: 'Unplugged', at: clock.now(), seq: 8 },
    ]);
    expect(tracker.statusOf('PUB')).toBe('Unplugged');
    snap('usbmux');
    tracker.sourcesSettled();
    clock.advance(60_000);
    expect(events).toHaveLength(1);
    expect(tracker.statusOf('BACK')).toBe('Online');
    expect(tracker.statusOf('LONG-GONE')).toBe('Unplugged');
  });

  it('sourcesSettled() runs it when a source never reports', () => {
    const { tracker, events } = mk({ previous: [previous[0]!] }, false);
    tracker.sourcesSettled();
    expect(events.map((e) => [e.udid, e.to, e.seq])).toEqual([['GONE', 'Unplugged', 8]]);
  });

  it('settles by itself after settleAfterMs', () => {
    const { clock, events } = mk({ previous: [previous[0]!], settleAfterMs: 10_000 }, false);
    clock.advance(9_999);
    expect(events).toEqual([]);
    clock.advance(1);
    expect(events.map((e) => e.to)).toEqual(['Unplugged']);
  });

  it('without a list of sources, waits for every source the app has (ALL_SOURCES)', () => {
    const clock = new FakeClock();
    const tracker = new DeviceTracker({ clock, settleAfterMs: 10_000 });
    for (const source of ALL_SOURCES) {
      expect(clock.pending(), `settled before ${source} reported`).toBe(1);
      tracker.ingest({ source, devices: [] });
    }
    expect(clock.pending()).toBe(0);
    tracker.dispose();
  });

  it('drops its settle timer once every source reported', () => {
    const { clock, snap } = mk({ settleAfterMs: 10_000 }, false);
    expect(clock.pending()).toBe(1);
    snap('adb');
    snap('usb');
    snap('usbmux');
    expect(clock.pending()).toBe(0);
  });

  it('commits nothing before the sources settled, then what held long enough', () => {
    const { clock, tracker, snap, brief } = mk({}, false);
    snap('usb', usb('R1', { usbPath: '1-1' }));
    clock.advance(5000);
    expect(tracker.statusOf('R1')).toBeNull();
    snap('adb', adb('R1', 'device', { usbPath: 'usb:1-1' }));
    snap('usbmux');
    expect(tracker.statusOf('R1')).toBeNull();
    clock.advance(500);
    expect(brief()).toEqual(['R1:null>Online']);
  });

  it('continues seq, names and overrides across a restart (exportState → constructor)', () => {
    const first = mk();
    first.snap('adb', adb('A', 'device', { name: 'Lab 1' }));
    first.clock.advance(500);
    first.snap('adb', adb('A', 'offline'));
    first.clock.advance(2000);
    first.tracker.setVisibility('A', 'Private');
    const saved = JSON.parse(JSON.stringify(first.tracker.exportState())) as SavedDeviceState[];
    expect(saved).toEqual([
      expect.objectContaining({ udid: 'A', name: 'Lab 1', nameSource: 'device', status: 'Offline', seq: 2, visibilityOverride: 'Private' }),
    ]);
    first.tracker.dispose();

    const second = mk({ previous: saved }, false);
    expect(second.tracker.get('A')).toMatchObject({ status: 'Offline', visibility: 'Private', name: 'Lab 1' });
    expect(second.tracker.get('A')!.history.map((t) => t.to)).toEqual(['Online', 'Offline']);
    second.snap('adb', adb('A'));
    second.tracker.sourcesSettled();
    second.clock.advance(500);
    expect(second.events).toEqual([expect.objectContaining({ udid: 'A', from: 'Offline', to: 'Online', seq: 3, name: 'Lab 1', visibility: 'Private' })]);
  });

  it('a device present again simply continues: Online → Online sends nothing', () => {
    const { clock, snap, tracker, events } = mk({ previous: [previous[1]!] }, false);
    snap('adb', adb('BACK'));
    snap('usb');
    snap('usbmux');
    clock.advance(60_000);
    expect(events).toEqual([]);
    expect(tracker.statusOf('BACK')).toBe('Online');
  });

  it('skips unreadable saved entries', () => {
    const { tracker } = mk({ previous: [{ udid: '', status: 'Nope' } as never, previous[2]!] }, false);
    expect(tracker.list().map((d) => d.udid)).toEqual(['LONG-GONE']);
  });
});

// ─────────────────────────────── properties ───────────────────────────────

/** A small workstation: each phone as each source sees it. */
const P = {
  P1: { udid: 'R58M1', adb: { udid: 'R58M1', usbPath: 'usb:1-1' }, usb: { udid: 'R58M1', usbPath: '1-1' } },
  P2: { udid: 'ZY22', adb: { udid: 'ZY22', usbPath: 'usb:1-2' }, usb: { udid: 'usb:18d1:4ee7@1-2', usbPath: '1-2' } },
  P3: { udid: '00008030-001A35E02E38802E', usbmux: { udid: '00008030-001A35E02E38802E' }, usb: { udid: '00008030001A35E02E38802E', usbPath: '2-1' } },
  P4: { udid: '192.168.1.20:5555', adb: { udid: '192.168.1.20:5555' } },
} as const;
const KEYBOARD = usb('usb:046d:c31c@1-3', { isPhone: false, platform: 'other', usbPath: '1-3' });
const UDIDS = [P.P1.udid, P.P2.udid, P.P2.usb.udid, P.P3.udid, P.P4.udid];

type AdbState = 'absent' | 'device' | 'offline' | 'unauthorized';
type World = { adb: Record<'P1' | 'P2' | 'P4', AdbState>; usbmux: { P3: boolean }; usb: Record<'P1' | 'P2' | 'P3' | 'K', boolean> };

function adbList(w: World): Observation[] {
  const out: Observation[] = [];
  for (const k of ['P1', 'P2', 'P4'] as const) {
    const s = w.adb[k];
    if (s !== 'absent') {
      const r = P[k].adb;
      out.push(adb(r.udid, s, 'usbPath' in r ? { usbPath: r.usbPath } : {}));
    }
  }
  return out;
}
function usbmuxList(w: World): Observation[] {
  return w.usbmux.P3 ? [mux(P.P3.udid)] : [];
}
function usbList(w: World): Observation[] {
  const out: Observation[] = [];
  for (const k of ['P1', 'P2', 'P3'] as const) {
    if (w.usb[k]) out.push(usb(P[k].usb.udid, { usbPath: P[k].usb.usbPath, platform: k === 'P3' ? 'ios' : 'android' }));
  }
  if (w.usb.K) out.push(KEYBOARD);
  return out;
}

/** What the model knows besides the lists: sources down and not listed since, whether the USB source listed, what the bus has shown. */
interface Context {
  down: Set<SourceId>;
  usbListed: boolean;
  seenOnBus: Set<'P1' | 'P2' | 'P3'>;
}
const newContext = (): Context => ({ down: new Set(), usbListed: false, seenOnBus: new Set() });

/** A down source's USB phone that the bus showed in this run and no longer shows is gone (its stale line does not count). */
function visibleIn(w: World, c: Context, k: 'P1' | 'P2' | 'P3'): boolean {
  const listed = k === 'P3' ? w.usbmux.P3 : w.adb[k] !== 'absent';
  if (!listed) return false;
  const judged = c.down.has(k === 'P3' ? 'usbmux' : 'adb') && c.usbListed && !c.down.has('usb');
  return !(judged && c.seenOnBus.has(k) && !w.usb[k]);
}

/** After a recompute: the phones whose record had a USB record (P1 and P3 also as a USB-only record under the same udid). */
function noteBus(w: World, c: Context): void {
  for (const k of ['P1', 'P2', 'P3'] as const) if (w.usb[k] && (k !== 'P2' || visibleIn(w, c, k))) c.seenOnBus.add(k);
}

/** The test's own reading of the rules: what each present device should be once everything held long enough. */
function expectedPresent(w: World, inUse: Set<string>, c: Context = newContext()): Map<string, Status> {
  const m = new Map<string, Status>();
  const put = (udid: string, usable: boolean) => m.set(udid, usable ? (inUse.has(udid) ? 'Utilizing' : 'Online') : 'Offline');
  if (visibleIn(w, c, 'P1') || w.usb.P1) put(P.P1.udid, visibleIn(w, c, 'P1') && w.adb.P1 === 'device');
  if (visibleIn(w, c, 'P2')) put(P.P2.udid, w.adb.P2 === 'device');
  else if (w.usb.P2) put(P.P2.usb.udid, false);
  if (visibleIn(w, c, 'P3') || w.usb.P3) put(P.P3.udid, visibleIn(w, c, 'P3'));
  if (w.adb.P4 !== 'absent') put(P.P4.udid, w.adb.P4 === 'device');
  return m;
}

const adbState = fc.constantFrom<AdbState>('absent', 'device', 'device', 'offline', 'unauthorized');
const worldArb: fc.Arbitrary<World> = fc.record({
  adb: fc.record({ P1: adbState, P2: adbState, P4: adbState }),
  usbmux: fc.record({ P3: fc.boolean() }),
  usb: fc.record({ P1: fc.boolean(), P2: fc.boolean(), P3: fc.boolean(), K: fc.boolean() }),
});
const gapArb = fc.oneof(
  fc.integer({ min: 0, max: 600 }),
  fc.integer({ min: 1400, max: 3600 }),
  fc.constantFrom(0, 499, 500, 501, 1999, 2000, 2001, 2999, 3000, 3001),
);

type Step =
  | { kind: 'snap'; source: SourceId; world: World }
  | { kind: 'advance'; ms: number }
  | { kind: 'inUse'; udid: string; on: boolean }
  | { kind: 'public'; udid: string; on: boolean }
  | { kind: 'health'; source: SourceId; down: boolean }
  | { kind: 'settle' };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('snap' as const), source: fc.constantFrom<SourceId>('adb', 'usbmux', 'usb'), world: worldArb }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: gapArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('inUse' as const), udid: fc.constantFrom(...UDIDS), on: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('public' as const), udid: fc.constantFrom(...UDIDS), on: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('health' as const), source: fc.constantFrom<SourceId>('adb', 'usbmux', 'usb'), down: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'settle' as const }) },
);

/** Drives a tracker through steps and checks, step by step, that events and committed transitions match one to one. */
function drive(steps: Step[], options: Partial<TrackerOptions> = {}) {
  const clock = new FakeClock();
  const tracker = new DeviceTracker({ clock, settleAfterMs: null, ...options });
  const publicSet = new Set((options.previous ?? []).filter((s) => s.visibilityOverride === 'Public').map((s) => s.udid));
  const inUse = new Set<string>();
  const world: World = {
    adb: { P1: 'absent', P2: 'absent', P4: 'absent' },
    usbmux: { P3: false },
    usb: { P1: false, P2: false, P3: false, K: false },
  };
  const context = newContext();
  const events: (DeviceEvent & { publicAtEmit: boolean })[] = [];
  let stepEvents: DeviceEvent[] = [];
  tracker.onEvent((e) => {
    events.push({ ...e, publicAtEmit: publicSet.has(e.udid) });
    stepEvents.push(e);
  });
  const committed: (Transition & { udid: string })[] = [];

  const historyOf = () => new Map(tracker.list().map((d) => [d.udid, d.history]));
  const apply = (step: Step) => {
    switch (step.kind) {
      case 'snap':
        if (step.source === 'adb') world.adb = { ...step.world.adb };
        if (step.source === 'usbmux') world.usbmux = { ...step.world.usbmux };
        if (step.source === 'usb') world.usb = { ...step.world.usb };
        tracker.ingest({ source: step.source, devices: step.source === 'adb' ? adbList(world) : step.source === 'usbmux' ? usbmuxList(world) : usbList(world) });
        if (step.source === 'usb') context.usbListed = true;
        context.down.delete(step.source);
        noteBus(world, context);
        break;
      case 'advance':
        clock.advance(step.ms);
        break;
      case 'inUse':
        if (step.on) inUse.add(step.udid);
        else inUse.delete(step.udid);
        tracker.setInUse(step.udid, step.on ? { by: 'prop' } : null);
        break;
      case 'public':
        if (step.on) publicSet.add(step.udid);
        else publicSet.delete(step.udid);
        tracker.setVisibility(step.udid, step.on ? 'Public' : null);
        break;
      case 'health':
        tracker.setSourceHealth({ source: step.source, state: step.down ? 'down' : 'ok', since: clock.now() });
        if (step.down) context.down.add(step.source);
        else context.down.delete(step.source);
        noteBus(world, context);
        break;
      case 'settle':
        tracker.sourcesSettled();
        break;
    }
  };

  const run = (step: Step) => {
    const before = historyOf();
    stepEvents = [];
    const publicDuring = new Set(publicSet);
    apply(step);
    if (step.kind === 'public') {
      // Changing visibility commits nothing.
      expect(stepEvents).toEqual([]);
    }
    // (b) exactly one event per committed transition the rules allow, and none for any other.
    const expected: string[] = [];
    for (const d of tracker.list()) {
      const prev = before.get(d.udid) ?? [];
      const fresh = d.history.slice(prev.length);
      expect(d.history.slice(0, prev.length)).toEqual(prev);
      for (const t of fresh) {
        committed.push({ udid: d.udid, ...t });
        expect(t.from).not.toBe(t.to);
        const isPublic = step.kind === 'public' ? publicSet.has(d.udid) : publicDuring.has(d.udid);
        if (!isPublic && !(t.from === 'Utilizing' && t.to === 'Online')) expected.push(`${d.udid}|${t.from}|${t.to}|${t.at}`);
      }
      // list() status is the last committed transition
      expect(d.status).toBe(d.history.at(-1)?.to ?? null);
    }
    const got = stepEvents.map((e) => `${e.udid}|${e.from}|${e.to}|${e.at}`);
    expect(got.sort()).toEqual(expected.sort());
  };

  return { clock, tracker, world, context, inUse, publicSet, events, committed, run };
}

describe('properties', () => {
  it('(a) no forbidden event, (b) one event per allowed committed transition, (d) seq +1 per device', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 60 }), (steps) => {
        const d = drive(steps);
        for (const step of steps) d.run(step);
        // (a)
        for (const e of d.events) {
          expect(e.from === 'Utilizing' && e.to === 'Online').toBe(false);
          expect(e.from).not.toBe(e.to);
          expect(e.publicAtEmit).toBe(false);
          expect(e.visibility).not.toBe('Public');
          expect(e.udid).not.toBe(KEYBOARD.udid);
        }
        // (d)
        const seqs = new Map<string, number[]>();
        for (const e of d.events) seqs.set(e.udid, [...(seqs.get(e.udid) ?? []), e.seq]);
        for (const list of seqs.values()) expect(list).toEqual(list.map((_, i) => i + 1));
        for (const s of d.tracker.exportState()) expect(s.seq).toBe(seqs.get(s.udid)?.length ?? 0);
        d.tracker.dispose();
      }),
      { numRuns: 300 },
    );
  });

  it('once every input held long enough, each device has the status the rules give (own model of merge + rules)', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 40 }), (steps) => {
        const d = drive(steps);
        for (const step of steps) d.run(step);
        d.run({ kind: 'settle' });
        d.run({ kind: 'advance', ms: 6001 }); // the longest hold: Unplugged, doubled while flapping
        const expected = expectedPresent(d.world, d.inUse, d.context);
        const listed = new Map(d.tracker.list().map((v) => [v.udid, v]));
        for (const [udid, status] of expected) expect([udid, listed.get(udid)?.status]).toEqual([udid, status]);
        for (const [udid, v] of listed) {
          if (!expected.has(udid)) expect([udid, v.status]).toEqual([udid, 'Unplugged']);
          expect(v.pending).toBeUndefined();
        }
        expect(listed.has(KEYBOARD.udid)).toBe(false);
        expect(d.tracker.otherUsb().map((o) => o.udid)).toEqual(d.world.usb.K ? [KEYBOARD.udid] : []);
        d.tracker.dispose();
      }),
      { numRuns: 300 },
    );
  });

  /** A flap: some snapshots of one phone, each after a gap, then the phone as it was. */
  const flapArb = fc.array(
    fc.record({ adb: fc.constantFrom<AdbState>('absent', 'offline', 'unauthorized', 'device'), usb: fc.boolean(), gap: fc.integer({ min: 0, max: 1000 }) }),
    { minLength: 1, maxLength: 8 },
  );
  const squeeze = (flap: { gap: number }[], budget: number) => {
    const total = flap.reduce((s, f) => s + f.gap, 0);
    return total < budget ? flap.map((f) => f.gap) : flap.map((f) => Math.floor((f.gap * (budget - 1)) / total));
  };

  it('(c) a phone that leaves and returns within less than the Unplugged hold time sends nothing', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.boolean(), fc.array(fc.integer({ min: 1, max: 1500 }), { minLength: 1, maxLength: 6 }), (reserved, viaUsbToo, gaps) => {
        const d = drive([]);
        d.run({ kind: 'settle' });
        d.run({ kind: 'snap', source: 'usb', world: { ...d.world, usb: { ...d.world.usb, P1: viaUsbToo } } });
        d.run({ kind: 'snap', source: 'adb', world: { ...d.world, adb: { ...d.world.adb, P1: 'device' } } });
        d.run({ kind: 'advance', ms: 500 });
        if (reserved) d.run({ kind: 'inUse', udid: P.P1.udid, on: true });
        const baseline = d.events.length;
        // gone from every source, for a total below 3000 ms, in several steps
        d.run({ kind: 'snap', source: 'adb', world: { ...d.world, adb: { ...d.world.adb, P1: 'absent' } } });
        d.run({ kind: 'snap', source: 'usb', world: { ...d.world, usb: { ...d.world.usb, P1: false } } });
        for (const g of squeeze(gaps.map((gap) => ({ gap })), 3000)) d.run({ kind: 'advance', ms: g });
        d.run({ kind: 'snap', source: 'usb', world: { ...d.world, usb: { ...d.world.usb, P1: viaUsbToo } } });
        d.run({ kind: 'snap', source: 'adb', world: { ...d.world, adb: { ...d.world.adb, P1: 'device' } } });
        d.run({ kind: 'advance', ms: 10_000 });
        expect(d.events.slice(baseline)).toEqual([]);
        expect(d.tracker.statusOf(P.P1.udid)).toBe(reserved ? 'Utilizing' : 'Online');
        d.tracker.dispose();
      }),
      { numRuns: 200 },
    );
  });

  it('(c) any flap through other states shorter than the shortest hold time sends nothing', () => {
    fc.assert(
      fc.property(fc.constantFrom<AdbState>('device', 'offline'), flapArb, (start, flap) => {
        const d = drive([]);
        d.run({ kind: 'settle' });
        d.run({ kind: 'snap', source: 'usb', world: { ...d.world, usb: { ...d.world.usb, P1: true } } });
        d.run({ kind: 'snap', source: 'adb', world: { ...d.world, adb: { ...d.world.adb, P1: start } } });
        d.run({ kind: 'advance', ms: 6001 }); // the longest hold: Unplugged, doubled while flapping
        const baseline = d.events.length;
        const status = d.tracker.statusOf(P.P1.udid);
        const gaps = squeeze(flap, 500);
        flap.forEach((f, i) => {
          d.run({ kind: 'snap', source: 'adb', world: { ...d.world, adb: { ...d.world.adb, P1: f.adb } } });
          d.run({ kind: 'snap', source: 'usb', world: { ...d.world, usb: { ...d.world.usb, P1: f.usb } } });
          d.run({ kind: 'advance', ms: gaps[i]! });
        });
        d.run({ kind: 'snap', source: 'adb', world: { ...d.world, adb: { ...d.world.adb, P1: start } } });
        d.run({ kind: 'snap', source: 'usb', world: { ...d.world, usb: { ...d.world.usb, P1: true } } });
        d.run({ kind: 'advance', ms: 10_000 });
        expect(d.events.slice(baseline)).toEqual([]);
        expect(d.tracker.statusOf(P.P1.udid)).toBe(status);
        d.tracker.dispose();
      }),
      { numRuns: 200 },
    );
  });

  it('seq keeps climbing by 1 across restarts', () => {
    fc.assert(
      fc.property(fc.array(fc.array(stepArb, { maxLength: 25 }), { minLength: 1, maxLength: 4 }), (runs) => {
        let saved: SavedDeviceState[] = [];
        const all: DeviceEvent[] = [];
        for (const steps of runs) {
          const d = drive([], { previous: saved });
          for (const step of steps) d.run(step);
          d.run({ kind: 'settle' });
          all.push(...d.events);
          saved = JSON.parse(JSON.stringify(d.tracker.exportState())) as SavedDeviceState[];
          d.tracker.dispose();
        }
        const seqs = new Map<string, number[]>();
        for (const e of all) seqs.set(e.udid, [...(seqs.get(e.udid) ?? []), e.seq]);
        for (const list of seqs.values()) expect(list).toEqual(list.map((_, i) => i + 1));
      }),
      { numRuns: 100 },
    );
  });
});

describe('logger', () => {
  it('accepts the sources’ function form: warns when settling without a source, logs commits', () => {
    const lines: string[] = [];
    const clock = new FakeClock();
    const tracker = new DeviceTracker({ clock, settleAfterMs: 1000, sources: SOURCES, logger: (level, msg) => lines.push(`${level} ${msg}`) });
    tracker.ingest({ source: 'adb', devices: [adb('A')] });
    clock.advance(1000);
    expect(lines).toEqual([
      'warn device sources did not all report in time; settling without them {"missing":["usb","usbmux"]}',
      'info device status {"udid":"A","from":null,"to":"Online"}',
    ]);
    tracker.dispose();
  });
});

describe('forgetting devices', () => {
  it('an admin forgets an Unplugged device: its row goes; back later, a new row whose seq continues', () => {
    const { clock, tracker, snap, events } = mk();
    snap('adb', adb('192.168.1.20:5555'));
    clock.advance(500);
    snap('adb');
    clock.advance(3000);
    expect(events.map((e) => e.seq)).toEqual([1, 2]);
    expect(tracker.forget('192.168.1.20:5555')).toBe('forgotten');
    expect(tracker.list()).toEqual([]);
    expect(tracker.exportState()).toEqual([]);
    expect(tracker.exportForgotten()).toMatchObject([{ udid: '192.168.1.20:5555', seq: 2 }]);
    expect(tracker.forgottenTimelines()[0]?.history.map((t) => t.to)).toEqual(['Online', 'Unplugged']);
    snap('adb', adb('192.168.1.20:5555'));
    clock.advance(500);
    expect(events.at(-1)).toMatchObject({ from: null, to: 'Online', seq: 3 });
    expect(tracker.get('192.168.1.20:5555')?.history.map((t) => t.to)).toEqual(['Online']);
  });

  it('refuses to forget a device that is still there, or an unknown one', () => {
    const { clock, tracker, snap } = mk();
    snap('adb', adb('A', 'offline'));
    clock.advance(2000);
    expect(tracker.forget('A')).toBe('present');
    expect(tracker.forget('nope')).toBe('unknown');
    expect(tracker.list()).toHaveLength(1);
  });

  it('forgets devices Unplugged for longer than the retention, at start and while running; seq survives a restart', () => {
    const day = 24 * 60 * 60 * 1000;
    const { clock, tracker, snap } = mk({ retentionMs: 30 * day });
    snap('adb', adb('emulator-5554'), adb('KEEP'));
    clock.advance(500);
    snap('adb', adb('KEEP'));
    clock.advance(3000);
    clock.advance(29 * day);
    expect(tracker.list().map((d) => d.udid).sort()).toEqual(['KEEP', 'emulator-5554']);
    clock.advance(day + 60 * 60 * 1000);
    tracker.forgetExpired(); // the composition root asks every hour
    expect(tracker.list().map((d) => d.udid)).toEqual(['KEEP']);
    const saved = { previous: tracker.exportState(), forgotten: tracker.exportForgotten() };
    tracker.dispose();

    const next = mk({ ...saved }, false);
    next.snap('adb', adb('emulator-5554'), adb('KEEP'));
    next.tracker.sourcesSettled();
    next.clock.advance(500);
    expect(next.events.map((e) => `${e.udid}#${e.seq}`)).toEqual(['emulator-5554#3']);

    // Restored devices already past the retention go at start.
    const old = mk({ previous: [{ udid: 'OLD', name: 'Old', platform: 'android', connection: 'network', status: 'Unplugged', since: Date.UTC(2024, 0, 1), seq: 7 }] });
    expect(old.tracker.list()).toEqual([]);
    expect(old.tracker.exportForgotten()).toMatchObject([{ udid: 'OLD', seq: 7 }]);
  });
});

describe('flapping ports', () => {
  it('a port dropping 6 times in a minute: "Flapping" with its port, doubled holds, one notification, per-port counts; ends after 10 quiet minutes', () => {
    const { clock, tracker, snap, events } = mk();
    const notices: FlappingNotice[] = [];
    tracker.onFlapping((n) => notices.push(n));
    const phone = adb('P7', 'device', { usbPath: 'usb:1-2.3', name: 'Pixel 7' });
    snap('adb', phone);
    clock.advance(500);
    for (let i = 0; i < 3; i++) {
      snap('adb');
      clock.advance(3000);
      snap('adb', phone);
      clock.advance(500);
    }
    expect(tracker.get('P7')?.flapping).toBeUndefined();
    snap('adb'); // the 7th change makes it flap
    clock.advance(3000);
    expect(tracker.get('P7')).toMatchObject({ status: 'Unplugged', flapping: { port: '1-2.3', hub: '1-2', changes: 7 } });
    expect(notices).toEqual([
      { udid: 'P7', name: 'Pixel 7', port: '1-2.3', hub: '1-2', disconnects: 4, message: 'Pixel 7 on USB port 1-2.3 (hub 1-2) disconnected 4 times in 10 min — check the cable or hub' },
    ]);
    // Holds doubled while it flaps: Online after 1 s, Unplugged after 6 s.
    snap('adb', phone);
    clock.advance(999);
    expect(tracker.get('P7')?.status).toBe('Unplugged');
    clock.advance(1);
    expect(tracker.get('P7')?.status).toBe('Online');
    for (let i = 0; i < 2; i++) {
      snap('adb');
      clock.advance(5999);
      expect(tracker.get('P7')?.status).toBe('Online');
      clock.advance(1);
      expect(tracker.get('P7')?.status).toBe('Unplugged');
      snap('adb', phone);
      clock.advance(1000);
    }
    expect(notices).toHaveLength(1);
    // Callbacks keep the status rules: every committed change is an ordinary event.
    expect(events.map((e) => e.to)).toEqual(['Online', ...Array.from({ length: 6 }, () => ['Unplugged', 'Online']).flat()]);
    expect(tracker.portStats()).toEqual([{ port: '1-2.3', hub: '1-2', disconnects: 6, devices: ['Pixel 7'], flapping: true }]);

    clock.advance(10 * 60 * 1000);
    expect(tracker.get('P7')?.flapping).toBeUndefined();
    snap('adb');
    clock.advance(3000);
    expect(tracker.get('P7')?.status).toBe('Unplugged');
  });

  it('caps a doubled hold at 30 s, and never shortens a longer one', () => {
    const { clock, tracker, snap } = mk({ debounceMs: { unplugged: 20_000, online: 0 } });
    const phone = adb('P', 'device', { usbPath: '1-1' });
    snap('adb', phone);
    clock.advance(0);
    for (let i = 0; i < 4; i++) {
      snap('adb');
      clock.advance(20_000);
      snap('adb', phone);
      clock.advance(0);
    }
    expect(tracker.get('P')?.flapping).toBeDefined();
    snap('adb');
    clock.advance(29_999);
    expect(tracker.get('P')?.status).toBe('Online');
    clock.advance(1);
    expect(tracker.get('P')?.status).toBe('Unplugged');
  });
});

describe('adb transports of one phone', () => {
  it('merges a USB and a Wi-Fi transport with one hardware serial; two of one kind sharing a factory serial stay two phones', () => {
    const { clock, tracker, snap, brief } = mk();
    snap(
      'adb',
      adb('R58M1', 'device', { hardwareSerial: 'R58M1' }),
      adb('192.168.1.20:5555', 'device', { hardwareSerial: 'R58M1' }),
      adb('10.0.0.5:5555', 'device', { hardwareSerial: '0123456789ABCDEF' }),
      adb('10.0.0.6:5555', 'device', { hardwareSerial: '0123456789ABCDEF' }),
    );
    clock.advance(500);
    expect(tracker.list().map((d) => [d.udid, d.transports.join('+')])).toEqual([
      ['R58M1', 'usb+network'],
      ['0123456789ABCDEF', 'network'],
      ['10.0.0.6:5555', 'network'],
    ]);
    expect(brief()).toEqual(['R58M1:null>Online', '0123456789ABCDEF:null>Online', '10.0.0.6:5555:null>Online']);
  });
});
