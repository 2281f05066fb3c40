// The status tracker: merges every source's whole list per device, debounces, applies the status rules
// and emits one DeviceEvent per committed transition that the product rules allow.
// Plain Node: no Electron, no delivery/, no webhooks/. Time comes only from the injected Clock.
// One cohesive thing: the state machine from a source's list to a committed status, with its re-entrancy-
// safe flush. Its parts live beside it: device identity and merging (identity.ts), the record and what is
// saved of it (deviceRecords.ts), debounce and resync holds (resync.ts), flapping and ports (flapping.ts),
// the shared debounce timers (dueTimers.ts) and the public shapes (trackerTypes.ts, re-exported here).

import { Listeners } from '../base/listeners';
import { asLogMethods } from '../base/log';
import type { LogMethods } from '../base/log';
import { Tombstones, newRecord, recordSignature, recordView, restoreRecord, savedState } from './deviceRecords';
import type { DeviceRecord, Shown } from './deviceRecords';
import { DueTimers } from './dueTimers';
import { FLAP_WINDOW_MS, FlapWatch } from './flapping';
import { ALL_SOURCES, NAME_RANK, applyObservations, mergeSnapshots } from './identity';
import { ResyncWindows, delayFor } from './resync';
import type {
  DebounceMs,
  DeviceEvent,
  DeviceView,
  FlappingNotice,
  ForgottenDevice,
  InUseInfo,
  PortStat,
  SavedDeviceState,
  Status,
  TrackerOptions,
  Transition,
  Visibility,
} from './trackerTypes';
import { DEFAULT_DEBOUNCE_MS, VISIBILITIES } from './trackerTypes';
import { monotonicNow } from './types';
import type { Clock, Observation, SourceHealth, SourceId, SourceSnapshot } from './types';

export * from './trackerTypes';
export { FLAP_THRESHOLD, FLAP_WINDOW_MS } from './flapping';

/** Does a committed transition fire an event? (the status rules in docs/usage.md) */
function transitionFiresEvent(from: Status | null, to: Status, visibility: Visibility): boolean {
  if (visibility === 'Public') return false;
  if (from === to) return false;
  if (from === 'Utilizing' && to === 'Online') return false;
  return true;
}

export class DeviceTracker {
  private readonly clock: Clock;
  private readonly log: LogMethods;
  private readonly debounce: DebounceMs;
  private readonly expectedSources: readonly SourceId[];
  private readonly historyLimit: number;
  private readonly historyWindowMs: number;
  private readonly resync: ResyncWindows;
  /** Asleep (suspend() until resume()): nothing commits. */
  private suspended = false;
  /** Sources that went down and have not listed since: their last list is stale. */
  private readonly stale = new Set<SourceId>();
  /** Devices the USB source has shown in this run: only for them can the bus tell that a down source's list is stale. */
  private readonly seenOnBus = new Set<string>();

  private readonly devices = new Map<string, DeviceRecord>();
  /** Debounce timers, one per due time (dueTimers.ts). */
  private readonly dueTimers: DueTimers<DeviceRecord>;
  private readonly snapshots = new Map<SourceId, Observation[]>();
  private readonly reported = new Set<SourceId>();
  private readonly health = new Map<SourceId, SourceHealth>();
  private readonly inUse = new Map<string, InUseInfo>();
  private readonly visibilityOverrides = new Map<string, Visibility>();
  private tracked = new Set<string>();
  private others: Observation[] = [];

  private readonly forgotten: Tombstones;
  private readonly retentionMs: number | null;

  private settled = false;
  private settleTimer: unknown = null;
  private disposed = false;

  private readonly flaps = new FlapWatch();
  private readonly flapQueue: FlappingNotice[] = [];
  private readonly flapListeners = new Listeners<FlappingNotice>((err) => this.log.error('device flapping listener failed', { error: String(err) }));
  private readonly eventListeners = new Listeners<DeviceEvent>((err) => this.log.error('device event listener failed', { error: String(err) }));
  private readonly changeListeners = new Listeners<DeviceView[]>((err) => this.log.error('device change listener failed', { error: String(err) }));
  private readonly queue: DeviceEvent[] = [];
  private depth = 0;
  /** run() calls so far: a change listener that changed nothing ran none. */
  private runs = 0;
  private flushing = false;
  private lastSignature = '';

  constructor(options: TrackerOptions) {
    this.clock = options.clock;
    this.dueTimers = new DueTimers(this.clock, (members) => this.due(members));
    this.log = asLogMethods(options.logger);
    this.debounce = { ...DEFAULT_DEBOUNCE_MS, ...options.debounceMs };
    for (const [k, v] of Object.entries(this.debounce)) {
      if (!Number.isFinite(v) || v < 0) throw new RangeError(`debounceMs.${k} must be a finite number >= 0`);
    }
    this.expectedSources = [...new Set(options.sources ?? ALL_SOURCES)];
    this.historyLimit = options.historyLimit ?? 500;
    this.historyWindowMs = options.historyWindowMs ?? 24 * 60 * 60 * 1000;
    this.resync = new ResyncWindows(options.settleWindowMs ?? 5000);
    this.tracked = new Set(options.trackedUsb ?? []);
    const now = this.clock.now();
    for (const source of this.expectedSources) this.health.set(source, { source, state: 'starting', since: now });
    this.restore(options.previous ?? []);
    this.forgotten = new Tombstones(options.forgotten ?? [], now, (udid) => this.devices.has(udid));
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
      this.resync.listed(snapshot.source, snapshot.resync === true, monotonicNow(this.clock));
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
      this.resync.resumed(this.reported, monotonicNow(this.clock) + relistWithinMs);
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
    this.forgotten.add({ udid: rec.udid, seq: rec.seq, forgottenAt: this.clock.now(), history: rec.history.map((t) => ({ ...t })) });
    this.log.info('device forgotten', { udid: rec.udid, seq: rec.seq });
  }

  /** Forgets devices Unplugged for longer than the retention: at start, then whenever the composition root asks (hourly). */
  forgetExpired(): void {
    if (this.retentionMs === null || this.disposed) return;
    const cutoff = this.clock.now() - this.retentionMs;
    const old = [...this.devices.values()].filter((rec) => rec.committed === 'Unplugged' && !rec.present && rec.since < cutoff);
    if (old.length > 0) this.run(() => old.forEach((rec) => this.drop(rec)));
    const windowCutoff = this.clock.now() - this.historyWindowMs;
    this.forgotten.trim(windowCutoff);
  }

  /** Forgotten devices, for the composition root to save beside exportState(). */
  exportForgotten(): ForgottenDevice[] {
    const cutoff = this.clock.now() - this.historyWindowMs;
    return this.forgotten.list(cutoff);
  }

  /** The timelines of forgotten devices (for reports), until they age out. */
  forgottenTimelines(): { udid: string; history: Transition[] }[] {
    const cutoff = this.clock.now() - this.historyWindowMs;
    return this.forgotten
      .list(cutoff)
      .filter((f) => f.history !== undefined && f.history.length > 0)
      .map((f) => ({ udid: f.udid, history: f.history ?? [] }));
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
    return this.eventListeners.add(listener);
  }

  /** A device started flapping (at most one notice per port per 10 minutes). */
  onFlapping(listener: (notice: FlappingNotice) => void): () => void {
    return this.flapListeners.add(listener);
  }

  /** Every USB port with a disconnect in the last hour, most disconnects first. */
  portStats(): PortStat[] {
    const flappingPorts = new Set([...this.devices.values()].filter((r) => r.flapping && r.usbPath).map((r) => r.usbPath as string));
    return this.flaps.ports.stats(monotonicNow(this.clock), flappingPorts);
  }

  /** Any change the Devices view shows (status, pending status, names, sources, in use, visibility, health, other USB). */
  onChange(listener: (devices: DeviceView[]) => void): () => void {
    return this.changeListeners.add(listener);
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
      out.push(savedState({ ...rec, committed: rec.committed }, this.visibilityOverrides.get(rec.udid), cutoff));
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
      const restored = restoreRecord(raw, this.historyLimit);
      if ('issues' in restored) {
        this.log.warn('ignoring an unreadable saved device state', { issues: restored.issues });
        continue;
      }
      this.devices.set(restored.rec.udid, restored.rec);
      if (restored.visibilityOverride) this.visibilityOverrides.set(restored.rec.udid, restored.visibilityOverride);
    }
  }

  private recompute(): void {
    const { merged, others } = mergeSnapshots({ snapshots: this.snapshots, stale: this.stale, seenOnBus: this.seenOnBus, tracked: this.tracked });
    this.others = others;
    const now = this.clock.now();
    for (const [udid, observations] of merged) {
      let rec = this.devices.get(udid);
      if (!rec) {
        // A forgotten device back: a new row, its sequence numbers continuing where they were.
        const tombstone = this.forgotten.take(udid);
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
      applyObservations(rec, observations);
      if (rec.seenBy.has('usb')) this.seenOnBus.add(rec.udid);
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

  /** The status the device should have now; undefined = keep what is committed (launch comparison not run yet). */
  private desired(rec: DeviceRecord): Status | undefined {
    if (!rec.present) {
      if (rec.awaitingLaunch && !this.settled) return undefined;
      return 'Unplugged';
    }
    if (!rec.usable) return 'Offline';
    return this.inUse.has(rec.udid) ? 'Utilizing' : 'Online';
  }

  /** A committed change counts towards flapping (flapping.ts); flapping ends after 10 quiet minutes. */
  private noteChange(rec: DeviceRecord, from: Status | null, to: Status): void {
    if (from === null) return;
    const wasFlapping = rec.flapping;
    const notice = this.flaps.noteChange(rec, to, monotonicNow(this.clock), this.clock.now());
    if (rec.flapping && !wasFlapping) this.log.warn('device is flapping', { udid: rec.udid, port: rec.usbPath, changes: rec.changes.length });
    if (notice) this.flapQueue.push(notice);
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

  private evaluate(rec: DeviceRecord): void {
    if (this.devices.get(rec.udid) !== rec) return;
    // A device never announced that is gone again: forget it silently.
    if (rec.committed === null && !rec.present) {
      this.clearTimer(rec);
      this.devices.delete(rec.udid);
      // A forgotten device that flashed by: keep its sequence number for its next appearance.
      if (rec.seq > 0) this.forgotten.add({ udid: rec.udid, seq: rec.seq, forgottenAt: this.clock.now(), history: rec.history });
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
    let due = rec.pending.at + delayFor(rec, desired, this.debounce);
    if (desired === 'Offline' || desired === 'Unplugged') due = Math.max(due, this.resync.endFor(rec, now));
    if (now >= due) {
      this.commit(rec, desired);
      return;
    }
    if (rec.timer !== null && rec.timerDue === due) return;
    this.clearTimer(rec);
    rec.timerDue = due;
    this.dueTimers.schedule(due, now, rec);
    rec.timer = { due };
  }

  /** Debounce timers that came due: re-evaluate their devices in one pass. */
  private due(members: Set<DeviceRecord>): void {
    if (this.disposed) return;
    this.run(() => {
      for (const member of members) {
        member.timer = null;
        member.timerDue = null;
        this.evaluate(member);
      }
    });
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
    if (rec.timer !== null && rec.timerDue !== null) this.dueTimers.cancel(rec, rec.timerDue);
    rec.timer = null;
    rec.timerDue = null;
  }

  private visibilityOf(rec: DeviceRecord): Visibility {
    return this.visibilityOverrides.get(rec.udid) ?? (rec.connection === 'usb' || rec.usbSeen ? 'Local' : 'Private');
  }

  private view(rec: DeviceRecord, cutoff: number): DeviceView {
    return recordView(rec, this.shown(rec), cutoff);
  }

  /** What the tracker adds to a record for the Devices view. */
  private shown(rec: DeviceRecord): Shown {
    return { visibility: this.visibilityOf(rec), visibilityOverride: this.visibilityOverrides.get(rec.udid), inUse: this.inUse.get(rec.udid) };
  }

  /** Everything the Devices view shows, minus the history (which only changes with a commit, i.e. with status/since). */
  private signature(): string {
    const devices = [...this.devices.values()].map((rec) => recordSignature(rec, this.shown(rec)));
    const health = [...this.health.values()].map((h) => [h.source, h.state, h.message ?? null, h.since]);
    return JSON.stringify([devices, this.others, health]);
  }

  /** Run a state change; events and the change notification go out once it is complete (re-entrancy safe). */
  private run(fn: () => void): void {
    this.runs++;
    this.depth++;
    try {
      fn();
    } finally {
      this.depth--;
      if (this.depth === 0) this.flush();
    }
  }

  private flush(): void {
    if (this.flushing || this.disposed) return;
    this.flushing = true;
    try {
      for (let guard = 0; guard < 1000; guard++) {
        while (this.queue.length > 0) this.eventListeners.emit(this.queue.shift()!);
        while (this.flapQueue.length > 0) this.flapListeners.emit(this.flapQueue.shift()!);
        const sig = this.signature();
        if (sig === this.lastSignature) break;
        this.lastSignature = sig;
        const runsBefore = this.runs;
        this.changeListeners.emit(this.list());
        // Every change goes through run(): when no listener ran one, nothing changed since the signature
        // above, and the whole list is not signed again (a pass over every device per commit).
        if (this.queue.length === 0 && (this.runs === runsBefore || this.signature() === this.lastSignature)) break;
      }
    } finally {
      this.flushing = false;
    }
  }
}

