// Every USB device, through node-usb 2.x: a snapshot at start (no attach event comes for devices already
// plugged in), then attach/detach. USB presence alone only says "present": usable is always false here; adb and
// usbmuxd say whether a phone can be used. This source recognises phones and tablets (isPhone) and gives the
// tracker the USB path and serial it needs to join a USB record with its adb / usbmuxd record.

import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock } from './types';
import type { Clock, DeviceSource, Observation, Platform } from './types';
import { cleanDeviceText } from './deviceText';
import { silentLogger } from '../log';
import type { Logger } from '../log';
import { SourceBase, errorText, normalizeAppleUdid } from './sourceKit';
import type * as NodeUsb from 'usb';

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
// Recognising phones and tablets

const APPLE_VENDOR_ID = 0x05ac;

/** Vendors whose USB phones and tablets run Android (their other products are told apart by interface, below). */
const ANDROID_VENDOR_IDS: ReadonlyMap<number, string> = new Map([
  [0x18d1, 'Google'],
  [0x04e8, 'Samsung'],
  [0x2717, 'Xiaomi'],
  [0x2a70, 'OnePlus'],
  [0x22b8, 'Motorola'],
  [0x1004, 'LG'],
  [0x0fce, 'Sony'],
  [0x12d1, 'Huawei'],
  [0x0bb4, 'HTC'],
  [0x22d9, 'Oppo'],
  [0x17ef, 'Lenovo'],
  [0x19d2, 'ZTE'],
  [0x2d95, 'Vivo'],
  [0x0b05, 'Asus'],
  [0x1949, 'Amazon'],
  [0x2ae5, 'Fairphone'],
  [0x2e04, 'HMD'],
  [0x2a45, 'Meizu'],
  [0x1bbb, 'TCL'],
  [0x04dd, 'Sharp'],
  [0x0482, 'Kyocera'],
]);

const CLASS_HUB = 0x09;

function isApplePhonePid(productId: number): boolean {
  return productId >= 0x1290 && productId <= 0x12af;
}

function interfacesOf(device: UsbDeviceLike): UsbInterfaceLike[] | undefined {
  try {
    const configs = device.allConfigDescriptors?.length ? device.allConfigDescriptors : device.configDescriptor ? [device.configDescriptor] : [];
    if (configs.length === 0) return undefined;
    return configs.flatMap((c) => c.interfaces.flat());
  } catch {
    return undefined;
  }
}

function hasAdbInterface(interfaces: readonly UsbInterfaceLike[]): boolean {
  return interfaces.some((i) => i.bInterfaceClass === 0xff && i.bInterfaceSubClass === 0x42 && i.bInterfaceProtocol === 0x01);
}

/**
 * Interfaces a phone shows in some USB mode: vendor-specific (ADB, MTP), still image (PTP/MTP), CDC and RNDIS
 * (tethering). A keyboard, mouse, headset or webcam of the same vendor has none of these.
 */
function hasPhoneLikeInterface(interfaces: readonly UsbInterfaceLike[]): boolean {
  return interfaces.some(
    (i) =>
      i.bInterfaceClass === 0xff ||
      i.bInterfaceClass === 0x06 ||
      i.bInterfaceClass === 0x02 ||
      i.bInterfaceClass === 0x0a ||
      (i.bInterfaceClass === 0xe0 && i.bInterfaceSubClass === 0x01 && i.bInterfaceProtocol === 0x03) ||
      (i.bInterfaceClass === 0xef && i.bInterfaceSubClass === 0x04),
  );
}

interface UsbClassification {
  platform: Platform;
  isPhone: boolean;
}

/**
 * ADB interface (ff/42/01) anywhere → Android phone; Apple VID with an iPhone/iPad PID → iOS; a known Android
 * vendor → Android phone, unless its interfaces show it is something else that vendor makes (a Lenovo keyboard).
 * When the interfaces cannot be read, a known vendor is enough.
 */
export function classifyUsbDevice(vendorId: number, productId: number, interfaces: readonly UsbInterfaceLike[] | undefined): UsbClassification {
  if (interfaces && hasAdbInterface(interfaces)) return { platform: 'android', isPhone: true };
  if (vendorId === APPLE_VENDOR_ID) return isApplePhonePid(productId) ? { platform: 'ios', isPhone: true } : { platform: 'other', isPhone: false };
  if (ANDROID_VENDOR_IDS.has(vendorId)) {
    const phone = interfaces === undefined || hasPhoneLikeInterface(interfaces);
    return phone ? { platform: 'android', isPhone: true } : { platform: 'other', isPhone: false };
  }
  return { platform: 'other', isPhone: false };
}

function sameIds(a: UsbDeviceLike, b: UsbDeviceLike): boolean {
  return a.deviceDescriptor.idVendor === b.deviceDescriptor.idVendor && a.deviceDescriptor.idProduct === b.deviceDescriptor.idProduct;
}

function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}

/** adb's `usb:` devpath on Linux is the same `bus-port.port` string. */
export function usbPathOf(device: Pick<UsbDeviceLike, 'busNumber' | 'portNumbers'>): string | undefined {
  const ports = device.portNumbers ?? [];
  return ports.length > 0 ? `${device.busNumber}-${ports.join('.')}` : undefined;
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
