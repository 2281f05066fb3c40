import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TimelineLog, computeUtilization, readTimeline, utilizationCsv } from '../../main/devices/timeline';
import type { TimelineRecord } from '../../main/devices/timeline';
import { device, mark } from '../support/timeline';
import { makeTempDir } from '../support/tmp';

const T0 = Date.UTC(2026, 10, 2, 8, 0, 0);
const s = (seconds: number) => T0 + seconds * 1000;

// A scripted day: DeviceHooks starts at 0 s; A comes Online, is in a session 600–1500 s, goes Offline at 2000 s;
// DeviceHooks stops at 3000 s and starts again at 3600 s (A Unplugged meanwhile, so its new status is Unplugged);
// B appears at 1000 s; the run that starts at 4000 s follows a crash: its last record was an `alive` at 3900 s.
const A = device('A', 'Pixel, "7"', 'android');
const B = device('B', '=cmd', 'ios');
const script: TimelineRecord[] = [
  mark(s(0), 'start'),
  A(s(0), 'Online'),
  A(s(600), 'Utilizing'),
  B(s(1000), 'Online'),
  A(s(1500), 'Online'),
  A(s(2000), 'Offline'),
  mark(s(3000), 'stop'),
  mark(s(3600), 'start'),
  A(s(3600), 'Unplugged'),
  B(s(3600), 'Online'),
  mark(s(3900), 'alive'),
  mark(s(4000), 'start'),
  A(s(4000), 'Unplugged'),
  B(s(4000), 'Utilizing'),
];

describe('utilization figures', () => {
  it('match the scripted timeline exactly, with "not watched" for the stop and for the crash gap', async () => {
    const rows = await computeUtilization(script, { from: s(0), to: s(5000), now: s(4500) });
    expect(rows).toEqual([
      { udid: 'A', name: 'Pixel, "7"', platform: 'android', online_s: 1100, utilizing_s: 900, offline_s: 1000, unplugged_s: 300 + 500, not_watched_s: 600 + 100 },
      { udid: 'B', name: '=cmd', platform: 'ios', online_s: 2000 + 300, utilizing_s: 500, offline_s: 0, unplugged_s: 0, not_watched_s: 600 + 100 },
    ]);
  });

  it('clips to the range: a window inside the session and the stop', async () => {
    const rows = await computeUtilization(script, { from: s(1200), to: s(3300), now: s(9999) });
    expect(rows.find((r) => r.udid === 'A')).toEqual({ udid: 'A', name: 'Pixel, "7"', platform: 'android', online_s: 500, utilizing_s: 300, offline_s: 1000, unplugged_s: 0, not_watched_s: 300 });
    expect(rows.find((r) => r.udid === 'B')).toMatchObject({ online_s: 1800, not_watched_s: 300 });
  });

  it('the CSV carries the same numbers under the exact columns (quoted where needed, no formulas)', async () => {
    const rows = await computeUtilization(script, { from: s(0), to: s(5000), now: s(4500) });
    expect(utilizationCsv(rows)).toBe(
      'udid,name,platform,online_s,utilizing_s,offline_s,unplugged_s,not_watched_s\r\n' + 'A,"Pixel, ""7""",android,1100,900,1000,800,700\r\n' + `B,"'=cmd",ios,2300,500,0,0,700\r\n`,
    );
  });
});

describe('TimelineLog', () => {
  it('appends in order, streams back, and keeps only the last 90 days (the state at the cutoff opens the file)', async () => {
    const dir = await makeTempDir();
    const file = join(dir, 'devices', 'timeline.jsonl');
    let now = s(0);
    const log = new TimelineLog({ file, now: () => now });
    await log.open();
    log.mark('start');
    log.status('A', 'Online', 'Pixel', 'android');
    log.status('A', 'Online', 'Pixel', 'android');
    now = s(100);
    log.status('A', 'Utilizing', 'Pixel', 'android');
    await log.flush();
    const back: TimelineRecord[] = [];
    for await (const r of readTimeline(file)) back.push(r);
    expect(back).toEqual([
      { t: s(0), e: 'start' },
      { t: s(0), u: 'A', s: 'Online', n: 'Pixel', p: 'android' },
      { t: s(100), u: 'A', s: 'Utilizing', n: 'Pixel', p: 'android' },
    ]);

    now = s(0) + 92 * 24 * 3600 * 1000;
    log.status('B', 'Online', 'iPad', 'ios', now - 1000);
    await log.flush();
    const again = new TimelineLog({ file, now: () => now });
    await again.open();
    const cutoff = now - 90 * 24 * 3600 * 1000;
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([
      { format: 'devicehooks-timeline', version: 1 },
      { t: cutoff, e: 'start' },
      { t: cutoff, u: 'A', s: 'Utilizing', n: 'Pixel', p: 'android' },
      { t: now - 1000, u: 'B', s: 'Online', n: 'iPad', p: 'ios' },
    ]);
  });

  it('refuses a timeline from a newer DeviceHooks', async () => {
    const file = join(await makeTempDir(), 'timeline.jsonl');
    writeFileSync(file, `${JSON.stringify({ format: 'devicehooks-timeline', version: 2 })}\n`);
    await expect(computeUtilization(readTimeline(file), { from: 0, to: 1, now: 1 })).rejects.toThrow(/newer DeviceHooks/);
  });
});
