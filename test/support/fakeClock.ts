import type { Clock } from '../../main/base/clock';

interface Timer {
  id: number;
  due: number;
  fn: () => void;
}

/**
 * A manual Clock: time moves only through advance(). Due timers run in order of due time, then of
 * scheduling; a timer scheduled while advancing runs in the same advance() if it falls due by then.
 */
export class FakeClock implements Clock {
  private current: number;
  /** The monotonic clock: moves only with advance(), never with stepWall(). */
  private mono = 0;
  private nextId = 1;
  private timers = new Map<number, Timer>();

  constructor(start = Date.UTC(2025, 0, 1, 12, 0, 0)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  monotonic(): number {
    return this.mono;
  }

  /** Steps the wall clock (an NTP correction, a user changing the time): timers and the monotonic clock do not move. */
  stepWall(ms: number): void {
    this.current += ms;
    for (const t of this.timers.values()) t.due += ms;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    this.timers.set(id, { id, due: this.current + delay, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    if (typeof handle === 'number') this.timers.delete(handle);
  }

  /** Move time forward by ms, running every timer that falls due on the way, each at its own due time. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError('advance(ms) needs ms >= 0');
    const target = this.current + ms;
    for (;;) {
      let next: Timer | undefined;
      for (const t of this.timers.values()) {
        if (t.due <= target && (next === undefined || t.due < next.due || (t.due === next.due && t.id < next.id))) next = t;
      }
      if (!next) break;
      this.timers.delete(next.id);
      const to = Math.max(this.current, next.due);
      this.mono += to - this.current;
      this.current = to;
      next.fn();
    }
    this.mono += target - this.current;
    this.current = target;
  }

  /** Due times of the timers waiting, soonest first. */
  dues(): number[] {
    return [...this.timers.values()].map((t) => t.due).sort((a, b) => a - b);
  }

  /** Number of timers waiting. */
  pending(): number {
    return this.timers.size;
  }
}
