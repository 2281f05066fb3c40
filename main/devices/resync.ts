// How long a status change waits before it commits: the debounce per target status (doubled while a
// device flaps), and the resync windows after a source reconnects or the machine wakes up, during which a
// source's Offline/Unplugged commits wait (a restarted adb server lists phones `offline` while it
// reconnects to them). Plain Node; times are monotonic ms.
import type { DeviceRecord } from './deviceRecords';
import { FLAP_HOLD_CAP_MS } from './flapping';
import type { DebounceMs, Status } from './trackerTypes';
import { PLATFORM_SOURCE } from './identity';
import type { SourceId } from './types';

/** The debounce before `rec` may commit `to`. */
export function delayFor(rec: Pick<DeviceRecord, 'awaitingLaunch' | 'flapping' | 'committed'>, to: Status, d: DebounceMs): number {
  if (rec.awaitingLaunch) return 0; // the launch comparison: gone since the last run
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

export class ResyncWindows {
  /** Per source: until when its resync holds Offline/Unplugged commits. */
  private readonly until = new Map<SourceId, number>();
  /** After a resume: sources whose devices wait for their next list (bounded by relistDeadline). */
  private readonly awaitingRelist = new Set<SourceId>();
  private relistDeadline = 0;

  /** `windowMs`: how long a resync holds; 0 turns resync holds off. */
  constructor(private readonly windowMs: number) {
    if (!Number.isFinite(windowMs) || windowMs < 0) throw new RangeError('settleWindowMs must be a finite number >= 0');
  }

  /** A source listed at `now`; `resync` when it says it (re)connected. The first list after a resume is a resync too. */
  listed(source: SourceId, resync: boolean, now: number): void {
    if (this.awaitingRelist.delete(source) && this.windowMs > 0) this.until.set(source, now + this.windowMs);
    if (resync && this.windowMs > 0) this.until.set(source, now + this.windowMs);
  }

  /** The machine woke up: every source that had listed must list again, within `deadline`. */
  resumed(sources: Iterable<SourceId>, deadline: number): void {
    for (const source of sources) this.awaitingRelist.add(source);
    this.relistDeadline = deadline;
  }

  /** When the resyncs of the sources that speak for this device end (0 when none is running). */
  endFor(rec: Pick<DeviceRecord, 'seenBy' | 'platform'>, now: number): number {
    let end = 0;
    if (this.awaitingRelist.size > 0) {
      if (this.relistDeadline <= now) this.awaitingRelist.clear();
      for (const source of this.awaitingRelist) {
        if (rec.seenBy.has(source) || PLATFORM_SOURCE[rec.platform] === source) end = this.relistDeadline;
      }
    }
    if (this.until.size === 0) return end;
    for (const [source, until] of this.until) {
      if (until <= now) {
        this.until.delete(source);
        continue;
      }
      if (until > end && (rec.seenBy.has(source) || PLATFORM_SOURCE[rec.platform] === source)) end = until;
    }
    return end;
  }
}
