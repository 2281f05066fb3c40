// The one interface every device source implements, and what the tracker consumes.
// Plain Node: no Electron, no delivery, no webhooks.

import { realTimers } from '../base/clock';
import type { Clock } from '../base/clock';
import type { DeviceConnection, DevicePlatform, DeviceSourceId, SourceHealthState } from '../../preload/contract/vocabulary';
import type { SourceHealthInfo } from '../../preload/contract';

export type { Clock } from '../base/clock';
export { monotonicNow } from '../base/clock';

export type SourceId = DeviceSourceId;
export type Platform = DevicePlatform;
export type Connection = DeviceConnection;

/** What one source says about one device at this moment. */
export interface Observation {
  source: SourceId;
  /** adb serial, iOS UDID, or USB iSerialNumber (or `usb:VID:PID@bus-ports` when a USB device has none readable). */
  udid: string;
  platform: Platform;
  connection: Connection;
  /** true when the device can be used (adb `device`, usbmuxd attached with lockdown answering). */
  usable: boolean;
  /** The source's own word for the state (adb `unauthorized`, `no permissions (...)`, `Attached`, `present`). */
  rawState: string;
  /** What a person sees, once known (may arrive in a later snapshot). */
  name?: string;
  /** USB topology `bus-port.port` when known: lets the tracker match a USB record with its adb record. */
  usbPath?: string;
  vendorId?: number;
  productId?: number;
  /** USB source only: true for phones and tablets; other USB devices are listed apart and not tracked unless chosen. */
  isPhone?: boolean;
  /**
   * adb: the phone's hardware serial (`ro.serialno`) when it differs from nothing we could tell apart: every
   * transport of one phone (USB `serial`, Wi-Fi `ip:port`) carries the same one and the tracker makes them one
   * device under it. Never set for emulators.
   */
  hardwareSerial?: string;
}

export type { SourceHealthState };
/**
 * A source's state (the contract's SourceHealthInfo): `message` is a plain sentence for the Devices view
 * when it is down ("adb server not reachable on 127.0.0.1:5037"); `since`, epoch ms of the last change.
 */
export type SourceHealth = SourceHealthInfo;

/** Every snapshot is the source's whole current list: the tracker never has to guess what a delta meant. */
export interface SourceSnapshot {
  source: SourceId;
  devices: Observation[];
  /**
   * The first list after the source (re)connected. A daemon that just restarted often lists its devices as
   * `offline` (or not yet) for a few seconds while it reconnects to them: the tracker holds Offline and
   * Unplugged commits from this source for its settle window.
   */
  resync?: boolean;
}

export interface DeviceSource {
  readonly id: SourceId;
  start(): void;
  stop(): Promise<void>;
  /** Called with the whole list on every change (and once after the first list arrives). */
  onSnapshot(listener: (snapshot: SourceSnapshot) => void): () => void;
  onHealth(listener: (health: SourceHealth) => void): () => void;
  health(): SourceHealth;
}

/** The clock lives in main/base/clock.ts; the real one here also reads performance.now() as its monotonic time. */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  ...realTimers,
};
