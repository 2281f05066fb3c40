import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import { UsbmuxSource } from '../../main/devices/usbmux';
import type { UsbmuxSourceOptions } from '../../main/devices/usbmux';
import { encodeUsbmuxPlist, queryLockdownName } from '../../main/devices/usbmuxWire';
import type { UsbmuxAddress } from '../../main/devices/usbmuxWire';
import { startFakeUsbmuxd } from '../fakes/usbmuxd';
import type { FakeUsbmuxd } from '../fakes/usbmuxd';
import { FakeClock } from '../support/fakeClock';
import { makeTempDir } from '../support/tmp';
import { reconnectDelays, recorder, udids, until } from './recorder';

const FAST = { initialMs: 20, maxMs: 100 };
const IPHONE = '00008030-001A35E11A88002E';
const IPAD = '00008103-000A1B2C3E4F5678';
const OLD_IPOD = 'abcdef0123456789abcdef0123456789abcdef01';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function fakeMux(): Promise<FakeUsbmuxd> {
  const mux = await startFakeUsbmuxd();
  cleanups.push(() => mux.close());
  return mux;
}

function unix(path: string): UsbmuxAddress {
  return { kind: 'unix', path, label: path };
}

function source(mux: { socketPath: string }, opts: Partial<UsbmuxSourceOptions> = {}) {
  const rec = recorder();
  const src = new UsbmuxSource({ address: unix(mux.socketPath), backoff: FAST, lockdownBackoff: FAST, settleMs: 30, logger: rec.logger, ...opts });
  rec.attach(src);
  cleanups.push(() => src.stop());
  return { src, rec };
}

describe('UsbmuxSource against the fake usbmuxd', () => {
  it('reports the phones already attached, with their lockdown names, in its first list', async () => {
    const mux = await fakeMux();
    mux.attach({ udid: IPHONE, name: 'QA iPhone 12', productId: 0x12a8 });
    mux.attach({ udid: IPAD, name: "Ana's iPad" });
    const { src, rec } = source(mux);
    src.start();
    await until(() => expect(rec.snapshots.length).toBeGreaterThan(0));
    const first = rec.snapshots[0]?.devices ?? [];
    expect(udids(first)).toEqual([IPHONE, IPAD].sort());
    expect(first.find((d) => d.udid === IPHONE)).toEqual({
      source: 'usbmux',
      udid: IPHONE,
      platform: 'ios',
      connection: 'usb',
      usable: true,
      rawState: 'Attached',
      name: 'QA iPhone 12',
      vendorId: 0x05ac,
      productId: 0x12a8,
    });
    expect(first.find((d) => d.udid === IPAD)?.name).toBe("Ana's iPad");
    expect(src.health()).toMatchObject({ source: 'usbmux', state: 'ok' });
    // Listen, then a Connect to lockdownd (port 62078 byte-swapped) and GetValue DeviceName per phone.
    expect(mux.requests[0]).toMatchObject({ MessageType: 'Listen' });
    expect(mux.requests.filter((r) => r.MessageType === 'Connect')).toEqual([
      expect.objectContaining({ PortNumber: 32498 }),
      expect.objectContaining({ PortNumber: 32498 }),
    ]);
    expect(mux.requests).toContainEqual(expect.objectContaining({ Request: 'GetValue', Key: 'DeviceName', Label: 'DeviceHooks' }));
  });

  it('follows attach and detach (Detached carries only the DeviceID)', async () => {
    const mux = await fakeMux();
    const { src, rec } = source(mux);
    src.start();
    await until(() => expect(rec.last()).toEqual([]));
    mux.attach({ udid: IPHONE, name: 'QA iPhone 12' });
    await until(() => expect(rec.device(IPHONE)).toMatchObject({ usable: true, name: 'QA iPhone 12' }));
    // A phone appears only once its name is known: never a nameless first sighting.
    expect(rec.snapshots.every((s) => s.devices.every((d) => d.name !== undefined))).toBe(true);
    mux.attach({ udid: IPAD, name: 'iPad' });
    await until(() => expect(udids(rec.last())).toEqual([IPHONE, IPAD].sort()));
    mux.detach(IPHONE);
    await until(() => expect(udids(rec.last())).toEqual([IPAD]));
    mux.detach(IPAD);
    await until(() => expect(rec.last()).toEqual([]));
  });

  it('drops the Network twin of a USB phone; a phone only on the network is "network"', async () => {
    const mux = await fakeMux();
    mux.attach({ udid: IPHONE, name: 'QA iPhone 12' });
    mux.attach({ udid: IPHONE, name: 'QA iPhone 12', connectionType: 'Network' });
    mux.attach({ udid: OLD_IPOD, name: 'iPod', connectionType: 'Network' });
    const { src, rec } = source(mux);
    src.start();
    await until(() => expect(udids(rec.last())).toEqual([IPHONE, OLD_IPOD].sort()));
    expect(rec.last()?.filter((d) => d.udid === IPHONE)).toHaveLength(1);
    expect(rec.device(IPHONE)).toMatchObject({ connection: 'usb', usable: true });
    expect(rec.device(OLD_IPOD)).toMatchObject({ connection: 'network', usable: true, name: 'iPod' });
    expect(rec.device(OLD_IPOD)?.vendorId).toBeUndefined();
    // Unplugging the cable leaves the phone there over Wi-Fi.
    mux.detach(IPHONE, 'USB');
    await until(() => expect(rec.device(IPHONE)).toMatchObject({ connection: 'network', usable: true }));
    expect(rec.snapshots.every((s) => s.devices.some((d) => d.udid === IPHONE))).toBe(true);
  });

  it('keeps a phone whose lockdown refuses, as not usable, and makes it usable once lockdown answers', async () => {
    const mux = await fakeMux();
    mux.attach({ udid: IPHONE, name: 'QA iPhone 12' });
    mux.refuseLockdown(IPHONE);
    const { src, rec } = source(mux, { lockdownBackoff: { initialMs: 60_000, maxMs: 60_000 } });
    src.start();
    await until(() => expect(rec.device(IPHONE)).toMatchObject({ usable: false, rawState: 'Attached (lockdown refused)' }));
    expect(rec.device(IPHONE)?.name).toBeUndefined();
    // usbmuxd says Paired after the user trusted this computer: asked again at once.
    mux.refuseLockdown(IPHONE, false);
    mux.paired(IPHONE);
    await until(() => expect(rec.device(IPHONE)).toMatchObject({ usable: true, rawState: 'Attached', name: 'QA iPhone 12' }));
  });

  it('asks a refusing phone again later, backing off', async () => {
    const mux = await fakeMux();
    mux.attach({ udid: IPHONE, name: 'Booting iPhone' });
    mux.refuseLockdown(IPHONE);
    const { src, rec } = source(mux);
    src.start();
    await until(() => expect(rec.device(IPHONE)?.usable).toBe(false));
    await until(() => expect(mux.requests.filter((r) => r.MessageType === 'Connect').length).toBeGreaterThanOrEqual(3));
    mux.refuseLockdown(IPHONE, false);
    await until(() => expect(rec.device(IPHONE)).toMatchObject({ usable: true, name: 'Booting iPhone' }));
  });

  it('normalises a 24-hex SerialNumber without hyphen to the UDID', async () => {
    const mux = await fakeMux();
    mux.attach({ udid: '00008030001A35E11A88002E', name: 'Mac-style serial' });
    const { src, rec } = source(mux);
    src.start();
    await until(() => expect(udids(rec.last())).toEqual([IPHONE]));
  });

  it('goes down without an empty list when usbmuxd goes away, and comes back with the whole list', async () => {
    const mux = await fakeMux();
    mux.attach({ udid: IPHONE, name: 'QA iPhone 12' });
    const { src, rec } = source(mux);
    src.start();
    await until(() => expect(udids(rec.last())).toEqual([IPHONE]));
    const before = rec.snapshots.length;

    await mux.kill();
    await until(() => expect(src.health()).toMatchObject({ state: 'down', message: `usbmuxd not reachable at ${mux.socketPath}` }));
    await until(() => expect(rec.logs.filter((l) => /next connection attempt/.test(l.msg)).length).toBeGreaterThanOrEqual(3));
    expect(rec.snapshots.length).toBe(before);

    mux.attach({ udid: IPAD, name: 'iPad' });
    await mux.restart();
    await until(() => expect(udids(rec.last())).toEqual([IPHONE, IPAD].sort()));
    expect(src.health().state).toBe('ok');
    expect(rec.snapshots.slice(before).every((s) => s.devices.length === 2)).toBe(true);
    expect(rec.healths.map((h) => h.state)).toEqual(['ok', 'down', 'ok']);
  });

  it('is down while the socket is missing, and comes up when the daemon appears', async () => {
    const dir = await makeTempDir('usbmux-missing-');
    const path = `${dir}/usbmuxd`;
    const { src, rec } = source({ socketPath: path });
    src.start();
    await until(() => expect(src.health()).toMatchObject({ state: 'down', message: `usbmuxd not reachable at ${path}` }));
    const mux = await startFakeUsbmuxd({ dir });
    cleanups.push(() => mux.close());
    mux.attach({ udid: IPHONE, name: 'Late iPhone' });
    await until(() => expect(rec.device(IPHONE)?.name).toBe('Late iPhone'));
    expect(rec.snapshots[0]?.devices).toHaveLength(1);
  });

  it('stops cleanly: closes its Listen connection and emits nothing afterwards', async () => {
    const mux = await fakeMux();
    const { src, rec } = source(mux);
    src.start();
    await until(() => expect(rec.snapshots).toHaveLength(1));
    expect(mux.listenerCount()).toBe(1);
    await src.stop();
    await until(() => expect(mux.listenerCount()).toBe(0));
    mux.attach({ udid: IPHONE, name: 'x' });
    await new Promise((r) => setTimeout(r, 80));
    expect(rec.snapshots).toHaveLength(1);
  });

  it('waits 0.5 s, doubling to 10 s, between attempts (driven by an injected clock)', async () => {
    const dir = await makeTempDir('usbmux-backoff-');
    const clock = new FakeClock();
    const { src, rec } = source({ socketPath: `${dir}/none` }, { clock, backoff: undefined });
    src.start();
    expect(await reconnectDelays(rec, clock, 7)).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
  });
});

describe('a daemon that misbehaves', () => {
  /** A one-off usbmuxd that answers Listen with the given Result number. */
  async function refusingDaemon(number: number): Promise<string> {
    const dir = await makeTempDir('usbmux-refuse-');
    const path = `${dir}/usbmuxd`;
    const server = net.createServer((socket) => {
      socket.once('data', () => socket.write(encodeUsbmuxPlist({ MessageType: 'Result', Number: number }, 1)));
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    return path;
  }

  it('is down with the reason when Listen is refused', async () => {
    const path = await refusingDaemon(6);
    const { src, rec } = source({ socketPath: path });
    src.start();
    await until(() => expect(src.health()).toMatchObject({ state: 'down', message: `usbmuxd at ${path} refused to list devices (result 6)` }));
    expect(rec.snapshots).toEqual([]);
  });

  it('says why lockdown failed when the device is gone (bad device)', async () => {
    const mux = await fakeMux();
    await expect(queryLockdownName(unix(mux.socketPath), 42)).rejects.toThrow('result 2');
  });

  it('gives up on a lockdown that never answers, within its timeout', async () => {
    const dir = await makeTempDir('usbmux-hang-');
    const path = `${dir}/usbmuxd`;
    const server = net.createServer((socket) => socket.on('error', () => {}));
    await new Promise<void>((resolve) => server.listen(path, resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const clock = new FakeClock();
    const pending = queryLockdownName(unix(path), 1, { clock, timeoutMs: 5000 });
    clock.advance(5000);
    await expect(pending).rejects.toThrow('lockdown did not answer within 5000 ms');
  });
});
