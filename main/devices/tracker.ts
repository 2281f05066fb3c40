// The status tracker: merges every source's whole list per device, debounces, applies the status rules
// and emits one DeviceEvent per committed transition that the product rules allow.
// Plain Node: no Electron, no delivery/, no webhooks/. Time comes only from the injected Clock.

import { z } from 'zod';
import { monotonicNow } from './types';
import type { Clock, Connection, Observation, Platform, SourceHealth, SourceId, SourceSnapshot } from './types';

import { DEVICE_STATUSES, DEVICE_VISIBILITIES } from '../../preload/contract/vocabulary';
import type { DeviceStatus, DeviceVisibility } from '../../preload/contract/vocabulary';

export type Status = DeviceStatus;
export type Visibility = DeviceVisibility;
export const STATUSES: readonly Status[] = DEVICE_STATUSES;
export const VISIBILITIES: readonly Visibility[] = DEVICE_VISIBILITIES;

/** Minimal logger; `console` fits. */
export interface Logger {
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}
export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };
/** The function form the device sources use (sourceKit.ts) is accepted too. */
export type LogFunction = (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;
export type LoggerLike = Logger | LogFunction;

export function asLogger(logger: LoggerLike | undefined): Logger {
  if (logger === undefined) return silentLogger;
  if (typeof logger !== 'function') return logger;
  const line = (message: string, meta?: Record<string, unknown>): string => {
    if (!meta) return message;
    try {
      return `${message} ${JSON.stringify(meta)}`;
    } catch {
      return message;
    }
  };
  return {
    info: (m, meta) => logger('info', line(m, meta)),
    warn: (m, meta) => logger('warn', line(m, meta)),
    error: (m, meta) => logger('error', line(m, meta)),
  };
}

export interface Transition {
  from: Status | null;
  to: Status;
  /** epoch ms */
  at: number;
}

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

export interface InUseInfo {
  by?: string;
  note?: string;
  /** epoch ms when a reservation with a TTL lapses */
  until?: number;
  /** Set when a reservation holds the device (beside a session, or alone). */
  reserved?: true;
  /** A test session (Appium) holds the device. */
  session?: SessionHold;
}

export interface SessionHold {
  /** The server's session id. */
  id: string;
  /** The server's URL as configured. */
  server: string;
  /** epoch ms */
  since: number;
}

export interface DeviceView {
  udid: string;
  name: string;
  platform: Platform;
  connection: Connection;
  /** Committed status; null for a device first seen whose entry status is still being debounced. */
  status: Status | null;
  /** epoch ms: when `status` was committed (first-seen time while status is null) */
  since: number;
  /** The status the device is heading to, not committed yet (debounce running or waiting for the sources). */
  pending?: { to: Status; since: number };
  visibility: Visibility;
  /** Set when an admin overrode the default visibility. */
  visibilityOverride?: Visibility;
  inUse?: InUseInfo;
  /** Sources whose current list has the device (a source that is down keeps its last list). */
  sources: SourceId[];
  /** How it is connected now, USB first: both for a phone on a cable and on Wi-Fi (adb), empty when gone. */
  transports: Connection[];
  rawStates: Partial<Record<SourceId, string>>;
  usbPath?: string;
  /** Committed transitions of the last 24 h, oldest first (bounded). */
  history: Transition[];
  /** Set while the device flaps (more than 6 committed changes in 10 minutes): its holds are doubled. */
  flapping?: FlappingView;
}

export interface FlappingView {
  /** USB port (`1-2.3`) when known, and the hub it hangs from (`1-2`). */
  port?: string;
  hub?: string;
  /** Committed status changes in the last 10 minutes. */
  changes: number;
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

/** One USB port's recent disconnects, for the Devices view. */
export interface PortStat {
  port: string;
  hub?: string;
  /** Offline/Unplugged commits of devices on this port in the last hour. */
  disconnects: number;
  /** Devices seen on this port (names). */
  devices: string[];
  flapping: boolean;
}

export const FLAP_WINDOW_MS = 10 * 60 * 1000;
export const FLAP_THRESHOLD = 6;
const FLAP_HOLD_CAP_MS = 30_000;
const PORT_WINDOW_MS = 60 * 60 * 1000;

/** `1-2.3` hangs from the hub at `1-2`; a root port (`1-2`) from the bus's root hub (none shown). */
function hubOf(port: string): string | undefined {
  const dot = port.lastIndexOf('.');
  return dot > 0 ? port.slice(0, dot) : undefined;
}

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

export type NameSource = 'device' | 'usb' | 'udid';

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

const ALL_SOURCES: readonly SourceId[] = ['usb', 'adb', 'usbmux'];
const SOURCE_ORDER: Record<SourceId, number> = { usb: 0, adb: 1, usbmux: 2 };
const NAME_RANK: Record<NameSource, number> = { udid: 0, usb: 1, device: 2 };
/** The device-level source of a platform (a restored device not seen yet in this run). */
const PLATFORM_SOURCE: Record<Platform, SourceId | undefined> = { android: 'adb', ios: 'usbmux', other: undefined };

const statusSchema = z.enum(['Online', 'Offline', 'Utilizing', 'Unplugged']);
const transitionSchema = z.object({ from: statusSchema.nullable(), to: statusSchema, at: z.number().finite() });
const savedSchema = z.object({
  udid: z.string().min(1),
  name: z.string(),
  nameSource: z.enum(['device', 'usb', 'udid']).optional(),
  platform: z.enum(['android', 'ios', 'other']),
  connection: z.enum(['usb', 'network']),
  usbPath: z.string().optional(),
  status: statusSchema,
  since: z.number().finite(),
  seq: z.number().int().min(0),
  visibilityOverride: z.enum(['Local', 'Private', 'Public']).optional(),
  history: z.array(transitionSchema).optional(),
});

interface DeviceRecord {
  udid: string;
  name: string;
  nameRank: number;
  platform: Platform;
  connection: Connection;
  usbPath?: string;
  committed: Status | null;
  since: number;
  /** since: wall clock (shown); at: monotonic (the hold counts from it). */
  pending: { to: Status; since: number; at: number } | null;
  timer: unknown;
  /** monotonic */
  timerDue: number | null;
  seq: number;
  history: Transition[];
  /** Restored from the last run, not Unplugged then, not seen in this run yet: waits for the launch comparison. */
  awaitingLaunch: boolean;
  /** Every source that listed it in this run (a source's resync holds its Offline/Unplugged commits). */
  seenBy: Set<SourceId>;
  transports: Connection[];
  /** Committed status changes (monotonic times) in the flapping window. */
  changes: number[];
  flapping: boolean;
  flapTimer: unknown;
  /** Had a USB transport in this run: a phone whose cable is pulled but still on Wi-Fi keeps its one visibility. */
  usbSeen: boolean;
  present: boolean;
  usable: boolean;
  sources: SourceId[];
  rawStates: Partial<Record<SourceId, string>>;
}

interface Merged {
  observations: Observation[];
}

/** adb writes `usb:1-1`, the USB source `1-1`. */
function normalizeUsbPath(path: string | undefined): string | undefined {
  if (!path) return undefined;
  const p = path.trim().replace(/^usb:/i, '');
  return p === '' ? undefined : p;
}

/** iOS: USB serial `00008030001A35E02E38802E` == UDID `00008030-001A35E02E38802E`; compare case- and hyphen-blind. */
function udidKey(udid: string): string {
  return udid.replace(/-/g, '').toUpperCase();
}

/**
 * The identity a USB-only record gets: an iOS 24-hex USB serial becomes the UDID usbmuxd will report
 * (hyphen after 8 characters), so the phone keeps one identity whether or not usbmuxd sees it.
 */
function usbOnlyUdid(o: Observation): string {
  const apple = o.platform === 'ios' || o.vendorId === 0x05ac;
  if (apple && /^[0-9a-f]{24}$/i.test(o.udid)) return `${o.udid.slice(0, 8)}-${o.udid.slice(8)}`.toUpperCase();
  return o.udid;
}

function cleanName(name: string | undefined): string | undefined {
  const n = name?.trim();
  return n ? n : undefined;
}

/** Does a committed transition fire an event? (the status rules in docs/usage.md) */
export function transitionFiresEvent(from: Status | null, to: Status, visibility: Visibility): boolean {
  if (visibility === 'Public') return false;
  if (from === to) return false;
  if (from === 'Utilizing' && to === 'Online') return false;
  return true;
}

export class DeviceTracker {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly debounce: DebounceMs;
  private readonly expectedSources: readonly SourceId[];
  private readonly historyLimit: number;
  private readonly historyWindowMs: number;
  private readonly settleWindowMs: number;
  /** Per source: until when (monotonic) its resync holds Offline/Unplugged commits. */
  private readonly resyncUntil = new Map<SourceId, number>();
  /** Asleep (suspend() until resume()): nothing commits. */
  private suspended = false;
  /** After a resume: sources whose devices wait for their next list (bounded by relistDeadline, monotonic). */
  private readonly awaitingRelist = new Set<SourceId>();
  private relistDeadline = 0;
  /** Sources that went down and have not listed since: their last list is stale. */
  private readonly stale = new Set<SourceId>();
  /** Devices the USB source has shown in this run: only for them can the bus tell that a down source's list is stale. */
  private readonly seenOnBus = new Set<string>();

  private readonly devices = new Map<string, DeviceRecord>();
  /** Debounce timers by due time (see scheduleAt). */
  private readonly dueBuckets = new Map<number, { handle: unknown; members: Set<DeviceRecord> }>();
  private readonly snapshots = new Map<SourceId, Observation[]>();
  private readonly reported = new Set<SourceId>();
  private readonly health = new Map<SourceId, SourceHealth>();
  private readonly inUse = new Map<string, InUseInfo>();
  private readonly visibilityOverrides = new Map<string, Visibility>();
  private tracked = new Set<string>();
  private others: Observation[] = [];

  private readonly forgotten = new Map<string, ForgottenDevice>();
  private readonly retentionMs: number | null;

  private settled = false;
  private settleTimer: unknown = null;
  private disposed = false;

  /** Per USB port: monotonic times of its devices' Offline/Unplugged commits (last hour). */
  private readonly portDrops = new Map<string, number[]>();
  private readonly portDevices = new Map<string, Set<string>>();
  /** Per port (or udid): when its last flapping notice went out (monotonic). */
  private readonly lastFlapNotice = new Map<string, number>();
  private readonly flapQueue: FlappingNotice[] = [];
  private readonly flapListeners = new Set<(notice: FlappingNotice) => void>();
  private readonly eventListeners = new Set<(event: DeviceEvent) => void>();
  private readonly changeListeners = new Set<(devices: DeviceView[]) => void>();
  private readonly queue: DeviceEvent[] = [];
  private depth = 0;
  private flushing = false;
  private lastSignature = '';

  constructor(options: TrackerOptions) {
    this.clock = options.clock;
    this.log = asLogger(options.logger);
    this.debounce = { ...DEFAULT_DEBOUNCE_MS, ...options.debounceMs };
    for (const [k, v] of Object.entries(this.debounce)) {
      if (!Number.isFinite(v) || v < 0) throw new RangeError(`debounceMs.${k} must be a finite number >= 0`);
    }
    this.expectedSources = [...new Set(options.sources ?? ALL_SOURCES)];
    this.historyLimit = options.historyLimit ?? 500;
    this.historyWindowMs = options.historyWindowMs ?? 24 * 60 * 60 * 1000;
    this.settleWindowMs = options.settleWindowMs ?? 5000;
    if (!Number.isFinite(this.settleWindowMs) || this.settleWindowMs < 0) throw new RangeError('settleWindowMs must be a finite number >= 0');
    this.tracked = new Set(options.trackedUsb ?? []);
    const now = this.clock.now();
    for (const source of this.expectedSources) this.health.set(source, { source, state: 'starting', since: now });
    this.restore(options.previous ?? []);
    for (const f of options.forgotten ?? []) {
      if (f && typeof f.udid === 'string' && f.udid !== '' && Number.isInteger(f.seq) && f.seq >= 0 && !this.devices.has(f.udid)) {
        this.forgotten.set(f.udid, { udid: f.udid, seq: f.seq, forgottenAt: Number(f.forgottenAt) || now, history: Array.isArray(f.history) ? f.history.filter((t) => transitionSchema.safeParse(t).success) : [] });
      }
    }
    this.retentionMs = options.retentionMs === undefined ? 30 * 24 * 60 * 60 * 1000 : options.retentionMs;
    this.forgetExpired();
    this.lastSignature = this.signature();

    const settleAfterMs = options.settleAfterMs === undefined ? 10_000 : options.settleAfterMs;
    if (this.expectedSources.length === 0) this.settled = true;
    else if (settleAfterMs !== null) {
      this.settleTimer = this.clock.setTimeout(() => {
        this.settleTimer = null;
        if (!this.settled) this.log.warn('device sources did not all report in time; settling without them', { missing: this.missingSources() });
        this.sourcesSettled();
      }, settleAfterMs);
    }
  }

  // ───────────────────────────── inputs ─────────────────────────────

  /** A source's whole current list. */
  ingest(snapshot: SourceSnapshot): void {
    if (this.disposed) return;
    this.run(() => {
      const devices = (snapshot.devices ?? []).filter((o) => {
        const ok = o && typeof o.udid === 'string' && o.udid !== '';
        if (!ok) this.log.warn('ignoring an observation without udid', { source: snapshot.source });
        return ok;
      });
      this.snapshots.set(snapshot.source, devices.map((o) => ({ ...o, source: snapshot.source })));
      this.stale.delete(snapshot.source);
      // The first list after a resume is a resync, whether or not the source had to reconnect.
      if (this.awaitingRelist.delete(snapshot.source) && this.settleWindowMs > 0) this.resyncUntil.set(snapshot.source, monotonicNow(this.clock) + this.settleWindowMs);
      if (snapshot.resync === true && this.settleWindowMs > 0) this.resyncUntil.set(snapshot.source, monotonicNow(this.clock) + this.settleWindowMs);
      this.reported.add(snapshot.source);
      if (!this.settled && this.expectedSources.every((s) => this.reported.has(s))) this.markSettled();
      this.recompute();
    });
  }

  /** A source that is 'down' keeps its last list: its devices keep their status until it reports again. */
  setSourceHealth(health: SourceHealth): void {
    if (this.disposed) return;
    this.run(() => {
      const wasStale = this.stale.has(health.source);
      if (health.state === 'down') this.stale.add(health.source);
      else this.stale.delete(health.source);
      this.health.set(health.source, { ...health });
      // Whether a down source's stale list still counts depends on the USB bus (merge): look again.
      if (wasStale !== this.stale.has(health.source) && this.snapshots.has('usb')) this.recompute();
    });
  }

  /** Every source had its chance (or the composition root gave up waiting): run the launch comparison now. */
  sourcesSettled(): void {
    if (this.disposed) return;
    this.run(() => {
      if (this.settled) return;
      this.markSettled();
      for (const rec of [...this.devices.values()]) this.evaluate(rec);
    });
  }

  private markSettled(): void {
    this.settled = true;
    if (this.settleTimer !== null) this.clock.clearTimeout(this.settleTimer);
    this.settleTimer = null;
  }

  /** The machine goes to sleep: nothing commits until resume() (pending statuses keep their start). */
  suspend(): void {
    if (this.disposed) return;
    this.run(() => {
      this.suspended = true;
      for (const rec of this.devices.values()) this.clearTimer(rec);
    });
  }

  /**
   * The machine woke up: every source counts as reconnecting. Offline and Unplugged wait until each source has
   * listed again (at most relistWithinMs) and then its settle window, so phones that stayed plugged fire nothing
   * and phones removed during sleep turn Unplugged once their source has re-listed.
   */
  resume(relistWithinMs = 30_000): void {
    if (this.disposed) return;
    this.run(() => {
      this.suspended = false;
      for (const source of this.reported) this.awaitingRelist.add(source);
      this.relistDeadline = monotonicNow(this.clock) + relistWithinMs;
      for (const rec of [...this.devices.values()]) {
        // Holds count from the wake-up, not from before the sleep.
        if (rec.pending) rec.pending = { ...rec.pending, at: monotonicNow(this.clock) };
        this.evaluate(rec);
      }
    });
  }

  /**
   * An admin forgets a device from its row: its row and state go; a later appearance starts a new row whose
   * sequence numbers continue. Only a device that is gone (Unplugged, or never committed and not present).
   */
  forget(udid: string): 'forgotten' | 'unknown' | 'present' {
    if (this.disposed) return 'unknown';
    const rec = this.devices.get(udid);
    if (!rec) return 'unknown';
    if (rec.present || (rec.committed !== 'Unplugged' && rec.committed !== null)) return 'present';
    this.run(() => this.drop(rec));
    return 'forgotten';
  }

  private drop(rec: DeviceRecord): void {
    this.clearTimer(rec);
    if (rec.flapTimer !== null) this.clock.clearTimeout(rec.flapTimer);
    rec.flapTimer = null;
    this.devices.delete(rec.udid);
    this.visibilityOverrides.delete(rec.udid);
    this.forgotten.set(rec.udid, { udid: rec.udid, seq: rec.seq, forgottenAt: this.clock.now(), history: rec.history.map((t) => ({ ...t })) });
    // Bounded: the oldest tombstones go first (10,000 is years of a busy lab).
    while (this.forgotten.size > 10_000) this.forgotten.delete(this.forgotten.keys().next().value as string);
    this.log.info('device forgotten', { udid: rec.udid, seq: rec.seq });
  }

  /** Forgets devices Unplugged for longer than the retention: at start, then whenever the composition root asks (hourly). */
  forgetExpired(): void {
    if (this.retentionMs === null || this.disposed) return;
    const cutoff = this.clock.now() - this.retentionMs;
    const old = [...this.devices.values()].filter((rec) => rec.committed === 'Unplugged' && !rec.present && rec.since < cutoff);
    if (old.length > 0) this.run(() => old.forEach((rec) => this.drop(rec)));
    const windowCutoff = this.clock.now() - this.historyWindowMs;
    for (const f of this.forgotten.values()) if (f.history && f.history.length > 0) f.history = f.history.filter((t) => t.at >= windowCutoff);
  }

  /** Forgotten devices, for the composition root to save beside exportState(). */
  exportForgotten(): ForgottenDevice[] {
    const cutoff = this.clock.now() - this.historyWindowMs;
    return [...this.forgotten.values()].map((f) => ({ udid: f.udid, seq: f.seq, forgottenAt: f.forgottenAt, history: (f.history ?? []).filter((t) => t.at >= cutoff) }));
  }

  /** The timelines of forgotten devices (for reports), until they age out. */
  forgottenTimelines(): { udid: string; history: Transition[] }[] {
    const cutoff = this.clock.now() - this.historyWindowMs;
    return [...this.forgotten.values()].map((f) => ({ udid: f.udid, history: (f.history ?? []).filter((t) => t.at >= cutoff) })).filter((f) => f.history.length > 0);
  }

  /** In-use state (from reservations, through the composition root). null releases. */
  setInUse(udid: string, info: InUseInfo | null): void {
    if (this.disposed) return;
    this.run(() => {
      if (info) this.inUse.set(udid, { ...info });
      else this.inUse.delete(udid);
      const rec = this.devices.get(udid);
      if (rec) this.evaluate(rec);
    });
  }

  /** Admin override (e.g. 'Public'); null clears it and the default (usb → Local, network → Private) applies. */
  setVisibility(udid: string, visibility: Visibility | null): void {
    if (this.disposed) return;
    if (visibility !== null && !VISIBILITIES.includes(visibility)) throw new RangeError(`unknown visibility ${String(visibility)}`);
    this.run(() => {
      if (visibility) this.visibilityOverrides.set(udid, visibility);
      else this.visibilityOverrides.delete(udid);
    });
  }

  /** The non-phone USB devices the admin chose to track (by the USB source's udid). */
  setTrackedUsb(udids: Iterable<string>): void {
    if (this.disposed) return;
    this.run(() => {
      this.tracked = new Set(udids);
      this.recompute();
    });
  }

  // ───────────────────────────── outputs ─────────────────────────────

  onEvent(listener: (event: DeviceEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** A device started flapping (at most one notice per port per 10 minutes). */
  onFlapping(listener: (notice: FlappingNotice) => void): () => void {
    this.flapListeners.add(listener);
    return () => this.flapListeners.delete(listener);
  }

  /** Every USB port with a disconnect in the last hour, most disconnects first. */
  portStats(): PortStat[] {
    const cutoff = monotonicNow(this.clock) - PORT_WINDOW_MS;
    const flappingPorts = new Set([...this.devices.values()].filter((r) => r.flapping && r.usbPath).map((r) => r.usbPath as string));
    const out: PortStat[] = [];
    for (const [port, drops] of this.portDrops) {
      const recent = drops.filter((t) => t >= cutoff);
      if (recent.length === 0) continue;
      const stat: PortStat = { port, disconnects: recent.length, devices: [...(this.portDevices.get(port) ?? [])], flapping: flappingPorts.has(port) };
      const hub = hubOf(port);
      if (hub) stat.hub = hub;
      out.push(stat);
    }
    return out.sort((a, b) => b.disconnects - a.disconnects || (a.port < b.port ? -1 : 1));
  }

  /** Any change the Devices view shows (status, pending status, names, sources, in use, visibility, health, other USB). */
  onChange(listener: (devices: DeviceView[]) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  list(): DeviceView[] {
    const cutoff = this.clock.now() - this.historyWindowMs;
    return [...this.devices.values()].map((rec) => this.view(rec, cutoff));
  }

  get(udid: string): DeviceView | undefined {
    const rec = this.devices.get(udid);
    return rec ? this.view(rec, this.clock.now() - this.historyWindowMs) : undefined;
  }

  /** The tracked device a udid names: itself, or the phone a transport (a Wi-Fi `ip:port` twin) was merged into. */
  resolveUdid(udid: string): string | undefined {
    if (this.devices.has(udid)) return udid;
    for (const list of this.snapshots.values()) {
      for (const o of list) if (o.udid === udid && o.hardwareSerial !== undefined && this.devices.has(o.hardwareSerial)) return o.hardwareSerial;
    }
    return undefined;
  }

  /** Committed status: undefined when unknown, null while a first-seen device is being debounced. */
  statusOf(udid: string): Status | null | undefined {
    return this.devices.get(udid)?.committed;
  }

  /** USB devices that are not phones and not chosen by the admin: listed apart, not tracked. */
  otherUsb(): Observation[] {
    return this.others.map((o) => ({ ...o }));
  }

  trackedUsb(): string[] {
    return [...this.tracked];
  }

  sourceHealth(): SourceHealth[] {
    return [...this.health.values()].map((h) => ({ ...h }));
  }

  /** True once every source reported once, sourcesSettled() was called, or settleAfterMs passed. */
  isSettled(): boolean {
    return this.settled;
  }

  /** Committed devices, for the composition root to save (devices still being debounced as new are not saved). */
  exportState(): SavedDeviceState[] {
    const cutoff = this.clock.now() - this.historyWindowMs;
    const out: SavedDeviceState[] = [];
    for (const rec of this.devices.values()) {
      if (rec.committed === null) continue;
      const saved: SavedDeviceState = {
        udid: rec.udid,
        name: rec.name,
        nameSource: rankToSource(rec.nameRank),
        platform: rec.platform,
        connection: rec.connection,
        status: rec.committed,
        since: rec.since,
        seq: rec.seq,
        history: rec.history.filter((t) => t.at >= cutoff).map((t) => ({ ...t })),
      };
      if (rec.usbPath) saved.usbPath = rec.usbPath;
      const override = this.visibilityOverrides.get(rec.udid);
      if (override) saved.visibilityOverride = override;
      out.push(saved);
    }
    return out;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.settleTimer !== null) this.clock.clearTimeout(this.settleTimer);
    this.settleTimer = null;
    for (const rec of this.devices.values()) {
      this.clearTimer(rec);
      if (rec.flapTimer !== null) this.clock.clearTimeout(rec.flapTimer);
    }
    this.flapListeners.clear();
    this.eventListeners.clear();
    this.changeListeners.clear();
    this.queue.length = 0;
  }

  // ───────────────────────────── internals ─────────────────────────────

  private missingSources(): SourceId[] {
    return this.expectedSources.filter((s) => !this.reported.has(s));
  }

  private restore(previous: readonly SavedDeviceState[]): void {
    for (const raw of previous) {
      const parsed = savedSchema.safeParse(raw);
      if (!parsed.success) {
        this.log.warn('ignoring an unreadable saved device state', { issues: parsed.error.issues.map((i) => i.message) });
        continue;
      }
      const s = parsed.data;
      const name = cleanName(s.name);
      const rec = newRecord({
        udid: s.udid,
        name: name ?? s.udid,
        nameRank: name ? NAME_RANK[s.nameSource ?? 'device'] : NAME_RANK.udid,
        platform: s.platform,
        connection: s.connection,
        committed: s.status,
        since: s.since,
        seq: s.seq,
        history: (s.history ?? []).slice(-this.historyLimit),
        awaitingLaunch: s.status !== 'Unplugged',
        present: false,
      });
      if (s.usbPath) rec.usbPath = s.usbPath;
      this.devices.set(s.udid, rec);
      if (s.visibilityOverride) this.visibilityOverrides.set(s.udid, s.visibilityOverride);
    }
  }

  /** Merge every source's current list into one record per phone. */
  private merge(): { merged: Map<string, Merged>; others: Observation[] } {
    const merged = new Map<string, Merged>();
    const byPath = new Map<string, string>();
    const byKey = new Map<string, string>();
    const add = (udid: string, o: Observation): void => {
      let m = merged.get(udid);
      if (!m) merged.set(udid, (m = { observations: [] }));
      m.observations.push(o);
    };
    const sources = [...this.snapshots.keys()].sort((a, b) => (SOURCE_ORDER[a] ?? 9) - (SOURCE_ORDER[b] ?? 9));
    const onBus = this.usbBus();
    // Device-level sources first (adb, usbmux): their udid is the phone's identity.
    for (const source of sources) {
      if (source === 'usb') continue;
      const down = this.stale.has(source);
      /** Per hardware serial, the transport kinds already merged: two of one kind are two phones. */
      const kinds = new Map<string, Set<Connection>>();
      for (const o of this.snapshots.get(source) ?? []) {
        // One phone, several adb transports (USB and Wi-Fi): one device under its hardware serial. Two USB (or
        // two Wi-Fi) transports with one serial are two phones sharing a factory serial (0123456789ABCDEF).
        let id = o.hardwareSerial ?? o.udid;
        if (o.hardwareSerial !== undefined) {
          const seen = kinds.get(id) ?? new Set<Connection>();
          if (seen.has(o.connection)) id = o.udid;
          else seen.add(o.connection);
          kinds.set(o.hardwareSerial, seen);
        }
        // A down source's last list is stale: a USB phone the bus showed in this run and no longer shows is gone.
        if (down && onBus && o.connection === 'usb' && this.seenOnBus.has(id) && !onBus.has(o)) continue;
        add(id, o);
        const path = normalizeUsbPath(o.usbPath);
        if (path && !byPath.has(path)) byPath.set(path, id);
        for (const key of [udidKey(o.udid), udidKey(id)]) if (!byKey.has(key)) byKey.set(key, id);
      }
    }
    // USB records join the adb record on the same port, or the usbmux/adb record with the same serial.
    const others: Observation[] = [];
    for (const o of this.snapshots.get('usb') ?? []) {
      const path = normalizeUsbPath(o.usbPath);
      const target = (path !== undefined ? byPath.get(path) : undefined) ?? byKey.get(udidKey(o.udid));
      if (target !== undefined) add(target, o);
      else if (o.isPhone === true || this.tracked.has(o.udid)) add(usbOnlyUdid(o), o);
      else others.push(o);
    }
    return { merged, others };
  }

  /** What the USB source lists now, when it is up and has listed (else undefined: nothing to judge by). */
  private usbBus(): { has(o: Observation): boolean } | undefined {
    const list = this.snapshots.get('usb');
    if (!list || this.stale.has('usb')) return undefined;
    const paths = new Set<string>();
    const keys = new Set<string>();
    for (const u of list) {
      const path = normalizeUsbPath(u.usbPath);
      if (path) paths.add(path);
      keys.add(udidKey(u.udid));
    }
    return {
      has: (o) => {
        const path = normalizeUsbPath(o.usbPath);
        return (path !== undefined && paths.has(path)) || keys.has(udidKey(o.udid));
      },
    };
  }

  private recompute(): void {
    const { merged, others } = this.merge();
    this.others = others;
    const now = this.clock.now();
    for (const [udid, m] of merged) {
      let rec = this.devices.get(udid);
      if (!rec) {
        // A forgotten device back: a new row, its sequence numbers continuing where they were.
        const tombstone = this.forgotten.get(udid);
        this.forgotten.delete(udid);
        rec = newRecord({
          udid,
          name: udid,
          nameRank: NAME_RANK.udid,
          platform: 'other',
          connection: 'usb',
          committed: null,
          since: now,
          seq: tombstone?.seq ?? 0,
          history: [],
          awaitingLaunch: false,
          present: true,
        });
        this.devices.set(udid, rec);
      }
      this.apply(rec, m.observations);
    }
    for (const rec of this.devices.values()) {
      if (!merged.has(rec.udid) && rec.present) {
        rec.present = false;
        rec.usable = false;
        rec.sources = [];
        rec.transports = [];
        rec.rawStates = {};
      }
    }
    for (const rec of [...this.devices.values()]) this.evaluate(rec);
  }

  private apply(rec: DeviceRecord, observations: Observation[]): void {
    const deviceLevel = observations.filter((o) => o.source !== 'usb');
    const primary = deviceLevel[0] ?? observations[0];
    rec.present = true;
    rec.awaitingLaunch = false;
    rec.usable = observations.some((o) => o.usable === true);
    rec.sources = [...new Set(observations.map((o) => o.source))].sort((a, b) => (SOURCE_ORDER[a] ?? 9) - (SOURCE_ORDER[b] ?? 9));
    for (const source of rec.sources) rec.seenBy.add(source);
    if (rec.seenBy.has('usb')) this.seenOnBus.add(rec.udid);
    const raw: Partial<Record<SourceId, string>> = {};
    for (const o of observations) raw[o.source] = raw[o.source] ? `${raw[o.source]}, ${o.rawState}` : o.rawState;
    rec.rawStates = raw;
    if (primary) {
      const platform = deviceLevel.find((o) => o.platform !== 'other')?.platform ?? observations.find((o) => o.platform !== 'other')?.platform;
      rec.platform = platform ?? primary.platform ?? rec.platform;
    }
    rec.connection = observations.some((o) => o.connection === 'usb') ? 'usb' : 'network';
    const transports = new Set((deviceLevel.length > 0 ? deviceLevel : observations).map((o) => o.connection));
    rec.transports = (['usb', 'network'] as const).filter((c) => transports.has(c));
    if (rec.connection === 'usb') rec.usbSeen = true;
    const path = observations.map((o) => normalizeUsbPath(o.usbPath)).find((p) => p !== undefined);
    if (path) rec.usbPath = path;
    // Best name: a device source's over the USB product string, a newer one over an older one of the same rank.
    const deviceName = deviceLevel.map((o) => cleanName(o.name)).find((n) => n !== undefined);
    const usbName = observations.filter((o) => o.source === 'usb').map((o) => cleanName(o.name)).find((n) => n !== undefined);
    const candidate = deviceName !== undefined ? { name: deviceName, rank: NAME_RANK.device } : usbName !== undefined ? { name: usbName, rank: NAME_RANK.usb } : undefined;
    if (candidate && candidate.rank >= rec.nameRank) {
      rec.name = candidate.name;
      rec.nameRank = candidate.rank;
    }
  }

  /** The status the device should have now; undefined = keep what is committed (launch comparison not run yet). */
  private desired(rec: DeviceRecord): Status | undefined {
    if (!rec.present) {
      if (rec.awaitingLaunch && !this.settled) return undefined;
      return 'Unplugged';
    }
    if (!rec.usable) return 'Offline';
    return this.inUse.has(rec.udid) ? 'Utilizing' : 'Online';
  }

  private delayFor(rec: DeviceRecord, to: Status): number {
    if (rec.awaitingLaunch) return 0; // the launch comparison: gone since the last run
    const d = this.debounce;
    // A flapping device's holds double (up to 30 s) so receivers are not flooded; explicit acts stay immediate.
    const hold = (ms: number): number => (rec.flapping ? Math.max(ms, Math.min(2 * ms, FLAP_HOLD_CAP_MS)) : ms);
    switch (to) {
      case 'Utilizing':
        // Marking an Online device in use is an explicit act; a reserved device that becomes usable again
        // is a device change, so it gets the Online debounce.
        return rec.committed === 'Online' ? d.utilizing : hold(Math.max(d.online, d.utilizing));
      case 'Online':
        return rec.committed === 'Utilizing' ? d.release : hold(d.online);
      case 'Offline':
        return hold(d.offline);
      case 'Unplugged':
        return hold(d.unplugged);
    }
  }

  /** Counts a committed change in the sliding window; more than FLAP_THRESHOLD makes the device flap. */
  private noteChange(rec: DeviceRecord, from: Status | null, to: Status): void {
    if (from === null) return;
    const now = monotonicNow(this.clock);
    const disconnect = to === 'Offline' || to === 'Unplugged';
    if (disconnect && rec.usbPath) {
      const drops = this.portDrops.get(rec.usbPath) ?? [];
      drops.push(now);
      while (drops.length > 0 && drops[0]! < now - PORT_WINDOW_MS) drops.shift();
      this.portDrops.set(rec.usbPath, drops);
      const names = this.portDevices.get(rec.usbPath) ?? new Set<string>();
      names.add(rec.name);
      this.portDevices.set(rec.usbPath, names);
    }
    rec.changes.push(now);
    while (rec.changes.length > 0 && rec.changes[0]! <= now - FLAP_WINDOW_MS) rec.changes.shift();
    if (!rec.flapping && rec.changes.length > FLAP_THRESHOLD) {
      rec.flapping = true;
      this.log.warn('device is flapping', { udid: rec.udid, port: rec.usbPath, changes: rec.changes.length });
      const key = rec.usbPath ?? rec.udid;
      const last = this.lastFlapNotice.get(key);
      if (last === undefined || now - last >= FLAP_WINDOW_MS) {
        this.lastFlapNotice.set(key, now);
        const disconnects = this.disconnectsInWindow(rec);
        const where = rec.usbPath ? ` on USB port ${rec.usbPath}${hubOf(rec.usbPath) ? ` (hub ${hubOf(rec.usbPath)})` : ''}` : '';
        const notice: FlappingNotice = {
          udid: rec.udid,
          name: rec.name,
          disconnects,
          message: `${rec.name}${where} disconnected ${disconnects} times in 10 min — check the cable or hub`,
        };
        if (rec.usbPath) notice.port = rec.usbPath;
        const hub = rec.usbPath ? hubOf(rec.usbPath) : undefined;
        if (hub) notice.hub = hub;
        this.flapQueue.push(notice);
      }
    }
    if (rec.flapping) {
      // Flapping ends after 10 quiet minutes.
      if (rec.flapTimer !== null) this.clock.clearTimeout(rec.flapTimer);
      rec.flapTimer = this.clock.setTimeout(() => {
        rec.flapTimer = null;
        if (this.disposed) return;
        this.run(() => {
          rec.flapping = false;
          rec.changes = [];
          this.log.info('device stopped flapping', { udid: rec.udid });
          this.evaluate(rec);
        });
      }, FLAP_WINDOW_MS);
    }
  }

  private disconnectsInWindow(rec: DeviceRecord): number {
    const cutoff = this.clock.now() - FLAP_WINDOW_MS;
    return rec.history.filter((t) => t.at > cutoff && t.from !== null && (t.to === 'Offline' || t.to === 'Unplugged')).length;
  }

  private evaluate(rec: DeviceRecord): void {
    if (this.devices.get(rec.udid) !== rec) return;
    // A device never announced that is gone again: forget it silently.
    if (rec.committed === null && !rec.present) {
      this.clearTimer(rec);
      this.devices.delete(rec.udid);
      // A forgotten device that flashed by: keep its sequence number for its next appearance.
      if (rec.seq > 0) this.forgotten.set(rec.udid, { udid: rec.udid, seq: rec.seq, forgottenAt: this.clock.now(), history: rec.history });
      return;
    }
    const desired = this.desired(rec);
    if (desired === undefined || desired === rec.committed) {
      rec.pending = null;
      this.clearTimer(rec);
      return;
    }
    const now = monotonicNow(this.clock);
    if (!rec.pending || rec.pending.to !== desired) rec.pending = { to: desired, since: this.clock.now(), at: now };
    if (!this.settled || this.suspended) {
      // Nothing is committed before the launch comparison or while asleep; the hold time already counts.
      this.clearTimer(rec);
      return;
    }
    let due = rec.pending.at + this.delayFor(rec, desired);
    if (desired === 'Offline' || desired === 'Unplugged') due = Math.max(due, this.resyncEnd(rec, now));
    if (now >= due) {
      this.commit(rec, desired);
      return;
    }
    if (rec.timer !== null && rec.timerDue === due) return;
    this.clearTimer(rec);
    rec.timerDue = due;
    rec.timer = this.scheduleAt(due, now, rec);
  }

  /** When the resyncs of the sources that speak for this device end (0 when none is running). */
  private resyncEnd(rec: DeviceRecord, now: number): number {
    let end = 0;
    if (this.awaitingRelist.size > 0) {
      if (this.relistDeadline <= now) this.awaitingRelist.clear();
      for (const source of this.awaitingRelist) {
        if (rec.seenBy.has(source) || PLATFORM_SOURCE[rec.platform] === source) end = this.relistDeadline;
      }
    }
    if (this.resyncUntil.size === 0) return end;
    for (const [source, until] of this.resyncUntil) {
      if (until <= now) {
        this.resyncUntil.delete(source);
        continue;
      }
      if (until > end && (rec.seenBy.has(source) || PLATFORM_SOURCE[rec.platform] === source)) end = until;
    }
    return end;
  }

  /**
   * One clock timer per due time, shared by every device due then: when a snapshot changes hundreds of
   * devices at once (an adb server restart, a hub losing power), their commits run in ONE pass and one
   * flush, not one pass and one full-list flush per device (which made a storm O(n²)).
   */
  private scheduleAt(due: number, now: number, rec: DeviceRecord): { due: number } {
    let bucket = this.dueBuckets.get(due);
    if (!bucket) {
      const members = new Set<DeviceRecord>();
      const handle = this.clock.setTimeout(() => {
        this.dueBuckets.delete(due);
        if (this.disposed) return;
        this.run(() => {
          for (const member of members) {
            member.timer = null;
            member.timerDue = null;
            this.evaluate(member);
          }
        });
      }, due - now);
      bucket = { handle, members };
      this.dueBuckets.set(due, bucket);
    }
    bucket.members.add(rec);
    return { due };
  }

  private commit(rec: DeviceRecord, to: Status): void {
    const now = this.clock.now();
    const from = rec.committed;
    rec.committed = to;
    rec.since = now;
    rec.pending = null;
    rec.awaitingLaunch = false;
    this.clearTimer(rec);
    rec.history.push({ from, to, at: now });
    this.noteChange(rec, from, to);
    const cutoff = now - this.historyWindowMs;
    let drop = Math.max(0, rec.history.length - this.historyLimit);
    while (drop < rec.history.length && rec.history[drop]!.at < cutoff) drop++;
    if (drop > 0) rec.history.splice(0, drop);
    const visibility = this.visibilityOf(rec);
    if (transitionFiresEvent(from, to, visibility)) {
      rec.seq += 1;
      this.queue.push({ udid: rec.udid, name: rec.name, platform: rec.platform, connection: rec.connection, visibility, from, to, at: now, seq: rec.seq });
    }
    this.log.info('device status', { udid: rec.udid, from, to });
  }

  private clearTimer(rec: DeviceRecord): void {
    if (rec.timer !== null && rec.timerDue !== null) {
      const bucket = this.dueBuckets.get(rec.timerDue);
      if (bucket) {
        bucket.members.delete(rec);
        if (bucket.members.size === 0) {
          this.clock.clearTimeout(bucket.handle);
          this.dueBuckets.delete(rec.timerDue);
        }
      }
    }
    rec.timer = null;
    rec.timerDue = null;
  }

  private visibilityOf(rec: DeviceRecord): Visibility {
    return this.visibilityOverrides.get(rec.udid) ?? (rec.connection === 'usb' || rec.usbSeen ? 'Local' : 'Private');
  }

  private view(rec: DeviceRecord, cutoff: number): DeviceView {
    const v: DeviceView = {
      udid: rec.udid,
      name: rec.name,
      platform: rec.platform,
      connection: rec.connection,
      status: rec.committed,
      since: rec.since,
      visibility: this.visibilityOf(rec),
      sources: [...rec.sources],
      transports: [...rec.transports],
      rawStates: { ...rec.rawStates },
      history: rec.history.filter((t) => t.at >= cutoff).map((t) => ({ ...t })),
    };
    if (rec.pending) v.pending = { to: rec.pending.to, since: rec.pending.since };
    const override = this.visibilityOverrides.get(rec.udid);
    if (override) v.visibilityOverride = override;
    const use = this.inUse.get(rec.udid);
    if (use) v.inUse = { ...use };
    if (rec.usbPath) v.usbPath = rec.usbPath;
    if (rec.flapping) {
      const flapping: FlappingView = { changes: rec.changes.length };
      if (rec.usbPath) flapping.port = rec.usbPath;
      const hub = rec.usbPath ? hubOf(rec.usbPath) : undefined;
      if (hub) flapping.hub = hub;
      v.flapping = flapping;
    }
    return v;
  }

  /** Everything the Devices view shows, minus the history (which only changes with a commit, i.e. with status/since). */
  private signature(): string {
    const devices = [...this.devices.values()].map((rec) => [
      rec.udid,
      rec.name,
      rec.platform,
      rec.connection,
      rec.committed,
      rec.since,
      rec.pending?.to ?? null,
      rec.pending?.since ?? null,
      this.visibilityOf(rec),
      this.visibilityOverrides.get(rec.udid) ?? null,
      this.inUse.get(rec.udid) ?? null,
      rec.sources,
      rec.transports,
      rec.rawStates,
      rec.usbPath ?? null,
      rec.flapping,
    ]);
    const health = [...this.health.values()].map((h) => [h.source, h.state, h.message ?? null, h.since]);
    return JSON.stringify([devices, this.others, health]);
  }

  /** Run a state change; events and the change notification go out once it is complete (re-entrancy safe). */
  private run(fn: () => void): void {
    this.depth++;
    try {
      fn();
    } finally {
      this.depth--;
      if (this.depth === 0) this.flush();
    }
  }

  /** Hands `value` to each listener (a copy of the set: a listener may unsubscribe); a throw is logged. */
  private tell<T>(listeners: Iterable<(value: T) => void>, value: T, what: string): void {
    for (const listener of [...listeners]) {
      try {
        listener(value);
      } catch (err) {
        this.log.error(`${what} listener failed`, { error: String(err) });
      }
    }
  }

  private flush(): void {
    if (this.flushing || this.disposed) return;
    this.flushing = true;
    try {
      for (let guard = 0; guard < 1000; guard++) {
        while (this.queue.length > 0) this.tell(this.eventListeners, this.queue.shift()!, 'device event');
        while (this.flapQueue.length > 0) this.tell(this.flapListeners, this.flapQueue.shift()!, 'device flapping');
        const sig = this.signature();
        if (sig === this.lastSignature) break;
        this.lastSignature = sig;
        this.tell(this.changeListeners, this.list(), 'device change');
        if (this.queue.length === 0 && this.signature() === this.lastSignature) break;
      }
    } finally {
      this.flushing = false;
    }
  }
}

function rankToSource(rank: number): NameSource {
  return rank >= NAME_RANK.device ? 'device' : rank >= NAME_RANK.usb ? 'usb' : 'udid';
}

/** A device record with no pending change, timers, transports or flapping yet: `fields` says the rest. */
function newRecord(
  fields: Pick<DeviceRecord, 'udid' | 'name' | 'nameRank' | 'platform' | 'connection' | 'committed' | 'since' | 'seq' | 'history' | 'awaitingLaunch' | 'present'>,
): DeviceRecord {
  return {
    ...fields,
    pending: null,
    timer: null,
    timerDue: null,
    seenBy: new Set(),
    transports: [],
    changes: [],
    flapping: false,
    flapTimer: null,
    usbSeen: false,
    usable: false,
    sources: [],
    rawStates: {},
  };
}
