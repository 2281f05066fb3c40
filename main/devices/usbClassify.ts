// Recognising phones and tablets among USB devices: Apple's and the Android makers' vendor ids, the adb
// interface, the phone-like interface classes, and the USB path adb also reports. Pure functions
// (./usb.ts, the USB source, uses them).
import type { Platform } from './types';
import type { UsbDeviceLike, UsbInterfaceLike } from './usb';

export const APPLE_VENDOR_ID = 0x05ac;

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

export const CLASS_HUB = 0x09;

function isApplePhonePid(productId: number): boolean {
  return productId >= 0x1290 && productId <= 0x12af;
}

export function interfacesOf(device: UsbDeviceLike): UsbInterfaceLike[] | undefined {
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

export interface UsbClassification {
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

/** adb's `usb:` devpath on Linux is the same `bus-port.port` string. */
export function usbPathOf(device: Pick<UsbDeviceLike, 'busNumber' | 'portNumbers'>): string | undefined {
  const ports = device.portNumbers ?? [];
  return ports.length > 0 ? `${device.busNumber}-${ports.join('.')}` : undefined;
}
