// Device health: battery level, charging, temperature and (Android) health, read once a minute per usable
// device and as soon as it connects, and the low/hot alerts. Plain Node: the probes (adb `dumpsys battery`,
// lockdownd's battery domain) and the device list are passed in; time comes only from the injected Clock.

import { monotonicNow } from './types';
import type { Clock } from './types';
import type { Logger } from '../base/log';
import type { Status } from './tracker';
import { Listeners } from '../base/listeners';
import type { DevicePlatform } from '../../preload/contract/vocabulary';

type BatteryHealth = 'Good' | 'Overheat' | 'Dead' | 'Over voltage' | 'Failure' | 'Cold' | 'Unknown';

export interface Battery {
  /** percent 0–100 */
  level: number | null;
  charging: boolean | null;
  /** °C, one decimal; null where the device does not say (iOS). */
  temperatureC: number | null;
  /** Android's health word; null where unknown. */
  health: BatteryHealth | null;
  /** epoch ms of the reading */
  at: number;
}

const HEALTH: Record<string, BatteryHealth> = { '1': 'Unknown', '2': 'Good', '3': 'Overheat', '4': 'Dead', '5': 'Over voltage', '6': 'Failure', '7': 'Cold' };

/** `dumpsys battery` (Android's BatteryService dump); undefined when it is not one. */
export function parseDumpsysBattery(text: string, at: number): Battery | undefined {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([A-Za-z][A-Za-z ]*?)\s*:\s*(.*?)\s*$/.exec(line);
    if (m) fields.set((m[1] as string).toLowerCase(), m[2] as string);
  }
  const level = Number(fields.get('level'));
  const scale = Number(fields.get('scale') ?? '100');
  if (!fields.has('level') || !Number.isFinite(level)) return undefined;
  const percent = scale > 0 && Number.isFinite(scale) ? Math.round((level * 100) / scale) : Math.round(level);
  const status = fields.get('status');
  const powered = ['ac powered', 'usb powered', 'wireless powered', 'dock powered'].some((k) => fields.get(k) === 'true');
  // status 2 = charging, 5 = full (on power); 3 discharging, 4 not charging.
  const charging = status === '2' || (status === '5' && powered) ? true : status === undefined ? (fields.has('ac powered') ? powered : null) : false;
  const tenths = Number(fields.get('temperature'));
  const temperatureC = fields.has('temperature') && Number.isFinite(tenths) ? Math.round(tenths) / 10 : null;
  const health = HEALTH[fields.get('health') ?? ''] ?? null;
  return { level: Math.max(0, Math.min(100, percent)), charging, temperatureC, health, at };
}

/** lockdownd's `com.apple.mobile.battery` domain (GetValue without a key). */
export function parseIosBattery(value: unknown, at: number): Battery | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  const level = typeof v['BatteryCurrentCapacity'] === 'number' ? Math.max(0, Math.min(100, Math.round(v['BatteryCurrentCapacity']))) : null;
  const charging = typeof v['BatteryIsCharging'] === 'boolean' ? v['BatteryIsCharging'] : null;
  if (level === null && charging === null) return undefined;
  return { level, charging, temperatureC: null, health: null, at };
}

interface BatteryThresholds {
  /** "low and not charging" at or below this percent */
  lowPercent: number;
  /** "hot" at or above this °C */
  hotC: number;
}

export interface BatteryAlert {
  udid: string;
  kind: 'low' | 'hot';
  /** "Pixel 7 (8AKX0Q9N1) battery low: 12 %, not charging" */
  message: string;
}

export interface BatteryDevice {
  udid: string;
  name: string;
  platform: DevicePlatform;
  status: Status | null;
}

interface BatteryMonitorOptions {
  clock: Clock;
  logger?: Logger;
  devices: () => BatteryDevice[];
  /** Reads one device's battery; undefined where it does not answer (a USB-only device, an iPhone that refuses). */
  probe: (device: BatteryDevice) => Promise<Battery | undefined>;
  thresholds: () => BatteryThresholds;
  /** Default 60 000. */
  intervalMs?: number;
  /** One alert of a kind per device at most this often, and only again after the condition cleared. Default 1 h. */
  alertEveryMs?: number;
}

const usable = (s: Status | null) => s === 'Online' || s === 'Utilizing';

export class BatteryMonitor {
  private readonly readings = new Map<string, Battery>();
  /** Devices usable at the last look: a device that was not gets read at once (on connect). */
  private connected = new Set<string>();
  private readonly inFlight = new Set<string>();
  /** Per device and kind: when (monotonic) its last alert went out, and whether the condition holds now. */
  private readonly alerted = new Map<string, { at: number; active: boolean }>();
  private readonly changeListeners = new Listeners<void>((err) => this.log('error', `battery listener failed: ${String(err)}`));
  private readonly alertListeners = new Listeners<BatteryAlert>((err) => this.log('error', `battery alert listener failed: ${String(err)}`));
  private timer: unknown = null;
  private running = false;
  private readonly intervalMs: number;
  private readonly alertEveryMs: number;
  private readonly log: Logger;

  constructor(private readonly options: BatteryMonitorOptions) {
    this.intervalMs = options.intervalMs ?? 60_000;
    this.alertEveryMs = options.alertEveryMs ?? 60 * 60 * 1000;
    this.log = options.logger ?? (() => {});
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule();
    this.devicesChanged();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== null) this.options.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  /** The device list changed: read the ones that just connected; forget the gone ones' readings. */
  devicesChanged(): Promise<void> {
    if (!this.running) return Promise.resolve();
    const list = this.options.devices();
    const now = new Set(list.filter((d) => usable(d.status)).map((d) => d.udid));
    const fresh = list.filter((d) => now.has(d.udid) && !this.connected.has(d.udid));
    let dropped = false;
    for (const udid of this.readings.keys()) {
      if (!now.has(udid)) {
        this.readings.delete(udid);
        dropped = true;
      }
    }
    this.connected = now;
    if (dropped) this.emitChange();
    return this.read(fresh);
  }

  /** One minute's round over every usable device (tests call it directly). */
  pollAll(): Promise<void> {
    return this.read(this.options.devices().filter((d) => usable(d.status)));
  }

  get(udid: string): Battery | undefined {
    const b = this.readings.get(udid);
    return b ? { ...b } : undefined;
  }

  onChange(listener: () => void): () => void {
    return this.changeListeners.add(listener);
  }

  onAlert(listener: (alert: BatteryAlert) => void): () => void {
    return this.alertListeners.add(listener);
  }

  private schedule(): void {
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = null;
      if (!this.running) return;
      void this.pollAll().finally(() => {
        if (this.running) this.schedule();
      });
    }, this.intervalMs);
  }

  private async read(devices: BatteryDevice[]): Promise<void> {
    await Promise.all(
      devices.map(async (d) => {
        if (this.inFlight.has(d.udid)) return;
        this.inFlight.add(d.udid);
        try {
          const battery = await this.options.probe(d);
          if (!this.connected.has(d.udid)) return;
          if (battery === undefined) {
            if (this.readings.delete(d.udid)) this.emitChange();
            return;
          }
          const before = this.readings.get(d.udid);
          this.readings.set(d.udid, battery);
          if (!before || before.level !== battery.level || before.charging !== battery.charging || before.temperatureC !== battery.temperatureC || before.health !== battery.health) {
            this.emitChange();
          }
          this.checkAlerts(d, battery);
        } catch (err) {
          this.log('debug', `battery of ${d.udid}: ${String(err)}`);
        } finally {
          this.inFlight.delete(d.udid);
        }
      }),
    );
  }

  private checkAlerts(d: BatteryDevice, b: Battery): void {
    const { lowPercent, hotC } = this.options.thresholds();
    const low = b.level !== null && b.level <= lowPercent && b.charging === false;
    const hot = b.temperatureC !== null && b.temperatureC >= hotC;
    this.alert(d, 'low', low, `${d.name} (${d.udid}) battery low: ${b.level ?? '?'} %, not charging`);
    this.alert(d, 'hot', hot, `${d.name} (${d.udid}) battery hot: ${b.temperatureC ?? '?'} °C`);
  }

  private alert(d: BatteryDevice, kind: 'low' | 'hot', active: boolean, message: string): void {
    const key = `${d.udid}\n${kind}`;
    const state = this.alerted.get(key);
    const now = monotonicNow(this.options.clock);
    if (!active) {
      if (state) state.active = false;
      return;
    }
    if (state?.active) return;
    if (state && now - state.at < this.alertEveryMs) {
      state.active = true;
      return;
    }
    this.alerted.set(key, { at: now, active: true });
    this.alertListeners.emit({ udid: d.udid, kind, message });
  }

  private emitChange(): void {
    this.changeListeners.emit();
  }
}
