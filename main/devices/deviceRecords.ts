// A tracked device's record, and its persistence: what is saved at quit and read back at launch
// (SavedDeviceState), how the Devices view shows it, and the tombstones of forgotten devices (their sequence numbers continue if they
// come back; their timelines stay until they age out). Plain Node.
import { z } from 'zod';
import { NAME_RANK, cleanName } from './identity';
import { flappingView } from './flapping';
import { NAME_SOURCES } from './trackerTypes';
import type { DeviceView, ForgottenDevice, InUseInfo, NameSource, SavedDeviceState, Status, Transition, Visibility } from './trackerTypes';
import { DEVICE_CONNECTIONS, DEVICE_PLATFORMS, DEVICE_STATUSES, DEVICE_VISIBILITIES } from '../../preload/contract/vocabulary';
import type { Connection, Platform, SourceId } from './types';

function rankToSource(rank: number): NameSource {
  return rank >= NAME_RANK.device ? 'device' : rank >= NAME_RANK.usb ? 'usb' : 'udid';
}

const statusSchema = z.enum(DEVICE_STATUSES);
const transitionSchema = z.object({ from: statusSchema.nullable(), to: statusSchema, at: z.number().finite() });
const savedSchema = z.object({
  udid: z.string().min(1),
  name: z.string(),
  nameSource: z.enum(NAME_SOURCES).optional(),
  platform: z.enum(DEVICE_PLATFORMS),
  connection: z.enum(DEVICE_CONNECTIONS),
  usbPath: z.string().optional(),
  status: statusSchema,
  since: z.number().finite(),
  seq: z.number().int().min(0),
  visibilityOverride: z.enum(DEVICE_VISIBILITIES).optional(),
  history: z.array(transitionSchema).optional(),
});


export interface DeviceRecord {
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
/** A device record with no pending change, timers, transports or flapping yet: `fields` says the rest. */
export function newRecord(
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

/** A saved device read back at launch: its record (not present yet) and its visibility override; null when unreadable. */
export function restoreRecord(
  raw: unknown,
  historyLimit: number,
): { rec: DeviceRecord; visibilityOverride?: Visibility } | { issues: string[] } {
  const parsed = savedSchema.safeParse(raw);
  if (!parsed.success) return { issues: parsed.error.issues.map((i) => i.message) };
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
    history: (s.history ?? []).slice(-historyLimit),
    awaitingLaunch: s.status !== 'Unplugged',
    present: false,
  });
  if (s.usbPath) rec.usbPath = s.usbPath;
  return s.visibilityOverride ? { rec, visibilityOverride: s.visibilityOverride } : { rec };
}

/** A committed record as saved at quit (history since `cutoff`). */
export function savedState(rec: DeviceRecord & { committed: Status }, visibilityOverride: Visibility | undefined, cutoff: number): SavedDeviceState {
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
  if (visibilityOverride) saved.visibilityOverride = visibilityOverride;
  return saved;
}

/** Forgotten devices by udid, bounded: the oldest tombstones go first (10,000 is years of a busy lab). */
export class Tombstones {
  private readonly byUdid = new Map<string, ForgottenDevice>();

  /** Reads the previous run's list, skipping unreadable entries and udids `isTracked` says are tracked again. */
  constructor(previous: readonly ForgottenDevice[], now: number, isTracked: (udid: string) => boolean) {
    for (const f of previous) {
      if (f && typeof f.udid === 'string' && f.udid !== '' && Number.isInteger(f.seq) && f.seq >= 0 && !isTracked(f.udid)) {
        this.byUdid.set(f.udid, {
          udid: f.udid,
          seq: f.seq,
          forgottenAt: Number(f.forgottenAt) || now,
          history: Array.isArray(f.history) ? f.history.filter((t) => transitionSchema.safeParse(t).success) : [],
        });
      }
    }
  }

  add(tombstone: ForgottenDevice): void {
    this.byUdid.set(tombstone.udid, tombstone);
    while (this.byUdid.size > 10_000) this.byUdid.delete(this.byUdid.keys().next().value as string);
  }

  /** The tombstone of a device that is back (it goes: the device has a record again). */
  take(udid: string): ForgottenDevice | undefined {
    const tombstone = this.byUdid.get(udid);
    this.byUdid.delete(udid);
    return tombstone;
  }

  /** Drops timeline entries older than `cutoff`. */
  trim(cutoff: number): void {
    for (const f of this.byUdid.values()) if (f.history && f.history.length > 0) f.history = f.history.filter((t) => t.at >= cutoff);
  }

  /** Every tombstone, with its history since `cutoff`. */
  list(cutoff: number): ForgottenDevice[] {
    return [...this.byUdid.values()].map((f) => ({ udid: f.udid, seq: f.seq, forgottenAt: f.forgottenAt, history: (f.history ?? []).filter((t) => t.at >= cutoff) }));
  }
}

/** What the tracker adds to a record for the Devices view. */
export interface Shown {
  visibility: Visibility;
  visibilityOverride: Visibility | undefined;
  inUse: InUseInfo | undefined;
}

/** A record as the Devices view shows it (history since `cutoff`). */
export function recordView(rec: DeviceRecord, shown: Shown, cutoff: number): DeviceView {
  const v: DeviceView = {
    udid: rec.udid,
    name: rec.name,
    platform: rec.platform,
    connection: rec.connection,
    status: rec.committed,
    since: rec.since,
    visibility: shown.visibility,
    sources: [...rec.sources],
    transports: [...rec.transports],
    rawStates: { ...rec.rawStates },
    history: rec.history.filter((t) => t.at >= cutoff).map((t) => ({ ...t })),
  };
  if (rec.pending) v.pending = { to: rec.pending.to, since: rec.pending.since };
  if (shown.visibilityOverride) v.visibilityOverride = shown.visibilityOverride;
  if (shown.inUse) v.inUse = { ...shown.inUse };
  if (rec.usbPath) v.usbPath = rec.usbPath;
  if (rec.flapping) v.flapping = flappingView(rec);
  return v;
}

/** Everything the Devices view shows of a record, minus the history (which only changes with a commit, i.e. with status/since). */
export function recordSignature(rec: DeviceRecord, shown: Shown): unknown[] {
  return [
    rec.udid,
    rec.name,
    rec.platform,
    rec.connection,
    rec.committed,
    rec.since,
    rec.pending?.to ?? null,
    rec.pending?.since ?? null,
    shown.visibility,
    shown.visibilityOverride ?? null,
    shown.inUse ?? null,
    rec.sources,
    rec.transports,
    rec.rawStates,
    rec.usbPath ?? null,
    rec.flapping,
  ];
}
