import { afterEach, describe, expect, it, vi } from 'vitest';
import net from 'node:net';
import { networkInterfaces } from 'node:os';
import { EventEmitter } from 'node:events';
import { AdbSource } from '../../main/devices/adb';
import type { AdbSourceOptions, ChildLike, SpawnLike } from '../../main/devices/adb';
import type { AdbAddress } from '../../main/devices/adbWire';
import { startFakeAdb } from '../fakes/adbServer';
import type { FakeAdb, FakeAdbDevice } from '../fakes/adbServer';
import { FakeClock } from '../support/fakeClock';
import { reconnectDelays, recorder, udids, until } from './recorder';

const FAST = { initialMs: 20, maxMs: 100 };
const lanAddress = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tcp(port: number): AdbAddress {
  return { kind: 'tcp', host: '127.0.0.1', port, label: `127.0.0.1:${port}` };
}

async function fakeAdb(devices: FakeAdbDevice[] = []): Promise<FakeAdb> {
  const adb = await startFakeAdb();
  adb.setDevices(devices);
  cleanups.push(() => adb.close());
  return adb;
}

function source(port: number, opts: Partial<AdbSourceOptions> = {}) {
  const rec = recorder();
  const src = new AdbSource({ address: tcp(port), findAdb: () => undefined, backoff: FAST, logger: rec.logger, ...opts });
  rec.attach(src);
  cleanups.push(() => src.stop());
  return { src, rec };
}

/** A port nothing listens on (it refuses connections). */
async function freePort(host = '127.0.0.1'): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, host, resolve));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

const NOTE8: FakeAdbDevice = {
  serial: 'R58M42ABCDE',
  state: 'device',
  usb: '1-1.4',
  product: 'greatltexx',
  model: 'SM-N950F',
  device: 'greatlte',
  props: { 'ro.product.model': 'SM-N950F' },
  settings: { global: { device_name: 'Galaxy Note 8' } },
};

describe('AdbSource against the fake adb server', () => {
  it('reports the devices already there from the very first list (OKAY and the list arrive in one packet)', async () => {
    const adb = await fakeAdb([NOTE8, { serial: '192.168.1.20:5555', state: 'offline' }, { serial: 'ZY22G7', state: 'unauthorized', usb: '1-2' }]);
    const { src, rec } = source(adb.port);
    src.start();
    await until(() => expect(rec.snapshots.length).toBeGreaterThan(0));
    expect(udids(rec.snapshots[0]?.devices)).toEqual(['192.168.1.20:5555', 'R58M42ABCDE', 'ZY22G7']);
    expect(rec.snapshots[0]?.source).toBe('adb');
    expect(rec.device('R58M42ABCDE')).toMatchObject({ source: 'adb', platform: 'android', connection: 'usb', usable: true, rawState: 'device', usbPath: '1-1.4' });
    expect(rec.device('192.168.1.20:5555')).toMatchObject({ connection: 'network', usable: false, rawState: 'offline' });
    expect(rec.device('192.168.1.20:5555')?.usbPath).toBeUndefined();
    expect(rec.device('ZY22G7')).toMatchObject({ connection: 'usb', usable: false, rawState: 'unauthorized', usbPath: '1-2' });
    expect(src.health()).toMatchObject({ source: 'adb', state: 'ok' });
    expect(adb.requests).toContain('host:track-devices-l');
  });

  it('follows live changes with whole lists', async () => {
    const adb = await fakeAdb([]);
    const { src, rec } = source(adb.port);
    src.start();
    await until(() => expect(rec.last()).toEqual([]));
    adb.setDevices([{ serial: 'ZY22G7', state: 'unauthorized', usb: '1-2' }]);
    await until(() => expect(rec.device('ZY22G7')?.rawState).toBe('unauthorized'));
    adb.setDevices([{ serial: 'ZY22G7', state: 'device', usb: '1-2', model: 'moto g(8)' }, { serial: '10.0.0.7:5555', state: 'device' }]);
    await until(() => expect(udids(rec.last())).toEqual(['10.0.0.7:5555', 'ZY22G7']));
    expect(rec.device('ZY22G7')).toMatchObject({ usable: true, rawState: 'device' });
    adb.setDevices([{ serial: '10.0.0.7:5555', state: 'device' }]);
    await until(() => expect(udids(rec.last())).toEqual(['10.0.0.7:5555']));
    adb.setDevices([]);
    await until(() => expect(rec.last()).toEqual([]));
  });

  it('names a usable device through the shell, without holding up the list, and asks only once', async () => {
    const adb = await fakeAdb([{ ...NOTE8, shellDelayMs: 100 }]);
    const { src, rec } = source(adb.port);
    src.start();
    await until(() => expect(rec.device('R58M42ABCDE')).toBeDefined());
    // The list came before the name.
    expect(rec.snapshots[0]?.devices[0]?.name).toBeUndefined();
    await until(() => expect(rec.device('R58M42ABCDE')?.name).toBe('Galaxy Note 8'));
    expect(adb.requests).toContain('host:transport:R58M42ABCDE');
    expect(adb.requests).toContain('shell:settings get global device_name');
    // More lists for the same device do not ask again.
    adb.setDevices([{ ...NOTE8 }, { serial: 'X1', state: 'offline' }]);
    await until(() => expect(udids(rec.last())).toEqual(['R58M42ABCDE', 'X1']));
    adb.setDevices([{ ...NOTE8 }]);
    await until(() => expect(udids(rec.last())).toEqual(['R58M42ABCDE']));
    expect(adb.requests.filter((r) => r === 'shell:settings get global device_name')).toHaveLength(1);
    expect(rec.device('R58M42ABCDE')?.name).toBe('Galaxy Note 8');
  });

  it('falls back from device_name to marketname, model prop, model field and serial', async () => {
    const adb = await fakeAdb([
      { serial: 'A1', state: 'device', props: { 'ro.product.marketname': 'Redmi Note 12', 'ro.product.model': '23021RAA2Y' } },
      { serial: 'A2', state: 'device', props: { 'ro.product.model': 'Pixel 7' }, settings: { global: { device_name: '' } } },
      { serial: 'A3', state: 'device', model: 'SM-G991B' },
      { serial: 'A4', state: 'device' },
    ]);
    const { src, rec } = source(adb.port);
    src.start();
    await until(() => {
      expect(rec.last()?.map((d) => [d.udid, d.name])).toEqual([
        ['A1', 'Redmi Note 12'],
        ['A2', 'Pixel 7'],
        ['A3', 'SM_G991B'],
        ['A4', 'A4'],
      ]);
    });
  });

  it('never asks an unusable device; it shows the model field when there is one', async () => {
    const adb = await fakeAdb([{ serial: 'U1', state: 'unauthorized', usb: '1-3' }, { serial: 'O1', state: 'offline', model: 'Pixel 6' }]);
    const { src, rec } = source(adb.port);
    src.start();
    await until(() => expect(udids(rec.last())).toEqual(['O1', 'U1']));
    expect(rec.device('U1')?.name).toBeUndefined();
    expect(rec.device('O1')?.name).toBe('Pixel_6');
    expect(adb.requests.some((r) => r.startsWith('host:transport'))).toBe(false);
  });

  it('goes down without an empty list when the server dies, and comes back with the whole list', async () => {
    const adb = await fakeAdb([NOTE8]);
    const { src, rec } = source(adb.port);
    src.start();
    await until(() => expect(rec.device('R58M42ABCDE')?.name).toBe('Galaxy Note 8'));
    const before = rec.snapshots.length;

    await adb.kill();
    await until(() => expect(src.health()).toMatchObject({ state: 'down', message: `adb server not reachable on 127.0.0.1:${adb.port}` }));
    // Let it try (and fail) a few times.
    await until(() => expect(rec.logs.filter((l) => l.msg.includes('ECONNREFUSED')).length).toBeGreaterThanOrEqual(3));
    expect(rec.snapshots.length).toBe(before);
    expect(rec.healths.map((h) => h.state)).toEqual(['ok', 'down']);

    adb.setDevices([NOTE8, { serial: 'NEW1', state: 'device', model: 'Pixel 8' }]);
    await adb.restart();
    await until(() => expect(udids(rec.last())).toEqual(['NEW1', 'R58M42ABCDE']));
    expect(src.health().state).toBe('ok');
    expect(rec.snapshots.slice(before).every((s) => s.devices.length > 0)).toBe(true);
    // The name learnt before the outage is kept for the device still there.
    expect(rec.device('R58M42ABCDE')?.name).toBe('Galaxy Note 8');
  });

  it('sends a list right after reconnecting even when nothing changed', async () => {
    const adb = await fakeAdb([{ serial: 'S1', state: 'offline' }]);
    const { src, rec } = source(adb.port);
    src.start();
    await until(() => expect(rec.snapshots).toHaveLength(1));
    await adb.kill();
    await until(() => expect(src.health().state).toBe('down'));
    await adb.restart();
    await until(() => expect(rec.snapshots).toHaveLength(2));
    expect(rec.snapshots[1]).toEqual(rec.snapshots[0]);
  });

  it('runs `adb start-server` when the server refuses, then connects; again after another kill-server', async () => {
    const port = await freePort();
    let started: FakeAdb | undefined;
    cleanups.push(async () => started?.close());
    const spawn = vi.fn<SpawnLike>(() => {
      const child = new EventEmitter() as EventEmitter & ChildLike;
      // What the real command does: start a server on the port, then exit 0.
      void startFakeAdb({ port }).then((adb) => {
        started = adb;
        adb.setDevices([{ serial: 'S1', state: 'device', model: 'Pixel 8' }]);
        child.emit('exit', 0);
      });
      return child;
    });
    const { src, rec } = source(port, { findAdb: () => '/opt/sdk/platform-tools/adb', spawn });
    src.start();
    await until(() => expect(udids(rec.last())).toEqual(['S1']));
    expect(spawn).toHaveBeenCalledTimes(1);
    expect(spawn.mock.calls[0]?.[0]).toBe('/opt/sdk/platform-tools/adb');
    expect(spawn.mock.calls[0]?.[1]).toEqual(['-P', String(port), 'start-server']);

    // `adb kill-server` again later: start-server runs again, and the server is back with its list.
    const first = started;
    await first?.kill();
    await until(() => expect(spawn).toHaveBeenCalledTimes(2));
    await until(() => expect(started).not.toBe(first));
    await first?.close();
    await until(() => expect(src.health().state).toBe('ok'));
  });

  it('tries `adb start-server` again with backoff while the server keeps refusing (injected clock)', async () => {
    const port = await freePort();
    const clock = new FakeClock();
    const spawn = vi.fn<SpawnLike>(() => {
      const child = new EventEmitter() as EventEmitter & ChildLike;
      setImmediate(() => child.emit('exit', 1));
      return child;
    });
    const { src } = source(port, { clock, findAdb: () => '/usr/bin/adb', spawn, backoff: { initialMs: 100, maxMs: 100 }, startServerBackoff: { initialMs: 1000, maxMs: 4000 } });
    src.start();
    await until(() => expect(spawn).toHaveBeenCalledTimes(1));
    const at: number[] = [clock.now()];
    for (let i = 0; i < 80 && spawn.mock.calls.length < 4; i++) {
      const calls = spawn.mock.calls.length;
      clock.advance(100);
      await new Promise((resolve) => setTimeout(resolve, 15));
      if (spawn.mock.calls.length > calls) at.push(clock.now());
    }
    expect(spawn).toHaveBeenCalledTimes(4);
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    expect(gaps[0]).toBeGreaterThanOrEqual(1000);
    expect(gaps[1]).toBeGreaterThanOrEqual(2000);
    expect(gaps[2]).toBeGreaterThanOrEqual(4000);
  });

  it('does not try to start a server when no adb program is found, and keeps retrying', async () => {
    const port = await freePort();
    const spawn = vi.fn<SpawnLike>();
    const { src, rec } = source(port, { spawn });
    src.start();
    await until(() => expect(rec.logs.filter((l) => l.msg.includes('ECONNREFUSED')).length).toBeGreaterThanOrEqual(3));
    expect(spawn).not.toHaveBeenCalled();
    expect(rec.snapshots).toEqual([]);
    expect(src.health()).toMatchObject({ state: 'down', message: `adb server not reachable on 127.0.0.1:${port}` });
  });

  // A refused connection on this machine's LAN address: adb could not start a server there, so neither do we.
  it.skipIf(!lanAddress)('does not try to start a server on another address than loopback (needs a non-loopback IPv4)', async () => {
    const host = lanAddress as string;
    const port = await freePort(host);
    const spawn = vi.fn<SpawnLike>();
    const rec = recorder();
    const src = new AdbSource({ address: { kind: 'tcp', host, port, label: `${host}:${port}` }, findAdb: () => '/usr/bin/adb', spawn, backoff: FAST, logger: rec.logger });
    rec.attach(src);
    cleanups.push(() => src.stop());
    src.start();
    await until(() => expect(rec.logs.filter((l) => l.msg.includes('ECONNREFUSED')).length).toBeGreaterThanOrEqual(2));
    expect(spawn).not.toHaveBeenCalled();
    expect(src.health()).toMatchObject({ state: 'down', message: `adb server not reachable on ${host}:${port}` });
  });

  it('falls back to host:track-devices when the server does not know the long form', async () => {
    const adb = await startFakeAdb({ noLongTracking: true });
    cleanups.push(() => adb.close());
    adb.setDevices([{ serial: 'S1', state: 'device', usb: '1-1' }]);
    const { src, rec } = source(adb.port);
    src.start();
    await until(() => expect(udids(rec.last())).toEqual(['S1']));
    expect(adb.requests.filter((r) => r.startsWith('host:track'))).toEqual(['host:track-devices-l', 'host:track-devices']);
    expect(rec.healths.map((h) => h.state)).toEqual(['ok']);
  });

  it('stops cleanly: closes its connection and emits nothing afterwards', async () => {
    const adb = await fakeAdb([{ serial: 'S1', state: 'offline' }]);
    const { src, rec } = source(adb.port);
    src.start();
    await until(() => expect(adb.trackerCount()).toBe(1));
    await until(() => expect(rec.snapshots).toHaveLength(1));
    await src.stop();
    await until(() => expect(adb.trackerCount()).toBe(0));
    adb.setDevices([]);
    await adb.kill();
    await new Promise((r) => setTimeout(r, 50));
    expect(rec.snapshots).toHaveLength(1);
    expect(rec.healths.map((h) => h.state)).toEqual(['ok']);
  });

  it('waits 0.5 s, doubling to 10 s, between attempts (driven by an injected clock)', async () => {
    const port = await freePort();
    const clock = new FakeClock();
    const { src, rec } = source(port, { clock, backoff: undefined });
    src.start();
    expect(await reconnectDelays(rec, clock, 7)).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
  });
});
