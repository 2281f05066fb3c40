// The built app watching a fake Appium server: a session on the adb fake's phone turns its row Utilizing and
// says which session holds it; a reservation may join it; the session's end frees the row without an Online event.
import { afterEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startFakeAppium } from '../fakes/appium';
import type { FakeAppium } from '../fakes/appium';
import { launchApp } from './harness';

const note8 = { serial: 'ce0917193a6e4f2b05', usb: '1-1', model: 'SM-N950F', settings: { global: { device_name: 'Galaxy Note 8' } } };

let appium: FakeAppium | null = null;
afterEach(async () => {
  await appium?.close();
  appium = null;
});

function statusOf(page: Page, name: string) {
  return page.getByRole('row', { name }).getByTestId('status');
}

describe('Appium sessions', () => {
  it('a session holds the row (who and where), a reservation can join it, its end frees the row silently', async () => {
    appium = await startFakeAppium({ generation: 3, sessionDiscovery: true });
    const port = new URL(appium.url).port;
    const app = await launchApp({ env: { DEVICEHOOKS_APPIUM_URLS: appium.url } });
    const { page } = app;
    const strip = page.getByRole('list', { name: 'Device sources' });
    await strip.getByText(`Appium :${port}`).waitFor();
    await strip.getByText('watching sessions').waitFor();

    app.adb.setDevices([{ ...note8, state: 'device' }]);
    await expect.poll(() => statusOf(page, 'Galaxy Note 8').textContent(), { timeout: 10_000 }).toBe('Online');
    const row = page.getByRole('row', { name: 'Galaxy Note 8' });

    const id = appium.addSession({ 'appium:udid': note8.serial, platformName: 'Android' });
    await expect.poll(() => statusOf(page, 'Galaxy Note 8').textContent(), { timeout: 10_000 }).toBe('Utilizing');
    await row.getByText(new RegExp(`^Appium session ${id.slice(0, 4)}… on :${port} since \\d`)).waitFor();
    // Held by a session only: nothing to release here, but a reservation may overlap it.
    await expect(row.getByRole('button', { name: 'Release', exact: true }).count()).resolves.toBe(0);
    await row.getByRole('button', { name: 'Mark in use', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Mark Galaxy Note 8 in use' });
    await dialog.getByRole('textbox', { name: 'Who (optional)' }).fill('Ana');
    await dialog.getByRole('button', { name: 'Mark in use' }).click();
    await row.getByText('Ana').waitFor();
    await app.screenshot('devices-appium-session');

    appium.endSession(id);
    await row.getByText(/^Appium session/).waitFor({ state: 'detached', timeout: 10_000 });
    await expect(statusOf(page, 'Galaxy Note 8').textContent()).resolves.toBe('Utilizing');
    await row.getByRole('button', { name: 'Release', exact: true }).click();
    await expect.poll(() => statusOf(page, 'Galaxy Note 8').textContent()).toBe('Online');

    const events = await page.evaluate(() => window.api.devicesEvents());
    expect(events.ok && events.value.map((e) => e.to).reverse()).toEqual(['Online', 'Utilizing']);

    await appium.kill();
    await strip.getByText(/not answering for/).waitFor({ timeout: 10_000 });
  }, 60_000);

  it('a server that never answered is "not running"; one that refuses discovery names the flag', async () => {
    appium = await startFakeAppium({ generation: 3 });
    const gone = await startFakeAppium({ generation: 3 });
    await gone.kill();
    const app = await launchApp({ env: { DEVICEHOOKS_APPIUM_URLS: `${appium.url},${gone.url}` } });
    const strip = app.page.getByRole('list', { name: 'Device sources' });
    await strip.getByRole('listitem').filter({ hasText: `Appium :${gone.port}` }).getByText('not running').waitFor({ timeout: 10_000 });
    const refused = strip.getByRole('listitem').filter({ hasText: `Appium :${appium.port}` });
    await refused.getByText('refuses to list sessions').waitFor({ timeout: 10_000 });
    await refused.getByText(/--allow-insecure=\*:session_discovery/).waitFor();
  }, 60_000);
});
