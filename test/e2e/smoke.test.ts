import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { launchApp, makeUserData, repoRoot, spawnApp } from './harness';

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };

describe('the built app in Chromium', () => {
  it('shows the navigation, the profile and the version that came over IPC', async () => {
    const app = await launchApp();
    const { page } = app;
    await expect(page.title()).resolves.toBe('DeviceHooks');
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('button', { name: 'Devices' }).waitFor();
    await nav.getByRole('button', { name: 'Settings' }).waitFor();
    await page.getByText(userInfo().username, { exact: true }).waitFor();

    await page.getByRole('button', { name: 'About' }).click();
    const about = page.getByRole('dialog', { name: 'About DeviceHooks' });
    await about.waitFor();
    await expect(about.getByTestId('about-version').textContent()).resolves.toBe(pkg.version);
    await expect(about.getByText(app.userData, { exact: true }).count()).resolves.toBe(1);
    await app.screenshot('smoke-about');
    await page.keyboard.press('Escape');
    await about.waitFor({ state: 'detached' });

    await nav.getByRole('button', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
    await expect(nav.getByRole('button', { name: 'Settings' }).getAttribute('aria-current')).resolves.toBe('page');

    expect(app.reports.filter((r) => r.type === 'page-error')).toEqual([]);
  });

  it('follows the OS colour scheme: dark when the OS is dark', async () => {
    const light = await launchApp();
    const lightBg = await light.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await light.kill();
    const dark = await launchApp({ env: { DH_STANDIN_DARK: '1' } });
    const darkBg = await dark.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const luminance = (rgb: string) => (rgb.match(/\d+/g) ?? []).slice(0, 3).map(Number).reduce((a, b) => a + b, 0) / 3;
    expect(luminance(lightBg)).toBeGreaterThan(200);
    expect(luminance(darkBg)).toBeLessThan(60);
    await dark.screenshot('smoke-dark');
  });

  it('opens every window with the locked webPreferences', async () => {
    const app = await launchApp();
    const created = app.reports.filter((r) => r.type === 'window-created');
    expect(created.length).toBeGreaterThan(0);
    for (const report of created) {
      const prefs = (report.options as { webPreferences: Record<string, unknown> }).webPreferences;
      expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false });
      expect(String(prefs.preload)).toMatch(/out\/preload\/index\.cjs$/);
    }
  });

  it('a second launch on the same data folder hands over: the first window comes forward and says so (push channel)', async () => {
    const first = await launchApp();
    const focusBefore = first.reports.filter((r) => r.type === 'focus').length;
    const second = spawnApp({ userData: first.userData });
    await expect(second.exited).resolves.toBe(0);
    expect(second.reports.some((r) => r.type === 'window-created')).toBe(false);
    await first.page.getByText('DeviceHooks was already running, so this window was brought forward.').waitFor();
    expect(first.reports.filter((r) => r.type === 'focus').length).toBeGreaterThan(focusBefore);
  });

  it('quits on request and relaunches on the same data folder, logging to userData/logs', async () => {
    const userData = makeUserData('relaunch');
    const first = await launchApp({ userData: userData });
    await expect(first.quit()).resolves.toBe(0);
    const second = await launchApp({ userData: userData });
    await second.page.getByRole('navigation', { name: 'Main' }).waitFor();
    const log = readFileSync(join(userData, 'logs', 'main.log'), 'utf8');
    expect(log.match(/DeviceHooks \S+ starting/g)?.length).toBe(2);
    expect(log).toContain('DeviceHooks quitting');
  });

  it('keeps the window on our page: foreign navigation is blocked, window.open goes out only for https', async () => {
    const app = await launchApp();
    const { page } = app;
    const appUrl = page.url();
    await page.evaluate(() => {
      window.location.href = 'https://example.invalid/phish';
    });
    await app.waitForReport('navigation-blocked');
    expect(page.url()).toBe(appUrl);

    await page.evaluate(() => window.open('https://example.invalid/docs', '_blank'));
    await app.waitForReport('open-external', (r) => r.url === 'https://example.invalid/docs');
    await page.evaluate(() => window.open('http://example.invalid/plain', '_blank'));
    await app.waitForReport('window-open', (r) => r.url === 'http://example.invalid/plain' && r.action === 'deny');
    expect(app.reports.some((r) => r.type === 'open-external' && r.url === 'http://example.invalid/plain')).toBe(false);
  });
});
