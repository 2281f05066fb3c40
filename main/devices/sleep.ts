// Sleep and resume. The desktop app hears them from the OS (main/index.ts); the headless runner has no such
// event and detects a resume as a gap between a clock that counts suspended time (Linux: /proc/uptime) and
// the monotonic clock, which does not. A wall-clock step moves neither, so it is never taken for a resume.
// Plain Node.
import { readFileSync } from 'node:fs';
import type { DeviceTracker } from './tracker';
import type { DeviceSource } from './types';

/** After a resume: the tracker waits for fresh lists, and every source reconnects (its first list is a resync). */
export async function resumeDevices(tracker: DeviceTracker, sources: readonly DeviceSource[]): Promise<void> {
  tracker.resume();
  await Promise.allSettled(sources.map((s) => s.stop()));
  for (const source of sources) source.start();
}

/** Seconds since boot including suspended time, from /proc/uptime; undefined where there is none. */
export function procUptimeMs(read: (path: string) => string = (p) => readFileSync(p, 'utf8')): number | undefined {
  try {
    const seconds = Number(read('/proc/uptime').split(/\s+/)[0]);
    return Number.isFinite(seconds) ? seconds * 1000 : undefined;
  } catch {
    return undefined;
  }
}

interface ResumeDetectorOptions {
  /** ms since boot, counting suspend (procUptimeMs); undefined: not available here. */
  bootClock: () => number | undefined;
  /** monotonic ms, not counting suspend (performance.now). */
  monotonic: () => number;
  /** Called once per detected sleep with how long it lasted. */
  onResume: (sleptMs: number) => void;
  /** How often to compare. Default 1000 (below the Offline hold, so a wake is seen before a hold ends). */
  intervalMs?: number;
  /** A gap smaller than this is jitter. Default 3000. */
  thresholdMs?: number;
  setInterval?: (fn: () => void, ms: number) => unknown;
  clearInterval?: (handle: unknown) => void;
}

/** Compares the two clocks every intervalMs; returns a stop function (or undefined when there is no boot clock). */
export function startResumeDetector(options: ResumeDetectorOptions): (() => void) | undefined {
  const threshold = options.thresholdMs ?? 3000;
  const first = options.bootClock();
  if (first === undefined) return undefined;
  let lastBoot = first;
  let lastMono = options.monotonic();
  const check = (): void => {
    const boot = options.bootClock();
    const mono = options.monotonic();
    if (boot === undefined) return;
    const gap = boot - lastBoot - (mono - lastMono);
    lastBoot = boot;
    lastMono = mono;
    if (gap > threshold) options.onResume(gap);
  };
  const set = options.setInterval ?? ((fn, ms) => {
    const handle = setInterval(fn, ms);
    handle.unref();
    return handle;
  });
  const clear = options.clearInterval ?? ((h) => clearInterval(h as ReturnType<typeof setInterval>));
  const handle = set(check, options.intervalMs ?? 1000);
  return () => clear(handle);
}
