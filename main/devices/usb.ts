// Every USB device, through node-usb 2.x: a snapshot at start (no attach event comes for devices already
// plugged in), then attach/detach. USB presence alone only says "present": usable is always false here; adb and
// usbmuxd say whether a phone can be used. This source recognises phones and tablets (isPhone, ./usbClassify.ts) and gives the
// tracker the USB path and serial it needs to join a USB record with its adb / usbmuxd record.

import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock } from './types';
import type { Clock, DeviceSource, Observation } from './types';
import { cleanDeviceText } from './deviceText';
import { silentLogger } from '../base/log';
import type { Logger } from '../base/log';
import { SourceBase, errorText, normalizeAppleUdid } from './sourceKit';
import type * as NodeUsb from 'usb';
import { APPLE_VENDOR_ID, CLASS_HUB, classifyUsbDevice, interfacesOf, usbPathOf } from './usbClassify';

// ---------------------------------------------------------------------------------------------------------------
// The part of node-usb we use (a test passes a fake with the same shape)

export interface UsbInterfaceLike {
  bInterfaceClass: number;
  bInterfaceSubClass: number;
  bInterfaceProtocol: number;
}

export interface UsbDeviceLike {
  busNumber: number;
  deviceAddress: number;
  /** Undefined or empty for root hubs (and where the platform cannot tell). */
  portNumbers?: number[] | undefined;
  deviceDescriptor: {
    idVendor: number;
    idProduct: number;
    bDeviceClass: number;
    iProduct: number;
    iSerialNumber: number;
  };
  /** node-usb getters: they may throw (e.g. a device that went away). */
  readonly configDescriptor?: { interfaces: UsbInterfaceLike[][] } | undefined;
  readonly allConfigDescriptors?: { interfaces: UsbInterfaceLike[][] }[];
  open(defaultConfig?: boolean): void;
  close(): void;
  getStringDescriptor(index: number, callback: (error?: Error, value?: string) => void): void;
}

export interface UsbModuleLike {
  getDeviceList(): UsbDeviceLike[];
  on(event: 'attach' | 'detach', listener: (device: UsbDeviceLike) => void): void;
  off(event: 'attach' | 'detach', listener: (device: UsbDeviceLike) => void): void;
  /** Lets the process exit although hotplug events are being listened to. */
  unrefHotplugEvents?(): void;
}

/**
 * Loads node-usb on first use. Lazily, because its native part links libudev on Linux: a machine without it must
 * get a USB source that says "down", not a main process that fails to start.
 */
function loadNodeUsb(): UsbModuleLike {
  const require = createRequire(import.meta.url);
  const mod = require('usb') as typeof NodeUsb;
  const { usb } = mod;
  return {
    getDeviceList: () => mod.getDeviceList(),
    on: (event, listener) => usb.on(event, listener),
    off: (event, listener) => usb.off(event, listener),
    unrefHotplugEvents: () => usb.unrefHotplugEvents(),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Telling devices apart (recognising phones and tablets is in ./usbClassify.ts)

function sameIds(a: UsbDeviceLike, b: UsbDeviceLike): boolean {
  return a.deviceDescriptor.idVendor === b.deviceDescriptor.idVendor && a.deviceDescriptor.idProduct === b.deviceDescriptor.idProduct;
}

function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}


// ---------------------------------------------------------------------------------------------------------------
// Strings (serial, product)

interface UsbStrings {
  serial?: string;
  product?: string;
}

function getString(device: UsbDeviceLike, index: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    if (!index) {
      resolve(undefined);
      return;
    }
    try {
      device.getStringDescriptor(index, (error, value) => resolve(error ? undefined : value?.trim() || undefined));
    } catch {
      resolve(undefined);
    }
  });
}

/** open() + getStringDescriptor; needs access rights (udev rules on Linux, a WinUSB driver on Windows). */
async function readStringsFromDevice(device: UsbDeviceLike): Promise<UsbStrings> {
  device.open(false); // throws without access; the caller falls back
  try {
    const serial = await getString(device, device.deviceDescriptor.iSerialNumber);
    const product = await getString(device, device.deviceDescriptor.iProduct);
    const out: UsbStrings = {};
    if (serial) out.serial = serial;
    if (product) out.product = product;
    return out;
  } finally {
    try {
      device.close();
    } catch {
      // already closed or gone
    }
  }
}

/** Linux shows every device's strings in sysfs, readable without opening the device. */
async function readStringsFromSysfs(root: string, usbPath: string): Promise<UsbStrings | undefined> {
  const dir = join(root, usbPath);
  const read = async (file: string): Promise<string | undefined> => {
    try {
      return (await readFile(join(dir, file), 'utf8')).trim() || undefined;
    } catch {
      return undefined;
    }
  };
  try {
    // The folder must be there and be this device: without idVendor it is not a device folder.
    if ((await read('idVendor')) === undefined) return undefined;
  } catch {
    return undefined;
  }
  const out: UsbStrings = {};
  const serial = await read('serial');
  const product = await read('product');
  if (serial) out.serial = serial;
  if (product) out.product = product;
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// The source

export interface UsbSourceOptions {
  /** node-usb or a fake; default loadNodeUsb() at start(). */
  usb?: UsbModuleLike | (() => UsbModuleLike);
  clock?: Clock;
  logger?: Logger;
  /** Where Linux keeps device folders (`/sys/bus/usb/devices`); null to never look. Default: that path on Linux. */
  sysfsRoot?: string | null;
  /** Upper bound for reading one device's strings before it is listed without them. */
  stringsTimeoutMs?: number;
}

interface Present {
  key: string;
  device: UsbDeviceLike;
  /** undefined while the strings are being read: the device joins the list when they are (or time out). */
  observation?: Observation;
}

export class UsbSource extends SourceBase implements DeviceSource {
  private readonly usbOption: UsbModuleLike | (() => UsbModuleLike) | undefined;
  private readonly sysfsRoot: string | null;
  private readonly stringsTimeoutMs: number;
  private usb: UsbModuleLike | undefined;
  private running = false;
  private generation = 0;
  private published = false;
  private readonly present = new Map<string, Present>();
  private readonly onAttach = (device: UsbDeviceLike): void => {
    this.add(device);
    this.resync();
  };
  private readonly onDetach = (device: UsbDeviceLike): void => this.remove(device);

  constructor(opts: UsbSourceOptions = {}) {
    super('usb', opts.clock ?? systemClock, opts.logger ?? silentLogger);
    this.usbOption = opts.usb;
    this.sysfsRoot = opts.sysfsRoot !== undefined ? opts.sysfsRoot : process.platform === 'linux' ? '/sys/bus/usb/devices' : null;
    this.stringsTimeoutMs = opts.stringsTimeoutMs ?? 2000;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.generation++;
    this.published = false;
    this.present.clear();
    let devices: UsbDeviceLike[];
    try {
      const usb = typeof this.usbOption === 'function' ? this.usbOption() : (this.usbOption ?? loadNodeUsb());
      this.usb = usb;
      // Listen first, then list: a device plugged in between is then seen twice (harmless), never missed.
      usb.on('attach', this.onAttach);
      usb.on('detach', this.onDetach);
      devices = usb.getDeviceList();
    } catch (err) {
      this.log('error', `USB devices cannot be listed: ${errorText(err)}`);
      this.setHealth('down', `USB devices cannot be listed (${errorText(err)})`);
      return;
    }
    for (const device of devices) this.add(device);
    this.publish();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.generation++;
    const usb = this.usb;
    this.usb = undefined;
    if (usb) {
      try {
        usb.off('attach', this.onAttach);
        usb.off('detach', this.onDetach);
        usb.unrefHotplugEvents?.();
      } catch (err) {
        this.log('warn', `stopping USB hotplug events: ${errorText(err)}`);
      }
    }
    this.present.clear();
  }

  private keyOf(device: UsbDeviceLike): string {
    return `${device.busNumber}:${device.deviceAddress}`;
  }

  private add(device: UsbDeviceLike): void {
    if (!this.running) return;
    // Hubs (root hubs included) are never phones nor anything worth tracking.
    if (device.deviceDescriptor.bDeviceClass === CLASS_HUB) return;
    const key = this.keyOf(device);
    const known = this.present.get(key)?.device;
    // The same device seen twice (listed while its attach event was on the way): nothing to do.
    if (known && (known === device || sameIds(known, device))) return;
    const entry: Present = { key, device };
    this.present.set(key, entry);
    const generation = this.generation;
    void this.describe(device).then((observation) => {
      if (!this.running || generation !== this.generation || this.present.get(key) !== entry) return;
      entry.observation = observation;
      this.publish();
    });
  }

  /**
   * Drops devices the system no longer lists. Detach events have been missed in the field (Windows); each attach
   * is a cheap moment to catch up, so a phone missed that way does not linger.
   */
  private resync(): void {
    if (!this.running || !this.usb) return;
    let keys: Set<string>;
    try {
      keys = new Set(this.usb.getDeviceList().map((d) => this.keyOf(d)));
    } catch {
      return;
    }
    let changed = false;
    for (const key of [...this.present.keys()]) {
      if (!keys.has(key)) {
        this.present.delete(key);
        changed = true;
      }
    }
    if (changed) this.publish();
  }

  private remove(device: UsbDeviceLike): void {
    if (!this.running) return;
    if (this.present.delete(this.keyOf(device))) this.publish();
  }

  private publish(): void {
    if (!this.running) return;
    const entries = [...this.present.values()];
    // The first list waits for every device's strings (each bounded by the timeout): a half list reads as unplugs.
    if (!this.published && entries.some((e) => !e.observation)) return;
    const devices = entries.flatMap((e) => (e.observation ? [e.observation] : []));
    const first = !this.published;
    this.published = true;
    this.emitSnapshot(devices, first);
    this.setHealth('ok');
  }

  private async describe(device: UsbDeviceLike): Promise<Observation> {
    const { idVendor, idProduct } = device.deviceDescriptor;
    const { platform, isPhone } = classifyUsbDevice(idVendor, idProduct, interfacesOf(device));
    const usbPath = usbPathOf(device);
    const strings = await this.readStrings(device, usbPath);
    let serial = strings.serial;
    if (serial && idVendor === APPLE_VENDOR_ID) serial = normalizeAppleUdid(serial);
    const where = usbPath ?? `${device.busNumber}-0`;
    const obs: Observation = {
      source: 'usb',
      udid: serial ?? `usb:${hex4(idVendor)}:${hex4(idProduct)}@${where}`,
      platform,
      connection: 'usb',
      usable: false,
      rawState: 'present',
      vendorId: idVendor,
      productId: idProduct,
      isPhone,
    };
    // A USB descriptor is untrusted text: cleaned and capped like every device string.
    const product = strings.product ? cleanDeviceText(strings.product) : '';
    if (product) obs.name = product;
    if (usbPath) obs.usbPath = usbPath;
    return obs;
  }

  /** Best effort and bounded in time: a device whose strings cannot be read is still listed. */
  private async readStrings(device: UsbDeviceLike, usbPath: string | undefined): Promise<UsbStrings> {
    if (this.sysfsRoot && usbPath) {
      const fromSysfs = await readStringsFromSysfs(this.sysfsRoot, usbPath);
      if (fromSysfs) return fromSysfs;
    }
    const { iSerialNumber, iProduct } = device.deviceDescriptor;
    if (!iSerialNumber && !iProduct) return {};
    let timer: unknown;
    const timeout = new Promise<UsbStrings>((resolve) => {
      timer = this.clock.setTimeout(() => {
        this.log('debug', `USB ${usbPath ?? this.keyOf(device)}: strings not read within ${this.stringsTimeoutMs} ms`);
        resolve({});
      }, this.stringsTimeoutMs);
    });
    const read = readStringsFromDevice(device).catch((err: unknown) => {
      this.log('debug', `USB ${usbPath ?? this.keyOf(device)}: cannot open to read its serial (${errorText(err)})`);
      return {};
    });
    try {
      return await Promise.race([read, timeout]);
    } finally {
      this.clock.clearTimeout(timer);
    }
  }
}
