// Device identity: which observations from the three sources are one phone (the adb serial, the USB
// port, the iOS serial/UDID spelled two ways, one hardware serial over USB and Wi-Fi), and what they say
// about it (name, platform, transports). Plain Node, pure functions over the sources' current lists.
import { DEVICE_CONNECTIONS, DEVICE_SOURCES } from '../../preload/contract/vocabulary';
import type { DeviceRecord } from './deviceRecords';
import type { NameSource } from './trackerTypes';
import type { Connection, Observation, Platform, SourceId } from './types';

/** Which name wins: a device source's over the USB product string over the udid itself. */
export const NAME_RANK: Record<NameSource, number> = { udid: 0, usb: 1, device: 2 };

/** Every source, in the order they are read in (and listed): the contract's, the bus first, then the device-level sources. */
export const ALL_SOURCES: readonly SourceId[] = DEVICE_SOURCES;
const SOURCE_ORDER = Object.fromEntries(ALL_SOURCES.map((source, i) => [source, i])) as Record<SourceId, number>;
/** The device-level source of a platform (speaks for a restored device not seen yet in this run). */
export const PLATFORM_SOURCE: Record<Platform, SourceId | undefined> = { android: 'adb', ios: 'usbmux', other: undefined };

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

export function cleanName(name: string | undefined): string | undefined {
  const n = name?.trim();
  return n ? n : undefined;
}

interface MergeInput {
  /** Each source's current list. */
  snapshots: ReadonlyMap<SourceId, Observation[]>;
  /** Sources that went down and have not listed since. */
  stale: ReadonlySet<SourceId>;
  /** Devices the USB source has shown in this run. */
  seenOnBus: ReadonlySet<string>;
  /** Non-phone USB devices the admin chose to track. */
  tracked: ReadonlySet<string>;
}

/** Merge every source's current list into one record per phone. */
export function mergeSnapshots(input: MergeInput): { merged: Map<string, Observation[]>; others: Observation[] } {
  const { snapshots, stale, seenOnBus, tracked } = input;
  const merged = new Map<string, Observation[]>();
  const byPath = new Map<string, string>();
  const byKey = new Map<string, string>();
  const add = (udid: string, o: Observation): void => {
    let m = merged.get(udid);
    if (!m) merged.set(udid, (m = []));
    m.push(o);
  };
  const sources = [...snapshots.keys()].sort((a, b) => (SOURCE_ORDER[a] ?? 9) - (SOURCE_ORDER[b] ?? 9));
  const onBus = usbBus(snapshots, stale);
  // Device-level sources first (adb, usbmux): their udid is the phone's identity.
  for (const source of sources) {
    if (source === 'usb') continue;
    const down = stale.has(source);
    /** Per hardware serial, the transport kinds already merged: two of one kind are two phones. */
    const kinds = new Map<string, Set<Connection>>();
    for (const o of snapshots.get(source) ?? []) {
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
      if (down && onBus && o.connection === 'usb' && seenOnBus.has(id) && !onBus.has(o)) continue;
      add(id, o);
      const path = normalizeUsbPath(o.usbPath);
      if (path && !byPath.has(path)) byPath.set(path, id);
      for (const key of [udidKey(o.udid), udidKey(id)]) if (!byKey.has(key)) byKey.set(key, id);
    }
  }
  // USB records join the adb record on the same port, or the usbmux/adb record with the same serial.
  const others: Observation[] = [];
  for (const o of snapshots.get('usb') ?? []) {
    const path = normalizeUsbPath(o.usbPath);
    const target = (path !== undefined ? byPath.get(path) : undefined) ?? byKey.get(udidKey(o.udid));
    if (target !== undefined) add(target, o);
    else if (o.isPhone === true || tracked.has(o.udid)) add(usbOnlyUdid(o), o);
    else others.push(o);
  }
  return { merged, others };
}

/** What the USB source lists now, when it is up and has listed (else undefined: nothing to judge by). */
function usbBus(snapshots: ReadonlyMap<SourceId, Observation[]>, stale: ReadonlySet<SourceId>): { has(o: Observation): boolean } | undefined {
  const list = snapshots.get('usb');
  if (!list || stale.has('usb')) return undefined;
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

/** What a device's observations in this pass say about it: present, usable, sources, transports, port, platform and best name. */
export function applyObservations(rec: DeviceRecord, observations: Observation[]): void {
  const deviceLevel = observations.filter((o) => o.source !== 'usb');
  const primary = deviceLevel[0] ?? observations[0];
  rec.present = true;
  rec.awaitingLaunch = false;
  rec.usable = observations.some((o) => o.usable === true);
  rec.sources = [...new Set(observations.map((o) => o.source))].sort((a, b) => (SOURCE_ORDER[a] ?? 9) - (SOURCE_ORDER[b] ?? 9));
  for (const source of rec.sources) rec.seenBy.add(source);
  const raw: Partial<Record<SourceId, string>> = {};
  for (const o of observations) raw[o.source] = raw[o.source] ? `${raw[o.source]}, ${o.rawState}` : o.rawState;
  rec.rawStates = raw;
  if (primary) {
    const platform = deviceLevel.find((o) => o.platform !== 'other')?.platform ?? observations.find((o) => o.platform !== 'other')?.platform;
    rec.platform = platform ?? primary.platform ?? rec.platform;
  }
  rec.connection = observations.some((o) => o.connection === 'usb') ? 'usb' : 'network';
  const transports = new Set((deviceLevel.length > 0 ? deviceLevel : observations).map((o) => o.connection));
  rec.transports = DEVICE_CONNECTIONS.filter((c) => transports.has(c));
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
