// The status timeline kept for the utilization report: an append-only JSON-lines file (devices/timeline.jsonl),
// 90 days long, read by streaming. Plain Node.
//
// Line 1 is the header `{"format":"devicehooks-timeline","version":1}`; then one record per line:
//   {"t":EPOCH_MS,"e":"start"}   DeviceHooks started watching (also written at the start of a compacted file)
//   {"t":EPOCH_MS,"e":"alive"}   still watching (once a minute: a crash loses at most a minute)
//   {"t":EPOCH_MS,"e":"stop"}    DeviceHooks stopped watching
//   {"t":EPOCH_MS,"u":UDID,"s":STATUS,"n":NAME,"p":PLATFORM}   a device's status from t on
// A `start` after a `start` without `stop` means the earlier run ended without a word (a crash, a power cut):
// the time from its last record to the new start is "not watched".

import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rename, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { Status } from './tracker';
import { DEVICE_STATUSES, STATUS_EVENT } from '../../preload/contract';
import type { DevicePlatform, UtilizationRow, WebhookEventKey } from '../../preload/contract';

const TIMELINE_FORMAT = 'devicehooks-timeline';
const TIMELINE_VERSION = 1;
const TIMELINE_DAYS = 90;
const DAY_MS = 24 * 60 * 60 * 1000;

export type TimelineRecord =
  | { t: number; e: 'start' | 'alive' | 'stop' }
  | { t: number; u: string; s: Status; n: string; p: DevicePlatform };

const STATUSES = new Set<string>(DEVICE_STATUSES);

function parseRecord(line: string): TimelineRecord | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!v || typeof v !== 'object') return undefined;
  const r = v as Record<string, unknown>;
  if (typeof r['t'] !== 'number' || !Number.isFinite(r['t'])) return undefined;
  if (r['e'] === 'start' || r['e'] === 'alive' || r['e'] === 'stop') return { t: r['t'], e: r['e'] };
  if (typeof r['u'] === 'string' && typeof r['s'] === 'string' && STATUSES.has(r['s'])) {
    const p = r['p'] === 'android' || r['p'] === 'ios' ? r['p'] : 'other';
    return { t: r['t'], u: r['u'], s: r['s'] as Status, n: typeof r['n'] === 'string' ? r['n'] : r['u'], p };
  }
  return undefined;
}

/** Streams the records of a timeline file in order (a missing file has none; an unreadable line is skipped). */
export async function* readTimeline(file: string): AsyncGenerator<TimelineRecord> {
  try {
    await stat(file);
  } catch {
    return;
  }
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let first = true;
  for await (const line of lines) {
    if (first) {
      first = false;
      if (line.includes(`"format":"${TIMELINE_FORMAT}"`)) {
        const header = JSON.parse(line) as { version?: unknown };
        if (typeof header.version === 'number' && header.version > TIMELINE_VERSION) throw new Error(`${file} was written by a newer DeviceHooks (timeline version ${header.version})`);
        continue;
      }
    }
    if (line.trim() === '') continue;
    const r = parseRecord(line);
    if (r) yield r;
  }
}

export type { UtilizationRow };

const CSV_COLUMNS = ['udid', 'name', 'platform', 'online_s', 'utilizing_s', 'offline_s', 'unplugged_s', 'not_watched_s'] as const;

/** A status's time is counted under its event's word (`online_s`…), time not watched apart. */
type Bucket = WebhookEventKey | 'not_watched';
const BUCKET: Readonly<Record<Status, Bucket>> = STATUS_EVENT;

/**
 * Each device's time in each status within [from, to) (to is clipped to `now`), counted from the device's first
 * record; time while DeviceHooks was not running is "not watched". Seconds are whole (rounded).
 */
export async function computeUtilization(records: AsyncIterable<TimelineRecord> | Iterable<TimelineRecord>, range: { from: number; to: number; now: number }): Promise<UtilizationRow[]> {
  const end = Math.min(range.to, range.now);
  const devices = new Map<string, { name: string; platform: UtilizationRow['platform']; status: Status; ms: Record<Bucket, number> }>();
  let watching = false;
  let last: number | null = null;

  const credit = (a: number, b: number, watched: boolean): void => {
    const lo = Math.max(a, range.from);
    const hi = Math.min(b, end);
    if (hi <= lo) return;
    for (const d of devices.values()) d.ms[watched ? BUCKET[d.status] : 'not_watched'] += hi - lo;
  };

  for await (const r of records) {
    if (r.t >= end && last !== null && last >= end) break;
    if (last !== null) {
      // A start while a run was still open: that run ended without a word at its last record.
      const crashed = 'e' in r && r.e === 'start' && watching;
      credit(last, Math.max(last, r.t), watching && !crashed);
    }
    last = last === null ? r.t : Math.max(last, r.t);
    if ('e' in r) {
      if (r.e === 'start' || r.e === 'alive') watching = true;
      else watching = false;
    } else {
      const d = devices.get(r.u);
      if (d) {
        d.status = r.s;
        d.name = r.n;
        d.platform = r.p;
      } else devices.set(r.u, { name: r.n, platform: r.p, status: r.s, ms: { online: 0, utilizing: 0, offline: 0, unplugged: 0, not_watched: 0 } });
    }
  }
  // Up to now: still watching if the last run is open (this process), else not watched.
  if (last !== null) credit(last, end, watching);

  const s = (ms: number) => Math.round(ms / 1000);
  return [...devices]
    .map(([udid, d]) => ({
      udid,
      name: d.name,
      platform: d.platform,
      online_s: s(d.ms.online),
      utilizing_s: s(d.ms.utilizing),
      offline_s: s(d.ms.offline),
      unplugged_s: s(d.ms.unplugged),
      not_watched_s: s(d.ms.not_watched),
    }))
    .filter((row) => row.online_s + row.utilizing_s + row.offline_s + row.unplugged_s + row.not_watched_s > 0);
}

function csvField(value: string | number): string {
  const text = String(value);
  // Quote what needs it; a leading = + - @ would start a formula in a spreadsheet.
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) || safe !== text ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function utilizationCsv(rows: readonly UtilizationRow[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of rows) lines.push(CSV_COLUMNS.map((c) => csvField(r[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

interface TimelineLogOptions {
  file: string;
  now: () => number;
  /** Days kept. Default 90. */
  days?: number;
  onError?: (error: unknown) => void;
}

/** Appends records (in order, one write at a time) and keeps the file to its last `days` days. */
export class TimelineLog {
  private chain: Promise<void> = Promise.resolve();
  private readonly days: number;
  private readonly last = new Map<string, string>();

  constructor(private readonly options: TimelineLogOptions) {
    this.days = options.days ?? TIMELINE_DAYS;
  }

  /** Creates the file with its header when missing, and drops what is older than the kept days (a day's slack). */
  async open(): Promise<void> {
    await mkdir(dirname(this.options.file), { recursive: true });
    let exists = true;
    try {
      await stat(this.options.file);
    } catch {
      exists = false;
    }
    if (!exists) {
      await writeFile(this.options.file, `${JSON.stringify({ format: TIMELINE_FORMAT, version: TIMELINE_VERSION })}\n`, { mode: 0o600 });
      return;
    }
    await this.compact();
  }

  /** A device's status (written only when it differs from the last one written for it in this run). */
  status(udid: string, status: Status, name: string, platform: DevicePlatform, at = this.options.now()): void {
    const key = `${status}\n${name}\n${platform}`;
    if (this.last.get(udid) === key) return;
    this.last.set(udid, key);
    this.append({ t: at, u: udid, s: status, n: name, p: platform });
  }

  mark(e: 'start' | 'alive' | 'stop', at = this.options.now()): void {
    if (e === 'start') this.last.clear();
    this.append({ t: at, e });
  }

  /** Resolves once everything appended so far is written. */
  flush(): Promise<void> {
    return this.chain;
  }

  private append(record: TimelineRecord): void {
    const line = `${JSON.stringify(record)}\n`;
    this.chain = this.chain.then(async () => {
      try {
        const handle = await open(this.options.file, 'a', 0o600);
        try {
          await handle.appendFile(line, 'utf8');
        } finally {
          await handle.close();
        }
      } catch (error) {
        this.options.onError?.(error);
      }
    });
  }

  /** Rewrites the file without what is older than the cutoff: the state at the cutoff opens the new file. */
  private async compact(): Promise<void> {
    const now = this.options.now();
    const cutoff = now - this.days * DAY_MS;
    let oldest: number | undefined;
    for await (const r of readTimeline(this.options.file)) {
      oldest = r.t;
      break;
    }
    if (oldest === undefined || oldest >= cutoff - DAY_MS) return;
    // First pass: the state at the cutoff; second pass: the kept records streamed to the new file.
    const state = new Map<string, TimelineRecord>();
    let watching = false;
    for await (const r of readTimeline(this.options.file)) {
      if (r.t >= cutoff) break;
      if ('e' in r) watching = r.e !== 'stop';
      else state.set(r.u, { ...r, t: cutoff });
    }
    const head = [JSON.stringify({ format: TIMELINE_FORMAT, version: TIMELINE_VERSION }), ...(watching ? [JSON.stringify({ t: cutoff, e: 'start' })] : []), ...[...state.values()].map((r) => JSON.stringify(r))];
    const tmp = `${this.options.file}.tmp`;
    const out = createWriteStream(tmp, { mode: 0o600 });
    const write = (text: string) => new Promise<void>((resolve, reject) => out.write(text, (err) => (err ? reject(err) : resolve())));
    try {
      await write(`${head.join('\n')}\n`);
      let batch = '';
      for await (const r of readTimeline(this.options.file)) {
        if (r.t < cutoff) continue;
        batch += `${JSON.stringify(r)}\n`;
        if (batch.length > 64 * 1024) {
          await write(batch);
          batch = '';
        }
      }
      if (batch !== '') await write(batch);
    } finally {
      await new Promise<void>((resolve) => out.end(() => resolve()));
    }
    await rename(tmp, this.options.file);
  }
}
