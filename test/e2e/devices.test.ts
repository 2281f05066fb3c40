import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchApp, makeUserData } from './harness';
import { note8Full as note8 } from './helpers';

function statusOf(page: Page, name: string) {
  return page.getByRole('row', { name }).getByTestId('status');
}

describe('Devices', () => {
  it('follows a fake Android phone: appears Online, goes Offline, in use, released, unplugged', async () => {
    const app = await launchApp();
    const { page } = app;
    await page.getByRole('heading', { name: 'Devices', level: 1 }).waitFor();
    await page.getByText('No devices yet.').waitFor();
    await page.getByRole('list', { name: 'Device sources' }).getByText('connected').first().waitFor();

    app.adb.setDevices([{ ...note8, state: 'device' }]);
    await expect.poll(() => statusOf(page, 'Galaxy Note 8').textContent(), { timeout: 10_000 }).toBe('Online');
    const row = page.getByRole('row', { name: 'Galaxy Note 8' });
    await expect(row.getByRole('cell').nth(1).textContent()).resolves.toBe(note8.serial);
    await page.getByRole('list', { name: 'Recent events' }).getByText('Online').first().waitFor();

    app.adb.setDevices([{ ...note8, state: 'unauthorized' }]);
    await expect.poll(() => statusOf(page, 'Galaxy Note 8').textContent(), { timeout: 10_000 }).toBe('Offline');
    // Row buttons are found by their visible text alone; the device is their description.
    const mark = row.getByRole('button', { name: 'Mark in use', exact: true });
    await expect(mark.isDisabled()).resolves.toBe(true);
    const describedBy = (await mark.getAttribute('aria-describedby')) ?? '';
    await expect(page.locator(`[id="${describedBy}"]`).textContent()).resolves.toBe('Galaxy Note 8');

    app.adb.setDevices([{ ...note8, state: 'device' }]);
    await expect.poll(() => statusOf(page, 'Galaxy Note 8').textContent(), { timeout: 10_000 }).toBe('Online');
    await mark.click();
    const dialog = page.getByRole('dialog', { name: 'Mark Galaxy Note 8 in use' });
    await dialog.getByRole('textbox', { name: 'Who (optional)' }).fill('Ana');
    await dialog.getByRole('textbox', { name: 'Why (optional)' }).fill('regression run');
    await dialog.getByRole('button', { name: 'Mark in use' }).click();
    await expect.poll(() => statusOf(page, 'Galaxy Note 8').textContent()).toBe('Utilizing');
    await row.getByText('regression run').waitFor();
    await app.screenshot('devices-utilizing');

    await row.getByRole('button', { name: 'Release', exact: true }).click();
    await expect.poll(() => statusOf(page, 'Galaxy Note 8').textContent()).toBe('Online');

    app.adb.setDevices([]);
    await expect.poll(() => statusOf(page, 'Galaxy Note 8').textContent(), { timeout: 10_000 }).toBe('Unplugged');

    const events = await page.evaluate(() => window.api.devicesEvents());
    expect(events.ok && events.value.map((e) => [e.to, e.seq]).reverse()).toEqual([
      ['Online', 1],
      ['Offline', 2],
      ['Online', 3],
      ['Utilizing', 4],
      // Utilizing → Online on release fires nothing (the product rule).
      ['Unplugged', 5],
    ]);
    await expect(row.getByRole('img').getAttribute('aria-label')).resolves.toMatch(/6 changes in the last 24 hours, last Unplugged/);

    // Forget it from its row: the row goes; plugged in again it gets a new row, its seq continuing.
    await row.getByRole('button', { name: 'Forget', exact: true }).click();
    await expect.poll(() => page.getByRole('row', { name: 'Galaxy Note 8' }).count()).toBe(0);
    // The USB ports table counts the port's disconnects (Offline, Unplugged).
    await expect(page.getByRole('row', { name: 'USB port 1-1' }).getByRole('cell').nth(1).textContent()).resolves.toBe('2');
    app.adb.setDevices([{ ...note8, state: 'device' }]);
    await expect.poll(() => statusOf(page, 'Galaxy Note 8').textContent(), { timeout: 10_000 }).toBe('Online');
    const again = await page.evaluate(() => window.api.devicesEvents());
    expect(again.ok && again.value[0] && [again.value[0].from, again.value[0].to, again.value[0].seq]).toEqual([null, 'Online', 6]);
  });

  it('shows a source that is down without unplugging its devices, and recovers', async () => {
    const app = await launchApp();
    const { page } = app;
    app.adb.setDevices([{ ...note8, state: 'device' }]);
    await expect.poll(() => statusOf(page, 'Galaxy Note 8').textContent(), { timeout: 10_000 }).toBe('Online');
    await app.adb.kill();
    const adbHealth = page.getByRole('list', { name: 'Device sources' }).getByRole('listitem').filter({ hasText: 'Android (adb)' });
    await adbHealth.getByText(/adb server not reachable/).waitFor({ timeout: 10_000 });
    await app.screenshot('devices-source-down');
    // Longer than the Unplugged debounce: the phone keeps its status while its source is away.
    await page.waitForTimeout(3_500);
    await expect(statusOf(page, 'Galaxy Note 8').textContent()).resolves.toBe('Online');
    await app.adb.restart();
    await adbHealth.getByText('connected').waitFor({ timeout: 15_000 });
    await expect(statusOf(page, 'Galaxy Note 8').textContent()).resolves.toBe('Online');
  });

  it('an iPhone through usbmuxd, a Public device that never fires, and reservations over the local API', async () => {
    const app = await launchApp();
    const { page } = app;
    app.usbmux.attach({ udid: '00008030-001A35E11A88002E', name: 'Ana’s iPhone' });
    await expect.poll(() => statusOf(page, 'Ana’s iPhone').textContent(), { timeout: 10_000 }).toBe('Online');

    await page.getByRole('combobox', { name: 'Visibility of Ana’s iPhone' }).selectOption('Public');
    await page.getByRole('row', { name: 'Ana’s iPhone' }).getByText('sends no events').waitFor();

    // The local API, as a test runner would use it: port and token from Settings › Local API.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Settings' }).click();
    await page.getByRole('tab', { name: 'Local API' }).click();
    // Any free port (0), as an admin may choose: the default port may be taken on a shared machine.
    const status = page.getByRole('status').filter({ hasText: /Listening on|Not running/ });
    const before = await status.textContent();
    await page.getByRole('textbox', { name: 'Port' }).fill('0');
    await page.getByRole('button', { name: 'Save port' }).click();
    await expect.poll(() => status.textContent()).not.toBe(before);
    await page.getByRole('status').filter({ hasText: 'Listening on http://127.0.0.1:' }).waitFor();
    const url = ((await page.getByRole('status').filter({ hasText: 'Listening on' }).textContent()) ?? '').replace('Listening on ', '');
    const token = (await page.getByTestId('api-token').textContent()) ?? '';
    await app.screenshot('local-api');
    const udid = '00008030-001A35E11A88002E';
    const unauthorized = await fetch(`${url}/v1/devices/${udid}/reservation`, { method: 'POST', headers: { Authorization: 'Bearer nope' } });
    expect(unauthorized.status).toBe(401);
    const reserved = await fetch(`${url}/v1/devices/${udid}/reservation`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ ttlSeconds: 60, by: 'ci-runner-7' }),
    });
    expect(reserved.status).toBe(201);
    const grant = (await reserved.json()) as { token: string };
    const again = await fetch(`${url}/v1/devices/${udid}/reservation`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ ttlSeconds: 60 }),
    });
    expect(again.status).toBe(409);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Devices' }).click();
    await expect.poll(() => statusOf(page, 'Ana’s iPhone').textContent()).toBe('Utilizing');
    await page.getByRole('row', { name: 'Ana’s iPhone' }).getByText('ci-runner-7').waitFor();
    const released = await fetch(`${url}/v1/devices/${udid}/reservation`, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${token}`, 'X-Reservation-Token': grant.token },
    });
    expect(released.status).toBe(204);
    await expect.poll(() => statusOf(page, 'Ana’s iPhone').textContent()).toBe('Online');

    // Public: the statuses changed, but no event was fired for it.
    const events = await page.evaluate(() => window.api.devicesEvents());
    expect(events.ok && events.value.filter((e) => e.udid === udid).map((e) => e.to)).toEqual(['Online']);
  });

  it('a phone unplugged while the app was closed gets its Unplugged event at the next launch', async () => {
    const userData = makeUserData('launch');
    const first = await launchApp({ userData: userData });
    first.adb.setDevices([{ ...note8, state: 'device' }]);
    await expect.poll(() => statusOf(first.page, 'Galaxy Note 8').textContent(), { timeout: 10_000 }).toBe('Online');
    await expect(first.quit()).resolves.toBe(0);

    const second = await launchApp({ userData: userData });
    await expect.poll(() => statusOf(second.page, 'Galaxy Note 8').textContent(), { timeout: 15_000 }).toBe('Unplugged');
    const events = await second.page.evaluate(() => window.api.devicesEvents());
    expect(events.ok && events.value.map((e) => [e.to, e.seq])).toEqual([['Unplugged', 2]]);
  });

  it('sleep: a phone removed while the computer sleeps turns Unplugged after the wake; the one still plugged (offline for 2.6 s after it) fires nothing', async () => {
    const app = await launchApp();
    const { page } = app;
    const pixel = { serial: '35161FDJH000GT', state: 'device', usb: '1-2', settings: { global: { device_name: 'Pixel 7' } } };
    app.adb.setDevices([{ ...note8, state: 'device' }, pixel]);
    await expect.poll(() => statusOf(page, 'Pixel 7').textContent(), { timeout: 10_000 }).toBe('Online');
    await expect.poll(() => statusOf(page, 'Galaxy Note 8').textContent(), { timeout: 10_000 }).toBe('Online');
    await page.waitForTimeout(5500); // past the first list's settle window

    app.command({ cmd: 'power', event: 'suspend' });
    await page.waitForTimeout(300);
    app.adb.setDevices([{ ...note8, state: 'offline' }]); // Pixel 7 is taken away during sleep
    await page.waitForTimeout(4000); // longer than the Unplugged hold: asleep, nothing commits
    const asleep = await page.evaluate(() => window.api.devicesEvents());
    expect(asleep.ok && asleep.value.map((e) => `${e.name} ${e.to}`).sort()).toEqual(['Galaxy Note 8 Online', 'Pixel 7 Online']);

    app.command({ cmd: 'power', event: 'resume' });
    await page.waitForTimeout(2600);
    app.adb.setDevices([{ ...note8, state: 'device' }]);
    await expect.poll(() => statusOf(page, 'Pixel 7').textContent(), { timeout: 15_000 }).toBe('Unplugged');
    await page.waitForTimeout(3000);
    const events = await page.evaluate(() => window.api.devicesEvents());
    expect(events.ok && events.value.map((e) => `${e.name} ${e.to}`).reverse().slice(2)).toEqual(['Pixel 7 Unplugged']);
    await expect(statusOf(page, 'Galaxy Note 8').textContent()).resolves.toBe('Online');
  });
});
