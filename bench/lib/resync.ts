// Phase "resync": 500 devices through an adb server restart. The restarted server lists every phone
// `offline` for 3 s, then `device` again: the tracker must send nothing, and the passes over the whole list
// (the resync list, the recovery list, and the settle window's end) must stay fast. Time is a manual clock:
// no sleeping, only the tracker's own work is measured (wall time of each pass).
import { DeviceTracker } from '../../main/devices/tracker';
import type { Clock, Observation } from '../../main/devices/types';
import { percentile } from './stats';

export interface ResyncResult {
  devices: number;
  rounds: number;
  /** Events fired across all rounds after the first Online of each device (should be 0). */
  falseEvents: number;
  /** ms per pass over all devices */
  resyncPassMs: { p50: number; max: number };
  recoveryPassMs: { p50: number; max: number };
  /** The same list change without a resync (the holds run as usual), for comparison. */
  plainPassMs: { p50: number; max: number };
  problems: string[];
}

class ManualClock implements Clock {
  private t = 0;
  private timers = new Map<number, { due: number; fn: () => void }>();
  private id = 0;
  now(): number {
    return 1_800_000_000_000 + this.t;
  }
  monotonic(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    this.timers.set(++this.id, { due: this.t + Math.max(0, ms), fn });
    return this.id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  advance(ms: number): void {
    const target = this.t + ms;
    for (;;) {
      let next: [number, { due: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].due <= target && (!next || e[1].due < next[1].due)) next = e;
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = next[1].due;
      next[1].fn();
    }
    this.t = target;
  }
}

function timed(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

const summary = (xs: number[]) => ({ p50: percentile(xs, 50), max: Math.max(...xs) });

export function runResync({ devices = 500, rounds = 20 } = {}): ResyncResult {
  const clock = new ManualClock();
  const tracker = new DeviceTracker({ clock, sources: ['adb'], settleAfterMs: null });
  tracker.sourcesSettled();
  let events = 0;
  tracker.onEvent(() => events++);
  const list = (state: string): Observation[] =>
    Array.from({ length: devices }, (_, i) => ({ source: 'adb', udid: `R${String(i).padStart(5, '0')}`, platform: 'android', connection: 'usb', usable: state === 'device', rawState: state, usbPath: `1-${1 + (i % 7)}.${1 + Math.floor(i / 7)}` }));
  const online = list('device');
  const offline = list('offline');
  tracker.ingest({ source: 'adb', devices: online, resync: true });
  clock.advance(10_000);
  const problems: string[] = [];
  if (events !== devices) problems.push(`expected ${devices} first Online events, got ${events}`);
  events = 0;
  const resync: number[] = [];
  const recovery: number[] = [];
  const plain: number[] = [];
  for (let r = 0; r < rounds; r++) {
    resync.push(timed(() => tracker.ingest({ source: 'adb', devices: offline, resync: true })));
    clock.advance(3000);
    recovery.push(timed(() => tracker.ingest({ source: 'adb', devices: online })));
    // Far apart, so that no device counts as flapping.
    clock.advance(10 * 60_000);
    plain.push(timed(() => tracker.ingest({ source: 'adb', devices: offline })));
    clock.advance(1000);
    tracker.ingest({ source: 'adb', devices: online });
    clock.advance(10 * 60_000);
  }
  tracker.dispose();
  if (events > 0) problems.push(`${events} false events through ${rounds} resyncs of ${devices} devices`);
  return { devices, rounds, falseEvents: events, resyncPassMs: summary(resync), recoveryPassMs: summary(recovery), plainPassMs: summary(plain), problems };
}
