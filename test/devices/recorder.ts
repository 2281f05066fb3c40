// Records what a device source emits, for tests: every snapshot, every health change, every log line.
import { expect, vi } from 'vitest';
import type { DeviceSource, Observation, SourceHealth, SourceSnapshot } from '../../main/devices/types';
import type { LogLevel, Logger } from '../../main/base/log';

export interface Recorded {
  snapshots: SourceSnapshot[];
  healths: SourceHealth[];
  logs: { level: LogLevel; msg: string }[];
  logger: Logger;
  /** Observations of the last snapshot, or undefined if none came. */
  last(): Observation[] | undefined;
  /** The device with this udid in the last snapshot. */
  device(udid: string): Observation | undefined;
  attach(source: DeviceSource): void;
}

export function recorder(): Recorded {
  const r: Recorded = {
    snapshots: [],
    healths: [],
    logs: [],
    logger: (level, msg) => {
      r.logs.push({ level, msg });
    },
    last: () => r.snapshots.at(-1)?.devices,
    device: (udid) => r.last()?.find((d) => d.udid === udid),
    attach(source) {
      source.onSnapshot((s) => r.snapshots.push(s));
      source.onHealth((h) => r.healths.push(h));
    },
  };
  return r;
}

export function udids(devices: Observation[] | undefined): string[] {
  return (devices ?? []).map((d) => d.udid).sort();
}

/** vi.waitFor with room for a slow CI machine: retries the assertion until it passes or 5 s pass. */
export function until<T>(check: () => T | Promise<T>, timeout = 5000): Promise<T> {
  return vi.waitFor(check, { timeout, interval: 10 });
}

/**
 * Drives a started source that cannot connect through `attempts` reconnection waits on its injected clock,
 * and answers the delays it logged ("next connection attempt in N ms"), in order.
 */
export async function reconnectDelays(rec: Recorded, clock: { advance(ms: number): void }, attempts: number): Promise<number[]> {
  const delays = (): number[] => rec.logs.flatMap((l) => /next connection attempt in (\d+) ms/.exec(l.msg)?.[1] ?? []).map(Number);
  for (let attempt = 1; attempt <= attempts; attempt++) {
    await until(() => expect(delays()).toHaveLength(attempt));
    clock.advance(delays()[attempt - 1] as number);
  }
  return delays();
}

/** Records `source` from its start; `cleanups` gets its stop. */
export function recordFromStart(source: DeviceSource, cleanups: (() => Promise<void>)[]): Recorded {
  const rec = recorder();
  rec.attach(source);
  cleanups.push(async () => source.stop());
  source.start();
  return rec;
}

/** The name the source gives `udid`, once it gives one. */
export async function nameOnceListed(rec: Recorded, udid: string): Promise<string> {
  await until(() => expect(rec.device(udid)?.name).toBeDefined());
  return rec.device(udid)?.name ?? '';
}
