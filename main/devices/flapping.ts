// Flapping and USB port health: a device whose status changes more than FLAP_THRESHOLD times in
// FLAP_WINDOW_MS flaps (its holds double, one notice names its port); every port's recent disconnects are
// counted for the Devices view. Plain Node; the tracker feeds it monotonic times.
import type { DeviceRecord } from './deviceRecords';
import type { FlappingNotice, FlappingView, PortStat, Status } from './trackerTypes';

export const FLAP_WINDOW_MS = 10 * 60 * 1000;
export const FLAP_THRESHOLD = 6;
/** A flapping device's holds double, up to this. */
export const FLAP_HOLD_CAP_MS = 30_000;
const PORT_WINDOW_MS = 60 * 60 * 1000;

/** `1-2.3` hangs from the hub at `1-2`; a root port (`1-2`) from the bus's root hub (none shown). */
function hubOf(port: string): string | undefined {
  const dot = port.lastIndexOf('.');
  return dot > 0 ? port.slice(0, dot) : undefined;
}

/** Per USB port: the monotonic times of its devices' Offline/Unplugged commits (last hour), and their names. */
class PortDrops {
  private readonly drops = new Map<string, number[]>();
  private readonly names = new Map<string, Set<string>>();

  record(port: string, name: string, now: number): void {
    const drops = this.drops.get(port) ?? [];
    drops.push(now);
    while (drops.length > 0 && drops[0]! < now - PORT_WINDOW_MS) drops.shift();
    this.drops.set(port, drops);
    const names = this.names.get(port) ?? new Set<string>();
    names.add(name);
    this.names.set(port, names);
  }

  /** Every port with a disconnect in the last hour, most disconnects first. */
  stats(now: number, flappingPorts: ReadonlySet<string>): PortStat[] {
    const cutoff = now - PORT_WINDOW_MS;
    const out: PortStat[] = [];
    for (const [port, drops] of this.drops) {
      const recent = drops.filter((t) => t >= cutoff);
      if (recent.length === 0) continue;
      const stat: PortStat = { port, disconnects: recent.length, devices: [...(this.names.get(port) ?? [])], flapping: flappingPorts.has(port) };
      const hub = hubOf(port);
      if (hub) stat.hub = hub;
      out.push(stat);
    }
    return out.sort((a, b) => b.disconnects - a.disconnects || (a.port < b.port ? -1 : 1));
  }
}

/** The notice for a device that started flapping, naming its port and hub when known. */
function flapNotice(rec: Pick<DeviceRecord, 'udid' | 'name' | 'usbPath'>, disconnects: number): FlappingNotice {
  const hub = rec.usbPath ? hubOf(rec.usbPath) : undefined;
  const where = rec.usbPath ? ` on USB port ${rec.usbPath}${hub ? ` (hub ${hub})` : ''}` : '';
  const notice: FlappingNotice = {
    udid: rec.udid,
    name: rec.name,
    disconnects,
    message: `${rec.name}${where} disconnected ${disconnects} times in 10 min — check the cable or hub`,
  };
  if (rec.usbPath) notice.port = rec.usbPath;
  if (hub) notice.hub = hub;
  return notice;
}

/** What the Devices view shows of a flapping device. */
export function flappingView(rec: Pick<DeviceRecord, 'changes' | 'usbPath'>): FlappingView {
  const flapping: FlappingView = { changes: rec.changes.length };
  if (rec.usbPath) flapping.port = rec.usbPath;
  const hub = rec.usbPath ? hubOf(rec.usbPath) : undefined;
  if (hub) flapping.hub = hub;
  return flapping;
}

/** Counts committed changes per device in the sliding window, and disconnects per port. */
export class FlapWatch {
  readonly ports = new PortDrops();
  /** Per port (or udid): when its last flapping notice went out (monotonic). */
  private readonly lastNotice = new Map<string, number>();

  /**
   * A committed change (not a first status) at monotonic `now`, wall-clock `wallNow`: more than FLAP_THRESHOLD
   * in the window sets `rec.flapping`. Returns the notice to send when it starts flapping, at most one per
   * port (or device) per window.
   */
  noteChange(rec: Pick<DeviceRecord, 'udid' | 'name' | 'usbPath' | 'changes' | 'flapping' | 'history'>, to: Status, now: number, wallNow: number): FlappingNotice | undefined {
    if ((to === 'Offline' || to === 'Unplugged') && rec.usbPath) this.ports.record(rec.usbPath, rec.name, now);
    rec.changes.push(now);
    while (rec.changes.length > 0 && rec.changes[0]! <= now - FLAP_WINDOW_MS) rec.changes.shift();
    if (rec.flapping || rec.changes.length <= FLAP_THRESHOLD) return undefined;
    rec.flapping = true;
    const key = rec.usbPath ?? rec.udid;
    const last = this.lastNotice.get(key);
    if (last !== undefined && now - last < FLAP_WINDOW_MS) return undefined;
    this.lastNotice.set(key, now);
    const cutoff = wallNow - FLAP_WINDOW_MS;
    const disconnects = rec.history.filter((t) => t.at > cutoff && t.from !== null && (t.to === 'Offline' || t.to === 'Unplugged')).length;
    return flapNotice(rec, disconnects);
  }
}
