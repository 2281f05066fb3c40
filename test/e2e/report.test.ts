// Devices › Report in the built app: a timeline from earlier days (as a previous run wrote it) shows each
// device's share of time as a stacked bar and percentages, sortable; the CSV export carries the same numbers.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeUtilization, utilizationCsv } from '../../main/devices/timeline';
import type { TimelineRecord } from '../../main/devices/timeline';
import { launchApp, makeUserData } from './harness';
import { device, mark } from '../support/timeline';

const DAY = 24 * 60 * 60 * 1000;
const pad = (n: number) => String(n).padStart(2, '0');
const dateInput = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;

describe('Devices › Report', () => {
  it('shows the figures of a past day and exports them as CSV', async () => {
    const day = new Date(Date.now() - 3 * DAY);
    day.setHours(0, 0, 0, 0);
    const t = (hours: number) => day.getTime() + hours * 3600_000;
    const galaxy = device('R58M42ABCDE', 'Galaxy Note 8', 'android');
    const iphone = device('00008030-001A35E11A88002E', 'QA iPhone', 'ios');
    const script: TimelineRecord[] = [
      mark(t(8), 'start'),
      galaxy(t(8), 'Online'),
      iphone(t(8), 'Online'),
      galaxy(t(9), 'Utilizing'),
      galaxy(t(15), 'Online'),
      iphone(t(16), 'Offline'),
      mark(t(18), 'stop'),
    ];
    const userData = makeUserData('report');
    writeFileSync(join(userData, 'timeline.jsonl'), [JSON.stringify({ format: 'devicehooks-timeline', version: 1 }), ...script.map((r) => JSON.stringify(r))].join('\n') + '\n');
    const app = await launchApp({ userData });
    const { page } = app;
    await page.getByRole('tab', { name: 'Report' }).click();
    await page.getByRole('radio', { name: 'Custom' }).check();
    await page.getByLabel('From').fill(dateInput(day));
    await page.getByLabel('To (inclusive)').fill(dateInput(day));

    const table = page.getByRole('table', { name: 'Utilization' });
    const note8 = table.getByRole('row', { name: 'Galaxy Note 8' });
    // Counted from its first status (8 h): 4 h Online (8–9, 15–18), 6 h Utilizing, 6 h not watched (18–24).
    await expect.poll(() => note8.getByTestId('utilizing_s').textContent(), { timeout: 10_000 }).toBe('37.5 %6 h 0 min');
    await expect(note8.getByTestId('online_s').textContent()).resolves.toBe('25 %4 h 0 min');
    await expect(note8.getByTestId('not_watched_s').textContent()).resolves.toBe('37.5 %6 h 0 min');
    await expect(note8.getByRole('img').getAttribute('aria-label')).resolves.toBe('Online 25 %, Utilizing 37.5 %, Offline 0 %, Unplugged 0 %, Not watched 37.5 %');
    // Sorted by Utilizing, most first; a click on Offline sorts by it.
    const names = () => table.locator('tbody tr th div:first-child').allTextContents();
    await expect(names()).resolves.toEqual(['Galaxy Note 8', 'QA iPhone']);
    await table.getByRole('button', { name: 'Offline' }).click();
    await expect.poll(names).toEqual(['QA iPhone', 'Galaxy Note 8']);
    await expect(table.getByRole('columnheader', { name: 'Offline' }).getAttribute('aria-sort')).resolves.toBe('descending');
    await app.screenshot('devices-report');

    const file = join(app.userData, 'utilization.csv');
    app.command({ cmd: 'dialog-answer', filePath: file });
    await page.getByRole('button', { name: 'Export CSV' }).click();
    await page.getByRole('status').filter({ hasText: `Saved 2 devices to ${file}` }).waitFor();
    const expected = utilizationCsv(await computeUtilization(script, { from: day.getTime(), to: day.getTime() + DAY, now: Date.now() }));
    expect(readFileSync(file, 'utf8')).toBe(expected);
    expect(expected).toContain('R58M42ABCDE,Galaxy Note 8,android,14400,21600,0,0,21600\r\n');
  }, 60_000);
});
