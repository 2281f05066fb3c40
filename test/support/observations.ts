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
