import type { Observation } from '../../main/devices/types';

/** adb record: state `device` is usable; `host:port` serials are network devices. */
export function adb(udid: string, state = 'device', extra: Partial<Observation> = {}): Observation {
  return {
    source: 'adb',
    udid,
    platform: 'android',
    connection: udid.includes(':') ? 'network' : 'usb',
    usable: state === 'device',
    rawState: state,
    ...extra,
  };
}

export function mux(udid: string, extra: Partial<Observation> = {}): Observation {
  return { source: 'usbmux', udid, platform: 'ios', connection: 'usb', usable: true, rawState: 'Attached', ...extra };
}

/** USB source record: never usable by itself. */
export function usb(udid: string, extra: Partial<Observation> = {}): Observation {
  return { source: 'usb', udid, platform: 'android', connection: 'usb', usable: false, rawState: 'present', isPhone: true, ...extra };
}

/** What the USB source reports for the Pixel 7 of the USB fixtures (test/devices/usb.*.test.ts) on port 1-4. */
export const PIXEL_7_ON_USB: Observation = {
  source: 'usb',
  udid: '28011FDH2000F5',
  platform: 'android',
  connection: 'usb',
  usable: false,
  rawState: 'present',
  name: 'Pixel 7',
  usbPath: '1-4',
  vendorId: 0x18d1,
  productId: 0x4ee7,
  isPhone: true,
};
