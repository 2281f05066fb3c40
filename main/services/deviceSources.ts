// The device sources DeviceHooks watches, made in one place for the desktop app and the headless runner
// (core.ts) and for the command line's one-off look at the devices (cli/context.ts), and the battery read
// through the source that speaks to a device.
import type { Logger } from '../base/log';
import { AdbSource } from '../devices/adb';
import type { Battery } from '../devices/battery';
import type { Clock, DeviceSource, Platform } from '../devices/types';
import { UsbSource } from '../devices/usb';
import { UsbmuxSource } from '../devices/usbmux';

interface SourceOptions {
  clock: Clock;
  logger: Logger;
  /** Where the sources look for the adb server and usbmuxd (ADB_SERVER_SOCKET, USBMUXD_SOCKET_ADDRESS…). */
  env: NodeJS.ProcessEnv;
}

/** Every source, in the order of the contract's DEVICE_SOURCES: the USB bus, the adb server, usbmuxd. */
export function createDeviceSources({ clock, logger, env }: SourceOptions): DeviceSource[] {
  return [new UsbSource({ clock, logger }), new AdbSource({ clock, logger, env }), new UsbmuxSource({ clock, logger, env })];
}

/** Reads a device's battery: adb `dumpsys battery` (Android) or lockdownd's battery domain (iOS); a USB-only device has none. */
export function batteryReader(sources: readonly DeviceSource[]): (device: { udid: string; platform: Platform }) => Promise<Battery | undefined> {
  const adb = sources.find((s): s is AdbSource => s instanceof AdbSource);
  const usbmux = sources.find((s): s is UsbmuxSource => s instanceof UsbmuxSource);
  return async (d) => {
    if (d.platform === 'android') return adb?.readBattery(d.udid);
    if (d.platform === 'ios') return usbmux?.readBattery(d.udid);
    return undefined;
  };
}
