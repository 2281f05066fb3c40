import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsbSource } from '../../main/devices/usb';
import { classifyUsbDevice, usbPathOf } from '../../main/devices/usbClassify';
import type { UsbDeviceLike, UsbInterfaceLike, UsbModuleLike, UsbSourceOptions } from '../../main/devices/usb';
import { FakeClock } from '../support/fakeClock';
import { PIXEL_7_ON_USB } from '../support/observations';
import { makeTempDir } from '../support/tmp';
import { recorder, udids, until } from './recorder';

// ---------------------------------------------------------------------------------------------------------------
// A fake node-usb: devices with descriptors and string tables, attach/detach events.

type Iface = [number, number, number];

interface FakeDeviceSpec {
  bus: number;
  address: number;
  ports?: number[];
  vid: number;
  pid: number;
  deviceClass?: number;
  interfaces?: Iface[];
  serial?: string;
  product?: string;
  /** open() throws, like LIBUSB_ERROR_ACCESS without udev rules. */
  openFails?: boolean;
  /** getStringDescriptor never calls back. */
  hangs?: boolean;
  /** configDescriptor getter throws. */
  configThrows?: boolean;
}

class FakeDevice implements UsbDeviceLike {
  busNumber: number;
  deviceAddress: number;
  portNumbers: number[];
  deviceDescriptor: UsbDeviceLike['deviceDescriptor'];
  opened = 0;
  closed = 0;
  private strings = new Map<number, string>();

  constructor(readonly spec: FakeDeviceSpec) {
    this.busNumber = spec.bus;
    this.deviceAddress = spec.address;
    this.portNumbers = spec.ports ?? [];
    if (spec.serial) this.strings.set(3, spec.serial);
    if (spec.product) this.strings.set(2, spec.product);
    this.deviceDescriptor = {
      idVendor: spec.vid,
      idProduct: spec.pid,
      bDeviceClass: spec.deviceClass ?? 0,
      iProduct: spec.product ? 2 : 0,
      iSerialNumber: spec.serial ? 3 : 0,
    };
  }

  get configDescriptor(): { interfaces: UsbInterfaceLike[][] } | undefined {
    if (this.spec.configThrows) throw new Error('LIBUSB_ERROR_NO_DEVICE');
    const ifaces = this.spec.interfaces ?? [];
    return { interfaces: ifaces.map(([c, s, p]) => [{ bInterfaceClass: c, bInterfaceSubClass: s, bInterfaceProtocol: p }]) };
  }

  open(): void {
    if (this.spec.openFails) throw new Error('LIBUSB_ERROR_ACCESS');
    this.opened++;
  }

  close(): void {
    this.closed++;
  }

  getStringDescriptor(index: number, callback: (error?: Error, value?: string) => void): void {
    if (this.spec.hangs) return;
    const value = this.strings.get(index);
    setImmediate(() => (value === undefined ? callback(new Error('LIBUSB_ERROR_PIPE')) : callback(undefined, value)));
  }
}

class FakeUsb implements UsbModuleLike {
  devices: FakeDevice[] = [];
  private listeners = { attach: new Set<(d: UsbDeviceLike) => void>(), detach: new Set<(d: UsbDeviceLike) => void>() };
  unrefHotplugEvents = vi.fn();

  constructor(...specs: FakeDeviceSpec[]) {
    this.devices = specs.map((s) => new FakeDevice(s));
  }
  getDeviceList(): UsbDeviceLike[] {
    return [...this.devices];
  }
  on(event: 'attach' | 'detach', listener: (d: UsbDeviceLike) => void): void {
    this.listeners[event].add(listener);
  }
  off(event: 'attach' | 'detach', listener: (d: UsbDeviceLike) => void): void {
    this.listeners[event].delete(listener);
  }
  listenerCount(): number {
    return this.listeners.attach.size + this.listeners.detach.size;
  }
  plug(spec: FakeDeviceSpec): FakeDevice {
    const d = new FakeDevice(spec);
    this.devices.push(d);
    for (const l of this.listeners.attach) l(d);
    return d;
  }
  unplug(d: FakeDevice): void {
    this.devices = this.devices.filter((x) => x !== d);
    for (const l of this.listeners.detach) l(d);
  }
}

const ADB: Iface = [0xff, 0x42, 0x01];
const MTP: Iface = [0xff, 0xff, 0x00];
const HID: Iface = [0x03, 0x01, 0x01];

const PIXEL: FakeDeviceSpec = { bus: 1, address: 7, ports: [4], vid: 0x18d1, pid: 0x4ee7, interfaces: [MTP, ADB], serial: '28011FDH2000F5', product: 'Pixel 7' };
const IPHONE: FakeDeviceSpec = { bus: 1, address: 9, ports: [2, 1], vid: 0x05ac, pid: 0x12a8, interfaces: [[0x06, 0x01, 0x01], [0xff, 0xfe, 0x02]], serial: '00008030001A35E11A88002E', product: 'iPhone' };
const KEYBOARD: FakeDeviceSpec = { bus: 2, address: 3, ports: [1], vid: 0x046d, pid: 0xc31c, interfaces: [HID, HID], product: 'USB Keyboard' };
const HUB: FakeDeviceSpec = { bus: 1, address: 1, vid: 0x1d6b, pid: 0x0002, deviceClass: 9, interfaces: [[9, 0, 0]] };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function source(usb: UsbModuleLike | (() => UsbModuleLike), opts: Partial<UsbSourceOptions> = {}) {
  const rec = recorder();
  const src = new UsbSource({ usb, sysfsRoot: null, logger: rec.logger, ...opts });
  rec.attach(src);
  cleanups.push(() => src.stop());
  return { src, rec };
}

/** A started source on `usb`, once its list holds exactly `expected` (udids, sorted). */
async function listing(usb: UsbModuleLike, expected: string[], opts: Partial<UsbSourceOptions> = {}) {
  const started = source(usb, opts);
  started.src.start();
  await until(() => expect(started.rec.last() && udids(started.rec.last())).toEqual(expected));
  return started;
}

describe('UsbSource with a fake node-usb', () => {
  it('lists the devices already plugged in at start (no attach events come for them)', async () => {
    const usb = new FakeUsb(PIXEL, IPHONE, KEYBOARD, HUB);
    const { src, rec } = source(usb);
    src.start();
    await until(() => expect(rec.snapshots).toHaveLength(1));
    expect(rec.snapshots[0]?.source).toBe('usb');
    expect(udids(rec.last())).toEqual(['00008030-001A35E11A88002E', '28011FDH2000F5', 'usb:046d:c31c@2-1']);
    expect(rec.device('28011FDH2000F5')).toEqual(PIXEL_7_ON_USB);
    expect(rec.device('00008030-001A35E11A88002E')).toMatchObject({ platform: 'ios', isPhone: true, usbPath: '1-2.1', name: 'iPhone', usable: false });
    expect(rec.device('usb:046d:c31c@2-1')).toMatchObject({ platform: 'other', isPhone: false, name: 'USB Keyboard', usbPath: '2-1' });
    expect(src.health()).toMatchObject({ source: 'usb', state: 'ok' });
    // Every device opened for its strings was closed again.
    for (const d of usb.devices) expect(d.closed).toBe(d.opened);
  });

  it('follows attach and detach', async () => {
    const usb = new FakeUsb();
    const { rec } = await listing(usb, []);
    const pixel = usb.plug(PIXEL);
    await until(() => expect(udids(rec.last())).toEqual(['28011FDH2000F5']));
    const iphone = usb.plug(IPHONE);
    await until(() => expect(udids(rec.last())).toEqual(['00008030-001A35E11A88002E', '28011FDH2000F5']));
    usb.unplug(pixel);
    await until(() => expect(udids(rec.last())).toEqual(['00008030-001A35E11A88002E']));
    usb.unplug(iphone);
    await until(() => expect(rec.last()).toEqual([]));
    // A device appears once, with its serial: never first under a fallback id.
    expect(rec.snapshots.flatMap((s) => s.devices.map((d) => d.udid)).every((u) => !u.startsWith('usb:'))).toBe(true);
  });

  it('drops a device whose detach event was missed, at the next attach', async () => {
    const usb = new FakeUsb(PIXEL);
    const { rec } = await listing(usb, ['28011FDH2000F5']);
    usb.devices = []; // unplugged, but no detach event came (seen on Windows)
    usb.plug(IPHONE);
    await until(() => expect(udids(rec.last())).toEqual(['00008030-001A35E11A88002E']));
  });

  it('ignores a second announcement of a device it already has (same bus, address and ids)', async () => {
    const usb = new FakeUsb();
    const { rec } = await listing(usb, []);
    const pixel = usb.plug(PIXEL);
    await until(() => expect(udids(rec.last())).toEqual(['28011FDH2000F5']));
    const count = rec.snapshots.length;
    // node-usb may hand out another object for the same device: same bus, address and ids.
    const again = usb.plug({ ...PIXEL });
    usb.devices = [pixel];
    await new Promise((r) => setTimeout(r, 30));
    expect(rec.snapshots).toHaveLength(count);
    expect(again.opened).toBe(0);
  });

  it('still lists a device it cannot open, under usb:VVVV:PPPP@bus-ports', async () => {
    const usb = new FakeUsb({ ...IPHONE, openFails: true });
    const { rec } = await listing(usb, ['usb:05ac:12a8@1-2.1']);
    expect(rec.device('usb:05ac:12a8@1-2.1')).toMatchObject({ platform: 'ios', isPhone: true, usbPath: '1-2.1' });
    expect(rec.device('usb:05ac:12a8@1-2.1')?.name).toBeUndefined();
  });

  it('lists a device whose strings never come once the timeout passes', async () => {
    const clock = new FakeClock();
    const usb = new FakeUsb(PIXEL, { ...IPHONE, hangs: true });
    const { src, rec } = source(usb, { clock, stringsTimeoutMs: 2000 });
    src.start();
    await new Promise((r) => setTimeout(r, 30));
    // The first list waits for every device rather than showing half of them.
    expect(rec.snapshots).toEqual([]);
    clock.advance(2000);
    await until(() => expect(udids(rec.last())).toEqual(['28011FDH2000F5', 'usb:05ac:12a8@1-2.1']));
  });

  it('reads serial and product from sysfs on Linux without opening the device', async () => {
    const root = await makeTempDir('usb-sysfs-');
    await mkdir(join(root, '1-2.1'));
    await writeFile(join(root, '1-2.1', 'idVendor'), '05ac\n');
    await writeFile(join(root, '1-2.1', 'serial'), '00008030001A35E11A88002E\n');
    await writeFile(join(root, '1-2.1', 'product'), 'iPhone\n');
    const usb = new FakeUsb({ ...IPHONE, openFails: true, serial: undefined, product: undefined });
    const { rec } = await listing(usb, ['00008030-001A35E11A88002E'], { sysfsRoot: root });
    expect(rec.device('00008030-001A35E11A88002E')?.name).toBe('iPhone');
  });

  it('falls back to opening the device when sysfs has no folder for it', async () => {
    const root = await makeTempDir('usb-sysfs-empty-');
    const usb = new FakeUsb(PIXEL);
    await listing(usb, ['28011FDH2000F5'], { sysfsRoot: root });
    expect(usb.devices[0]?.opened).toBe(1);
  });

  it('survives a device whose descriptors cannot be read', async () => {
    const usb = new FakeUsb({ ...PIXEL, configThrows: true });
    const { src, rec } = source(usb);
    src.start();
    // Google's vendor id alone makes it a phone when its interfaces cannot be read.
    await until(() => expect(rec.device('28011FDH2000F5')).toMatchObject({ isPhone: true, platform: 'android' }));
  });

  it('stops cleanly: removes its listeners and unrefs hotplug events so the process can exit', async () => {
    const usb = new FakeUsb(PIXEL);
    const { src, rec } = source(usb);
    src.start();
    await until(() => expect(rec.snapshots).toHaveLength(1));
    expect(usb.listenerCount()).toBe(2);
    await src.stop();
    expect(usb.listenerCount()).toBe(0);
    expect(usb.unrefHotplugEvents).toHaveBeenCalled();
    usb.plug(IPHONE);
    await new Promise((r) => setTimeout(r, 30));
    expect(rec.snapshots).toHaveLength(1);
  });

  it('is down (and sends no list) when node-usb cannot be loaded', async () => {
    const { src, rec } = source(() => {
      throw new Error('libudev.so.1: cannot open shared object file');
    });
    src.start();
    expect(src.health()).toMatchObject({ state: 'down' });
    expect(src.health().message).toContain('libudev.so.1');
    await new Promise((r) => setTimeout(r, 20));
    expect(rec.snapshots).toEqual([]);
  });
});

describe('classifyUsbDevice', () => {
  const i = (...list: Iface[]): UsbInterfaceLike[] => list.map(([c, s, p]) => ({ bInterfaceClass: c, bInterfaceSubClass: s, bInterfaceProtocol: p }));

  it('knows an ADB interface from any vendor', () => {
    expect(classifyUsbDevice(0x1234, 0x0001, i(ADB))).toEqual({ platform: 'android', isPhone: true });
  });

  it('knows iPhones and iPads by Apple PID, and not other Apple devices', () => {
    expect(classifyUsbDevice(0x05ac, 0x1290, i())).toEqual({ platform: 'ios', isPhone: true });
    expect(classifyUsbDevice(0x05ac, 0x12ab, undefined)).toEqual({ platform: 'ios', isPhone: true });
    expect(classifyUsbDevice(0x05ac, 0x12af, i())).toEqual({ platform: 'ios', isPhone: true });
    expect(classifyUsbDevice(0x05ac, 0x12b0, i())).toEqual({ platform: 'other', isPhone: false });
    expect(classifyUsbDevice(0x05ac, 0x024f, i(HID))).toEqual({ platform: 'other', isPhone: false }); // a keyboard
  });

  it('takes a known Android vendor as a phone, unless the interfaces say otherwise', () => {
    for (const vid of [0x18d1, 0x04e8, 0x2717, 0x2a70, 0x22b8, 0x1004, 0x0fce, 0x12d1, 0x0bb4, 0x22d9, 0x17ef, 0x19d2]) {
      expect(classifyUsbDevice(vid, 0x0001, i(MTP))).toEqual({ platform: 'android', isPhone: true });
      expect(classifyUsbDevice(vid, 0x0001, undefined)).toEqual({ platform: 'android', isPhone: true });
    }
    expect(classifyUsbDevice(0x04e8, 0x6860, i([0x06, 0x01, 0x01]))).toEqual({ platform: 'android', isPhone: true }); // PTP
    expect(classifyUsbDevice(0x04e8, 0x6863, i([0xe0, 0x01, 0x03], [0x0a, 0, 0]))).toEqual({ platform: 'android', isPhone: true }); // RNDIS
    expect(classifyUsbDevice(0x17ef, 0x6099, i(HID, HID))).toEqual({ platform: 'other', isPhone: false }); // Lenovo keyboard
    expect(classifyUsbDevice(0x04e8, 0x61fb, i([0x08, 0x06, 0x50]))).toEqual({ platform: 'other', isPhone: false }); // Samsung SSD
  });

  it('leaves everything else to the tracker as not a phone', () => {
    expect(classifyUsbDevice(0x046d, 0xc31c, i(HID))).toEqual({ platform: 'other', isPhone: false });
    expect(classifyUsbDevice(0x0781, 0x5581, i([0x08, 0x06, 0x50]))).toEqual({ platform: 'other', isPhone: false });
  });

  it('writes the USB path the way adb does', () => {
    expect(usbPathOf({ busNumber: 1, portNumbers: [4] })).toBe('1-4');
    expect(usbPathOf({ busNumber: 3, portNumbers: [2, 1, 4] })).toBe('3-2.1.4');
    expect(usbPathOf({ busNumber: 1, portNumbers: [] })).toBeUndefined();
  });
});
