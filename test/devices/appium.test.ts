// Appium sessions as holders: the watcher against the fake server's route families, the outage grace on an
// injected clock, and the holds that make a device Utilizing while a session or a reservation holds it.
import { afterEach, describe, expect, it } from 'vitest';
import { AppiumWatcher, appiumUrlsFrom, normalizeAppiumUrl, sessionUdid } from '../../main/devices/appium';
import type { AppiumSession, HttpGet } from '../../main/devices/appium';
import { Holds } from '../../main/devices/holds';
import { ADMIN, Reservations } from '../../main/devices/reservations';
import { DeviceTracker } from '../../main/devices/tracker';
import type { DeviceEvent } from '../../main/devices/tracker';
import { startFakeAppium } from '../fakes/appium';
import type { FakeAppium } from '../fakes/appium';
import { FakeClock } from '../support/fakeClock';
import { adb } from '../support/observations';

const fakes: FakeAppium[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});
async function fake(options: Parameters<typeof startFakeAppium>[0]) {
  const f = await startFakeAppium(options);
  fakes.push(f);
  return f;
}

describe('AppiumWatcher against the fake server', () => {
  it('lists Appium 3 sessions through /appium/sessions when session discovery is on', async () => {
    const server = await fake({ generation: 3, sessionDiscovery: true });
    const id = server.addSession({ 'appium:udid': 'R58M123', platformName: 'Android' });
    const watcher = new AppiumWatcher({ urls: [server.url], clock: new FakeClock() });
    await watcher.pollOnce();
    expect(watcher.sessions()).toEqual([expect.objectContaining({ id, udid: 'R58M123', server: server.url })]);
    expect(watcher.health()[0]?.state).toBe('ok');
    expect(server.requests).toEqual(['/appium/sessions']);
  });

  it('says an Appium 3 server refuses discovery and names the flag', async () => {
    const server = await fake({ generation: 3 });
    server.addSession({ udid: 'R58M123' });
    const watcher = new AppiumWatcher({ urls: [server.url], clock: new FakeClock() });
    await watcher.pollOnce();
    expect(watcher.sessions()).toEqual([]);
    expect(watcher.health()[0]).toMatchObject({ state: 'refused', message: expect.stringContaining('--allow-insecure=*:session_discovery') });
    expect(server.requests).toEqual(['/appium/sessions', '/sessions']);
  });

  it('falls back to /sessions on Appium 2 without discovery and on Appium 1 under /wd/hub', async () => {
    const two = await fake({ generation: 2 });
    two.addSession({ deviceUDID: '192.168.1.20:5555' }, 'two-1');
    const one = await fake({ generation: 1 });
    one.addSession({ udid: '00008030-001A35E11A88002E', platformName: 'iOS' }, 'one-1');
    expect(one.url).toMatch(/\/wd\/hub$/);
    const watcher = new AppiumWatcher({ urls: [two.url, `${one.url}/`], clock: new FakeClock() });
    await watcher.pollOnce();
    expect(watcher.sessions().map((s) => `${s.id}@${s.udid}`).sort()).toEqual(['one-1@00008030-001A35E11A88002E', 'two-1@192.168.1.20:5555']);
    expect(one.requests).toEqual(['/wd/hub/appium/sessions', '/wd/hub/sessions']);
    // The route that answered is asked first next time.
    await watcher.pollOnce();
    expect(one.requests.slice(2)).toEqual(['/wd/hub/sessions']);
  });

  it('a base path on Appium 3', async () => {
    const server = await fake({ generation: 3, sessionDiscovery: true, basePath: '/wd/hub' });
    server.addSession({ udid: 'X1' }, 's1');
    const watcher = new AppiumWatcher({ urls: [server.url], clock: new FakeClock() });
    await watcher.pollOnce();
    expect(watcher.sessions().map((s) => s.id)).toEqual(['s1']);
    expect(server.requests).toEqual(['/wd/hub/appium/sessions']);
  });

  it('a server that has never answered is "not running"; sessions that end disappear', async () => {
    const server = await fake({ generation: 3, sessionDiscovery: true });
    await server.kill();
    const watcher = new AppiumWatcher({ urls: [server.url], clock: new FakeClock() });
    const seen: AppiumSession[][] = [];
    watcher.onSessions((s) => seen.push(s));
    await watcher.pollOnce();
    expect(watcher.health()[0]).toMatchObject({ state: 'not-running', message: `Appium server ${server.url} not running` });
    await server.restart();
    const id = server.addSession({ udid: 'X1' });
    await watcher.pollOnce();
    server.endSession(id);
    await watcher.pollOnce();
    expect(seen.map((s) => s.map((x) => x.udid))).toEqual([['X1'], []]);
  });
});

describe('AppiumWatcher outage grace (injected clock)', () => {
  function scripted() {
    const clock = new FakeClock();
    let up = true;
    const get: HttpGet = (url) =>
      up ? Promise.resolve({ status: 200, body: { value: url.endsWith('/appium/sessions') ? [{ id: 's1', capabilities: { udid: 'A' } }] : [] } }) : Promise.reject(new Error('ECONNREFUSED'));
    const watcher = new AppiumWatcher({ urls: ['http://127.0.0.1:4723'], clock, get });
    return { clock, watcher, setUp: (v: boolean) => (up = v) };
  }

  it('keeps sessions through 10 s without an answer and releases them after 30 s', async () => {
    const { clock, watcher, setUp } = scripted();
    await watcher.pollOnce();
    expect(watcher.sessions().map((s) => s.id)).toEqual(['s1']);
    setUp(false);
    clock.advance(10_000);
    await watcher.pollOnce();
    expect(watcher.health()[0]?.state).toBe('down');
    expect(watcher.sessions().map((s) => s.id)).toEqual(['s1']);
    clock.advance(19_999);
    await watcher.pollOnce();
    expect(watcher.sessions().map((s) => s.id)).toEqual(['s1']);
    clock.advance(1);
    await watcher.pollOnce();
    expect(watcher.sessions()).toEqual([]);
  });

  it('a server back within the grace keeps its sessions and their start', async () => {
    const { clock, watcher, setUp } = scripted();
    await watcher.pollOnce();
    const since = watcher.sessions()[0]?.since;
    setUp(false);
    clock.advance(20_000);
    await watcher.pollOnce();
    setUp(true);
    clock.advance(2_000);
    await watcher.pollOnce();
    expect(watcher.health()[0]?.state).toBe('ok');
    expect(watcher.sessions()).toEqual([expect.objectContaining({ id: 's1', since })]);
  });
});

describe('capabilities and settings', () => {
  it('reads udid, appium:udid and deviceUDID', () => {
    expect(sessionUdid({ udid: 'a' })).toBe('a');
    expect(sessionUdid({ 'appium:udid': 'b' })).toBe('b');
    expect(sessionUdid({ deviceUDID: 'c' })).toBe('c');
    expect(sessionUdid({ platformName: 'Android' })).toBeUndefined();
    expect(sessionUdid(null)).toBeUndefined();
  });

  it('DEVICEHOOKS_APPIUM_URLS replaces the configured list', () => {
    expect(appiumUrlsFrom({}, ['http://127.0.0.1:4723'])).toEqual(['http://127.0.0.1:4723']);
    expect(appiumUrlsFrom({ DEVICEHOOKS_APPIUM_URLS: 'http://a:1, http://b:2/wd/hub' }, ['http://127.0.0.1:4723'])).toEqual(['http://a:1', 'http://b:2/wd/hub']);
    expect(appiumUrlsFrom({ DEVICEHOOKS_APPIUM_URLS: '' }, ['http://127.0.0.1:4723'])).toEqual([]);
  });

  it('checks URLs with a plain error', () => {
    expect(normalizeAppiumUrl('http://127.0.0.1:4723/wd/hub/')).toEqual({ ok: true, url: 'http://127.0.0.1:4723/wd/hub' });
    expect(normalizeAppiumUrl('ftp://x')).toMatchObject({ ok: false });
    expect(normalizeAppiumUrl('not a url')).toMatchObject({ ok: false, error: expect.stringContaining('http://127.0.0.1:4723') });
  });
});

describe('Holds: sessions and reservations on the tracker', () => {
  function setup() {
    const clock = new FakeClock();
    const tracker = new DeviceTracker({ clock, settleAfterMs: null });
    tracker.sourcesSettled();
    const events: DeviceEvent[] = [];
    tracker.onEvent((e) => events.push(e));
    const holds = new Holds(tracker);
    const reservations = new Reservations({ clock, devices: holds });
    return { clock, tracker, holds, reservations, events };
  }
  const session = (udid: string, id = 's1', since = 1000): AppiumSession => ({ id, server: 'http://127.0.0.1:4723', udid, since });

  it('a session makes the device Utilizing (one event); its end returns it to Online with no event', () => {
    const { clock, tracker, holds, events } = setup();
    tracker.ingest({ source: 'adb', devices: [adb('A')] });
    clock.advance(1000);
    holds.setSessions([session('A')]);
    expect(tracker.get('A')).toMatchObject({ status: 'Utilizing', inUse: { session: { id: 's1', server: 'http://127.0.0.1:4723', since: 1000 } } });
    holds.setSessions([]);
    expect(tracker.get('A')?.status).toBe('Online');
    expect(tracker.get('A')?.inUse).toBeUndefined();
    expect(events.map((e) => `${e.from}>${e.to}`)).toEqual(['null>Online', 'Online>Utilizing']);
  });

  it('a Wi-Fi ip:port session maps to the phone merged under its hardware serial', () => {
    const { clock, tracker, holds } = setup();
    tracker.ingest({ source: 'adb', devices: [adb('R58M1', 'device', { hardwareSerial: 'R58M1' }), adb('192.168.1.5:5555', 'device', { hardwareSerial: 'R58M1' })] });
    clock.advance(1000);
    expect(tracker.list().map((d) => d.udid)).toEqual(['R58M1']);
    holds.setSessions([session('192.168.1.5:5555')]);
    expect(tracker.get('R58M1')?.status).toBe('Utilizing');
  });

  it('a reservation may overlap a session; the device stays Utilizing until both let go', () => {
    const { clock, tracker, holds, reservations, events } = setup();
    tracker.ingest({ source: 'adb', devices: [adb('A'), adb('B', 'unauthorized')] });
    clock.advance(2000);
    holds.setSessions([session('A')]);
    reservations.markInUse('A', { by: 'lab', note: 'long run' });
    expect(tracker.get('A')?.inUse).toMatchObject({ by: 'lab', note: 'long run', session: { id: 's1' } });
    holds.setSessions([]);
    expect(tracker.get('A')).toMatchObject({ status: 'Utilizing', inUse: { by: 'lab' } });
    expect(tracker.get('A')?.inUse?.session).toBeUndefined();
    reservations.release('A', ADMIN);
    expect(tracker.get('A')?.status).toBe('Online');
    expect(events.filter((e) => e.udid === 'A').map((e) => e.to)).toEqual(['Online', 'Utilizing']);
    expect(() => reservations.markInUse('B')).toThrow(/not Offline or Unplugged/);
  });
});
