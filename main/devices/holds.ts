// Who holds a device: reservations (the UI, the local API) and test sessions (Appium) may overlap, and the
// device is Utilizing while either holds it. This sits between them and the tracker: reservations talk to it
// as their DeviceDirectory, session lists come in through setSessions(), and the tracker hears one combined
// InUseInfo per device. Plain Node.

import type { AppiumSession } from './appium';
import type { DeviceDirectory } from './reservations';
import type { InUseInfo, SessionHold, Status } from './tracker';

/** What the holds need from the tracker (DeviceTracker fits as is). */
interface HoldTarget {
  statusOf(udid: string): Status | null | undefined;
  setInUse(udid: string, info: InUseInfo | null): void;
  /** The tracked device a udid names (a Wi-Fi `ip:port` maps to its merged phone), undefined when none. */
  resolveUdid(udid: string): string | undefined;
  onChange(listener: () => void): () => void;
}

export class Holds implements DeviceDirectory {
  private readonly reservations = new Map<string, InUseInfo>();
  /** By tracked udid (resolved). */
  private sessionHolds = new Map<string, SessionHold>();
  private sessions: AppiumSession[] = [];
  private readonly unsubscribe: () => void;

  constructor(private readonly target: HoldTarget) {
    // A session may name a transport before the tracker merges it with its twin: map again on every change.
    this.unsubscribe = target.onChange(() => this.remap());
  }

  statusOf(udid: string): Status | null | undefined {
    return this.target.statusOf(udid);
  }

  /** From reservations: null releases. */
  setInUse(udid: string, info: InUseInfo | null): void {
    if (info) this.reservations.set(udid, { ...info });
    else this.reservations.delete(udid);
    this.push(udid);
  }

  /** The whole current session list of every watched server. */
  setSessions(sessions: AppiumSession[]): void {
    this.sessions = sessions.map((s) => ({ ...s }));
    this.remap();
  }

  dispose(): void {
    this.unsubscribe();
  }

  private remap(): void {
    const next = new Map<string, SessionHold>();
    // The oldest session names the holder when several run on one device.
    for (const s of [...this.sessions].sort((a, b) => a.since - b.since)) {
      const udid = this.target.resolveUdid(s.udid) ?? s.udid;
      if (!next.has(udid)) next.set(udid, { id: s.id, server: s.server, since: s.since });
    }
    const before = this.sessionHolds;
    this.sessionHolds = next;
    for (const udid of new Set([...before.keys(), ...next.keys()])) {
      if (JSON.stringify(before.get(udid)) !== JSON.stringify(next.get(udid))) this.push(udid);
    }
  }

  private push(udid: string): void {
    const reservation = this.reservations.get(udid);
    const session = this.sessionHolds.get(udid);
    if (!reservation && !session) return this.target.setInUse(udid, null);
    const info: InUseInfo = reservation ? { ...reservation, reserved: true } : {};
    if (session) info.session = { ...session };
    this.target.setInUse(udid, info);
  }
}
