// Scripted timelines for the utilization tests: one device's status records, and app start/stop marks.
import type { TimelineRecord } from '../../main/devices/timeline';
import type { Status } from '../../main/devices/tracker';

/** `device(u, n, p)(t, s)` is the record of that device committing status `s` at `t`. */
export function device(u: string, n: string, p: 'android' | 'ios' | 'other'): (t: number, s: Status) => TimelineRecord {
  return (t, s) => ({ t, u, s, n, p });
}

/** The app started, stopped, or said it was alive at `t`. */
export function mark(t: number, e: 'start' | 'alive' | 'stop'): TimelineRecord {
  return { t, e };
}
