// Statuses that never happened: source restarts, lockdown retries, dead sources, clock steps, sleep.
// The device sources talk to the protocol fakes over real sockets; the tracker runs on an injected clock.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventEmitter } from 'node:events';
import { AdbSource } from '../../main/devices/adb';
import type { ChildLike, SpawnLike } from '../../main/devices/adb';
import { UsbmuxSource } from '../../main/devices/usbmux';
import { DeviceTracker } from '../../main/devices/tracker';
import type { DeviceEvent, TrackerOptions } from '../../main/devices/tracker';
import type { DeviceSource, SourceId } from '../../main/devices/types';
import { startFakeAdb } from '../fakes/adbServer';
import type { FakeAdbDevice } from '../fakes/adbServer';
import { startFakeUsbmuxd } from '../fakes/usbmuxd';
import { FakeClock } from '../support/fakeClock';
import { adb as adbSeen, usb } from '../support/observations';
import { until } from './recorder';

const FAST = { initialMs: 20, maxMs: 100 };
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const PHONE: FakeAdbDevice = { serial: 'R58M42ABCDE', state: 'device', usb: '1-1.4', model: 'SM-N950F', settings: { global: { device_name: 'Galaxy Note 8' } } };
const IPHONE = { udid: '00008030-001A35E11A88002E', name: 'QA iPhone 12' };

/** Lets injected time pass in small steps, giving real socket I/O its turn between them. */
async function pass(clock: FakeClock, ms: number, step = 25): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    clock.advance(Math.min(step, ms - t));
    await new Promise((resolve) => setTimeout(resolve, 3));
  }
}

function trackerOn(clock: FakeClock, sources: SourceId[], options: Partial<TrackerOptions> = {}) {
  const tracker = new DeviceTracker({ clock, settleAfterMs: null, sources, ...options });
  const events: DeviceEvent[] = [];
  tracker.onEvent((e) => events.push(e));
  cleanups.push(async () => tracker.dispose());
  const wire = (source: DeviceSource): void => {
    source.onSnapshot((s) => tracker.ingest(s));
    source.onHealth((h) => tracker.setSourceHealth(h));
    cleanups.push(() => source.stop());
    source.start();
  };
  const brief = () => events.map((e) => `${e.udid}:${e.from ?? 'null'}>${e.to}`);
  return { tracker, events, wire, brief };
}

/** A fake adb server (closed after the test) listing `devices`. */
async function fakeAdb(...devices: FakeAdbDevice[]) {
  const adb = await startFakeAdb();
  cleanups.push(() => adb.close());
  if (devices.length > 0) adb.setDevices(devices);
  return adb;
}

/** An AdbSource on the fake server; `options` adds to (or replaces) the test defaults. */
function adbSource(adb: { port: number }, options: Partial<ConstructorParameters<typeof AdbSource>[0]> = {}): AdbSource {
  return new AdbSource({ address: { kind: 'tcp', host: '127.0.0.1', port: adb.port, label: 'fake' }, findAdb: () => undefined, backoff: FAST, ...options });
}

/** A fake usbmuxd (closed after the test) with IPHONE attached. */
async function fakeMux() {
  const mux = await startFakeUsbmuxd();
  cleanups.push(() => mux.close());
  mux.attach(IPHONE);
  return mux;
}

function muxSource(mux: { socketPath: string }, options: Partial<ConstructorParameters<typeof UsbmuxSource>[0]> = {}): UsbmuxSource {
  return new UsbmuxSource({ address: { kind: 'unix', path: mux.socketPath, label: mux.socketPath }, backoff: FAST, settleMs: 20, ...options });
}

/** Kills the adb server and brings it back listing `devices` (the source sees it down, then its list). */
async function restartAdb(adb: Awaited<ReturnType<typeof fakeAdb>>, source: AdbSource, ...devices: FakeAdbDevice[]): Promise<void> {
  await adb.kill();
  await until(() => expect(source.health().state).toBe('down'));
  adb.setDevices(devices);
  await adb.restart();
}

/** A tracker expecting `sources`, fed by `source` (started here). */
function watching<S extends DeviceSource>(clock: FakeClock, sources: SourceId[], source: S) {
  const rig = trackerOn(clock, sources);
  rig.wire(source);
  return { ...rig, source };
}

/** PHONE on a fake adb server, its source feeding a tracker, committed Online. */
async function adbPhoneOnline() {
  const adb = await fakeAdb(PHONE);
  const clock = new FakeClock();
  const rig = watching(clock, ['adb'], adbSource(adb));
  await listed(rig.tracker, PHONE.serial, 'adb', 'device');
  clock.advance(600);
  return { adb, clock, ...rig };
}

/** Waits until the tracker's row for `udid` shows `source`'s raw state `state`. */
async function listed(tracker: DeviceTracker, udid: string, source: SourceId, state: string): Promise<void> {
  await until(() => expect(tracker.get(udid)?.rawStates[source]).toBe(state));
}

describe('source restarts are a resync, not a status', () => {
  it('adb server killed and restarted, the phone listed offline for 2.6 s: no callback', async () => {
    const { adb, clock, source, tracker, brief } = await adbPhoneOnline();
    expect(brief()).toEqual([`${PHONE.serial}:null>Online`]);

    await restartAdb(adb, source, { ...PHONE, state: 'offline' });
    await listed(tracker, PHONE.serial, 'adb', 'offline');
    clock.advance(2600);
    adb.setDevices([PHONE]);
    await listed(tracker, PHONE.serial, 'adb', 'device');
    clock.advance(10_000);
    expect(brief()).toEqual([`${PHONE.serial}:null>Online`]);
    expect(tracker.get(PHONE.serial)?.status).toBe('Online');
  });

  it('a phone still offline after the settle window commits Offline (5 s after the resync)', async () => {
    const { adb, clock, source, tracker, brief } = await adbPhoneOnline();
    await restartAdb(adb, source, { ...PHONE, state: 'offline' });
    await listed(tracker, PHONE.serial, 'adb', 'offline');
    clock.advance(4999);
    expect(brief()).toHaveLength(1);
    clock.advance(1);
    expect(brief()).toEqual([`${PHONE.serial}:null>Online`, `${PHONE.serial}:Online>Offline`]);
  });

  it('usbmuxd restarted, the phone re-enumerated 4 s later: no callback', async () => {
    const mux = await fakeMux();
    const clock = new FakeClock();
    const { tracker, brief, source } = watching(clock, ['usbmux'], muxSource(mux));
    await listed(tracker, IPHONE.udid, 'usbmux', 'Attached');
    clock.advance(600);
    expect(brief()).toEqual([`${IPHONE.udid}:null>Online`]);

    await mux.kill();
    await until(() => expect(source.health().state).toBe('down'));
    mux.detach(IPHONE.udid);
    await mux.restart();
    await until(() => expect(tracker.get(IPHONE.udid)?.sources).toEqual([]));
    clock.advance(4000);
    mux.attach(IPHONE);
    await listed(tracker, IPHONE.udid, 'usbmux', 'Attached');
    clock.advance(10_000);
    expect(brief()).toEqual([`${IPHONE.udid}:null>Online`]);
  });
});

describe('iOS lockdown timing', () => {
  it('a replug whose first lockdown Connect is refused commits no Offline (the retry comes sooner than the hold)', async () => {
    const mux = await fakeMux();
    const clock = new FakeClock();
    // One clock for the source and the tracker: the retry and the hold race on the same time line.
    const { tracker, brief } = watching(clock, ['usbmux'], muxSource(mux, { clock }));
    await until(async () => {
      await pass(clock, 25);
      expect(tracker.get(IPHONE.udid)?.rawStates.usbmux).toBe('Attached');
    });
    await pass(clock, 600);
    expect(brief()).toEqual([`${IPHONE.udid}:null>Online`]);
    await pass(clock, 6000); // past the first list's settle window

    mux.detach(IPHONE.udid);
    mux.refuseLockdown(IPHONE.udid);
    mux.attach(IPHONE);
    await listed(tracker, IPHONE.udid, 'usbmux', 'Attached (lockdown refused)');
    mux.refuseLockdown(IPHONE.udid, false);
    await pass(clock, 6000);

    expect(tracker.get(IPHONE.udid)?.rawStates.usbmux).toBe('Attached');
    expect(brief()).toEqual([`${IPHONE.udid}:null>Online`]);
  });
});

describe('a dead adb server does not outrank the USB bus', () => {
  it('adb kill-server twice: start-server is tried again, and the phone unplugged meanwhile turns Unplugged', async () => {
    const adb = await fakeAdb(PHONE);
    let listAtStart: FakeAdbDevice[] = [PHONE];
    const spawn = vi.fn<SpawnLike>(() => {
      const child = new EventEmitter() as EventEmitter & ChildLike;
      adb.setDevices(listAtStart);
      void adb.restart().then(() => child.emit('exit', 0));
      return child;
    });
    const clock = new FakeClock();
    const { tracker, brief, source } = watching(clock, ['adb'], adbSource(adb, { findAdb: () => '/usr/bin/adb', spawn }));
    await listed(tracker, PHONE.serial, 'adb', 'device');
    clock.advance(10_000);

    await adb.kill();
    await until(() => expect(spawn).toHaveBeenCalledTimes(1));
    await until(() => expect(source.health().state).toBe('ok'));
    listAtStart = []; // the phone is unplugged while the server is down the second time
    await adb.kill();
    await until(() => expect(tracker.get(PHONE.serial)?.sources).toEqual([]), 8000);
    expect(spawn).toHaveBeenCalledTimes(2);
    clock.advance(10_000);
    expect(brief()).toEqual([`${PHONE.serial}:null>Online`, `${PHONE.serial}:Online>Unplugged`]);
  });

  it('while the server stays dead, the phone whose USB device left the bus turns Unplugged; the one still on it keeps Online', async () => {
    const OTHER: FakeAdbDevice = { serial: 'ZY22G7', state: 'device', usb: '1-2' };
    const adb = await fakeAdb(PHONE, OTHER);
    const spawn = vi.fn<SpawnLike>(() => {
      const child = new EventEmitter() as EventEmitter & ChildLike;
      setImmediate(() => child.emit('exit', 1)); // cannot start a server
      return child;
    });
    const clock = new FakeClock();
    const { tracker, wire, brief } = trackerOn(clock, ['adb', 'usb']);
    const bus = (...paths: string[]) => tracker.ingest({ source: 'usb', devices: paths.map((p) => usb(`usb:18d1:4ee7@${p}`, { usbPath: p })) });
    bus('1-1.4', '1-2');
    const source = adbSource(adb, { findAdb: () => '/usr/bin/adb', spawn });
    wire(source);
    await listed(tracker, OTHER.serial, 'adb', 'device');
    clock.advance(10_000);
    expect(brief()).toEqual([`${PHONE.serial}:null>Online`, `${OTHER.serial}:null>Online`]);

    await adb.kill();
    await until(() => expect(spawn).toHaveBeenCalledTimes(1));
    await until(() => expect(source.health().state).toBe('down'));
    clock.advance(10_000);
    expect(brief()).toHaveLength(2); // a dead server alone changes nothing
    bus('1-2'); // PHONE's USB device leaves the bus
    clock.advance(3000);
    expect(brief()).toEqual([`${PHONE.serial}:null>Online`, `${OTHER.serial}:null>Online`, `${PHONE.serial}:Online>Unplugged`]);
    expect(tracker.get(OTHER.serial)?.status).toBe('Online');
  });
});

/** Phone A Online through adb, then gone from its list: its Unplugged hold (3 s) has just begun. */
function unpluggedAfterOnline(clock: FakeClock) {
  const tracker = new DeviceTracker({ clock, settleAfterMs: null, settleWindowMs: 0 });
  const events: DeviceEvent[] = [];
  tracker.onEvent((e) => events.push(e));
  tracker.sourcesSettled();
  tracker.ingest({ source: 'adb', devices: [adbSeen('A')] });
  clock.advance(600);
  tracker.ingest({ source: 'adb', devices: [] });
  return { tracker, events };
}

describe('a wall clock stepped during holds', () => {
  it('stepped back 1 h after unplugging: Unplugged commits after its 3 s hold, not an hour late', () => {
    const clock = new FakeClock();
    const { tracker, events } = unpluggedAfterOnline(clock);
    clock.advance(1000);
    clock.stepWall(-3_600_000);
    clock.advance(2000);
    expect(events.map((e) => e.to)).toEqual(['Online', 'Unplugged']);
    // What people read and the payload carry the wall clock as it is now.
    expect(events[1]?.at).toBe(clock.now());
    tracker.dispose();
  });

  it('stepped forward 1 h after unplugging: the hold is not skipped', () => {
    const clock = new FakeClock();
    const { tracker, events } = unpluggedAfterOnline(clock);
    clock.stepWall(3_600_000);
    tracker.ingest({ source: 'adb', devices: [] }); // anything that makes it look again
    clock.advance(1000);
    tracker.ingest({ source: 'adb', devices: [adbSeen('A')] }); // back within the hold: nothing happened
    clock.advance(10_000);
    expect(events.map((e) => e.to)).toEqual(['Online']);
    tracker.dispose();
  });

  it('a reservation TTL lapses on time whichever way the wall clock is stepped', async () => {
    const { Reservations } = await import('../../main/devices/reservations');
    for (const step of [-3_600_000, 3_600_000]) {
      const clock = new FakeClock();
      const tracker = new DeviceTracker({ clock, settleAfterMs: null });
      tracker.sourcesSettled();
      tracker.ingest({ source: 'adb', devices: [{ source: 'adb', udid: 'A', platform: 'android', connection: 'usb', usable: true, rawState: 'device' }] });
      clock.advance(600);
      const reservations = new Reservations({ clock, devices: tracker });
      reservations.markInUse('A', { ttlMs: 60_000 });
      clock.advance(1000);
      tracker.ingest({ source: 'adb', devices: [{ source: 'adb', udid: 'A', platform: 'android', connection: 'usb', usable: true, rawState: 'device' }] });
      clock.stepWall(step);
      clock.advance(58_000);
      expect(tracker.get('A')?.status).toBe('Utilizing');
      clock.advance(1500);
      expect(tracker.get('A')?.status).toBe('Online');
      reservations.dispose();
      tracker.dispose();
    }
  });
});

describe('one phone over USB and Wi-Fi is one device', () => {
  const WIFI: FakeAdbDevice = { serial: '192.168.1.20:5555', state: 'device', product: 'greatltexx', model: 'SM-N950F', props: { 'ro.serialno': PHONE.serial }, settings: PHONE.settings };

  it('one row under the hardware serial; no callback when the cable is pulled; Unplugged when Wi-Fi goes too', async () => {
    const adb = await fakeAdb(PHONE, WIFI);
    const clock = new FakeClock();
    const { tracker, wire, brief } = trackerOn(clock, ['adb']);
    const rows = new Set<string>();
    tracker.onChange((list) => list.forEach((d) => rows.add(d.udid)));
    wire(adbSource(adb));
    await until(() => expect(tracker.get(PHONE.serial)?.transports).toEqual(['usb', 'network']));
    clock.advance(10_000);
    expect(tracker.list().map((d) => d.udid)).toEqual([PHONE.serial]);
    expect(tracker.get(PHONE.serial)).toMatchObject({ status: 'Online', name: 'Galaxy Note 8', visibility: 'Local' });

    adb.setDevices([WIFI]); // the cable is pulled
    await until(() => expect(tracker.get(PHONE.serial)?.transports).toEqual(['network']));
    clock.advance(10_000);
    expect(tracker.get(PHONE.serial)).toMatchObject({ status: 'Online', visibility: 'Local' });
    expect(brief()).toEqual([`${PHONE.serial}:null>Online`]);

    adb.setDevices([]); // and Wi-Fi goes too
    await until(() => expect(tracker.get(PHONE.serial)?.sources).toEqual([]));
    clock.advance(10_000);
    expect(brief()).toEqual([`${PHONE.serial}:null>Online`, `${PHONE.serial}:Online>Unplugged`]);
    expect([...rows]).toEqual([PHONE.serial]);
  });

  it('emulators are never merged, even with the same ro.serialno', async () => {
    const adb = await fakeAdb();
    const emu = { state: 'device', props: { 'ro.serialno': 'EMULATOR35X1X10X0', 'ro.kernel.qemu': '1' } };
    adb.setDevices([
      { serial: 'emulator-5554', ...emu },
      { serial: '127.0.0.1:5557', ...emu },
    ]);
    const clock = new FakeClock();
    const { tracker, wire } = trackerOn(clock, ['adb']);
    const source = adbSource(adb);
    wire(source);
    await until(() => expect(adb.requests.filter((r) => r === 'shell:getprop ro.kernel.qemu')).toHaveLength(2));
    await until(() => expect(tracker.list().map((d) => d.udid).sort()).toEqual(['127.0.0.1:5557', 'emulator-5554']));
  });
});

describe('sleep and resume', () => {
  it('one phone removed during sleep: Unplugged for that one only, once adb has re-listed; the other (listed offline after the wake) fires nothing', async () => {
    const { resumeDevices } = await import('../../main/devices/sleep');
    const OTHER: FakeAdbDevice = { serial: 'ZY22G7', state: 'device', usb: '1-2' };
    const adb = await fakeAdb(PHONE, OTHER);
    const clock = new FakeClock();
    const { tracker, brief, source } = watching(clock, ['adb'], adbSource(adb));
    await listed(tracker, OTHER.serial, 'adb', 'device');
    clock.advance(10_000);
    expect(brief()).toEqual([`${PHONE.serial}:null>Online`, `${OTHER.serial}:null>Online`]);

    tracker.suspend();
    // While asleep the adb server sees OTHER go and PHONE drop to offline (USB suspended).
    adb.setDevices([{ ...PHONE, state: 'offline' }]);
    await until(() => expect(tracker.get(OTHER.serial)?.sources).toEqual([]));
    clock.advance(8 * 3_600_000);
    expect(brief()).toHaveLength(2);

    await resumeDevices(tracker, [source]);
    await until(() => expect(source.health().state).toBe('ok'));
    clock.advance(2600);
    adb.setDevices([PHONE]); // back after 2.6 s
    await listed(tracker, PHONE.serial, 'adb', 'device');
    clock.advance(30_000);
    expect(brief()).toEqual([`${PHONE.serial}:null>Online`, `${OTHER.serial}:null>Online`, `${OTHER.serial}:Online>Unplugged`]);
  });

  it('the headless detector: a gap between the boot clock and the monotonic clock is a resume; a wall-clock step is not', async () => {
    const { startResumeDetector } = await import('../../main/devices/sleep');
    let boot = 1_000_000;
    let mono = 5_000;
    let tick: () => void = () => {};
    const resumes: number[] = [];
    const stop = startResumeDetector({
      bootClock: () => boot,
      monotonic: () => mono,
      onResume: (ms) => resumes.push(ms),
      setInterval: (fn) => (tick = fn),
      clearInterval: () => {},
    });
    expect(stop).toBeTypeOf('function');
    boot += 1000;
    mono += 1000;
    tick();
    expect(resumes).toEqual([]); // time passing, awake
    boot += 3_600_000 + 1000; // an hour asleep: the boot clock counts it, the monotonic clock does not
    mono += 1000;
    tick();
    expect(resumes).toEqual([3_600_000]);
    boot += 1000; // a wall-clock step moves neither clock
    mono += 1000;
    tick();
    expect(resumes).toHaveLength(1);
    expect(startResumeDetector({ bootClock: () => undefined, monotonic: () => 0, onResume: () => {} })).toBeUndefined();
  });

  it('reads the boot clock from /proc/uptime (seconds since boot, sleep included)', async () => {
    const { procUptimeMs } = await import('../../main/devices/sleep');
    expect(procUptimeMs(() => '35127.42 68710.11\n')).toBe(35_127_420);
    expect(procUptimeMs(() => 'garbage')).toBeUndefined();
    expect(
      procUptimeMs(() => {
        throw new Error('ENOENT');
      }),
    ).toBeUndefined();
  });
});
