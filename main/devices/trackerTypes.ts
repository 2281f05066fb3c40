// The tracker's public shapes: statuses, the events it emits, the view the Devices list shows, what is
// saved at quit, and the options it takes. Plain Node; main/devices/tracker.ts re-exports all of it.
import type { LoggerLike } from '../base/log';
import type { Clock, Connection, Platform, SourceId } from './types';
import { DEVICE_VISIBILITIES } from '../../preload/contract/vocabulary';
import type { DeviceStatus, DeviceVisibility } from '../../preload/contract/vocabulary';
import type { Device, DeviceTransition, UsbPortStat } from '../../preload/contract';

export type Status = DeviceStatus;
export type Visibility = DeviceVisibility;
export const VISIBILITIES: readonly Visibility[] = DEVICE_VISIBILITIES;

/** A committed change of status (the contract's DeviceTransition). */
export type Transition = DeviceTransition;

export interface DeviceEvent {
  udid: string;
  name: string;
  platform: Platform;
  connection: Connection;
  visibility: Visibility;
  /** null when the device is seen for the first time ever. */
  from: Status | null;
  to: Status;
  /** epoch ms of the commit */
  at: number;
  /** per device, starts at 1, +1 per event, survives restarts through exportState(). */
  seq: number;
}

/** Who holds a device: a reservation (by, note, until; `reserved`) and/or a test session (the contract's). */
export type InUseInfo = NonNullable<Device['inUse']>;
/** An Appium session holding a device: its id, the server's URL as configured, since when. */
export type SessionHold = NonNullable<InUseInfo['session']>;
/** A flapping device's USB port (`1-2.3`) and hub (`1-2`) when known, and its changes in the last 10 minutes. */
export type FlappingView = NonNullable<Device['flapping']>;

/**
 * What the tracker says of a device: the contract's Device (the Devices view shows it as it is) without
 * the battery, which the battery monitor's reading adds beside it (main/ipc/devices.ts, the local API,
 * the CLI); with its transports always listed (USB first; empty when gone) and the USB path it was
 * matched by.
 */
export interface DeviceView extends Omit<Device, 'battery' | 'transports'> {
  transports: Connection[];
  usbPath?: string;
}

/** A device started flapping: the composition root shows one rate-limited notification naming the port. */
export interface FlappingNotice {
  udid: string;
  name: string;
  port?: string;
  hub?: string;
  /** Times it went Offline or Unplugged in the window. */
  disconnects: number;
  /** "Pixel 7 on USB port 1-2.3 disconnected 9 times in 10 min — check the cable or hub" */
  message: string;
}

/** One USB port's Offline/Unplugged commits in the last hour and the devices seen on it (the contract's). */
export type PortStat = UsbPortStat;

/** What the composition root saves at quit and gives back at launch. */
export interface SavedDeviceState {
  udid: string;
  name: string;
  /** Where the name came from: a device source (adb/usbmux), the USB product string, or the udid itself. */
  nameSource?: NameSource;
  platform: Platform;
  connection: Connection;
  usbPath?: string;
  status: Status;
  since: number;
  seq: number;
  visibilityOverride?: Visibility;
  history?: Transition[];
}

/** Where a device's name came from: its own source, the USB product string, or the udid itself. */
export const NAME_SOURCES = ['device', 'usb', 'udid'] as const;
export type NameSource = (typeof NAME_SOURCES)[number];

/** A forgotten device: its sequence number continues if it comes back; its timeline stays until it ages out. */
export interface ForgottenDevice {
  udid: string;
  seq: number;
  /** epoch ms */
  forgottenAt: number;
  history?: Transition[];
}

export interface DebounceMs {
  /** into Online (from Offline/Unplugged/first seen). Default 500. */
  online: number;
  /** into Offline. Default 2000. */
  offline: number;
  /** into Unplugged. Default 3000. */
  unplugged: number;
  /** Online → Utilizing (marking in use is an explicit act). Default 0. */
  utilizing: number;
  /** Utilizing → Online when released (no event fires, explicit act). Default 0. */
  release: number;
}
export const DEFAULT_DEBOUNCE_MS: Readonly<DebounceMs> = { online: 500, offline: 2000, unplugged: 3000, utilizing: 0, release: 0 };

export interface TrackerOptions {
  clock: Clock;
  logger?: LoggerLike;
  /** Device states at the last quit (exportState() of the previous run). */
  previous?: readonly SavedDeviceState[];
  debounceMs?: Partial<DebounceMs>;
  /** The sources that will report; launch comparison waits for each one's first snapshot. Default all three. */
  sources?: readonly SourceId[];
  /** udids of non-phone USB devices the admin chose to track. */
  trackedUsb?: Iterable<string>;
  /** Settle by itself this long after construction if some source never reported. null: only sourcesSettled(). Default 10 000. */
  settleAfterMs?: number | null;
  /** History kept per device: at most this many entries … Default 500. */
  historyLimit?: number;
  /** … and no older than this. Default 24 h. */
  historyWindowMs?: number;
  /**
   * After a source (re)connects (its snapshot says `resync`), Offline and Unplugged commits for its devices wait
   * this long: a restarted adb server lists phones `offline` while it reconnects to them. Default 5000.
   */
  settleWindowMs?: number;
  /** Devices forgotten before (exportForgotten() of the previous run). */
  forgotten?: readonly ForgottenDevice[];
  /** Forget devices Unplugged for longer than this (wall clock: it outlives restarts). null: never. Default 30 days. */
  retentionMs?: number | null;
}

