import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../main/services/settings';
import { launchApp, makeUserData } from './harness';
import type { LaunchedApp, StandinReport } from './harness';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((done) => s.close(done))));
});

async function recorder(status = 200): Promise<{ url: string; bodies: string[]; setStatus: (s: number) => void }> {
  const bodies: string[] = [];
  let answer = status;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      bodies.push(body);
      res.writeHead(answer).end();
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, bodies, setStatus: (s) => (answer = s) };
}

async function createWebhook(page: Page, name: string, url: string) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Settings' }).click();
  await page.getByRole('tab', { name: 'Webhook Settings' }).click();
  await page.getByRole('button', { name: 'Create Webhook' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('textbox', { name: 'Webhook Name' }).fill(name);
  await dialog.getByRole('textbox', { name: 'URL' }).fill(url);
  await dialog.getByRole('switch', { name: 'Online' }).click();
  await dialog.getByRole('switch', { name: 'Offline' }).click();
  await dialog.getByRole('button', { name: 'Save' }).click();
  await dialog.waitFor({ state: 'detached' });
}

const lastTray = (app: LaunchedApp, event: string): StandinReport | undefined => app.reports.filter((r) => r.type === 'tray' && r.event === event).at(-1);
const phone = { serial: 'R58M123456', usb: '1-2', model: 'SM-G991B', settings: { global: { device_name: 'Lab S21' } } };

describe('Always on', () => {
  it('closing the window hides it, says so once, and callbacks keep flowing', async () => {
    const app = await launchApp();
    const hook = await recorder();
    await createWebhook(app.page, 'Flowing', hook.url);

    app.command({ cmd: 'close', id: 1 });
    await app.waitForReport('hide');
    await app.waitForReport('notification', (r) => r.title === 'DeviceHooks keeps running');
    expect(app.reports.some((r) => r.type === 'closed')).toBe(false);

    app.adb.setDevices([{ ...phone, state: 'device' }]);
    await expect.poll(() => hook.bodies.length, { timeout: 10_000 }).toBe(1);
    app.adb.setDevices([{ ...phone, state: 'offline' }]);
    await expect.poll(() => hook.bodies.length, { timeout: 10_000 }).toBe(2);
    expect(JSON.parse(hook.bodies[1] ?? '{}')).toMatchObject({ eventDescription: 'Offline', deviceName: 'Lab S21' });

    // Closing again: no second "keeps running" notification.
    app.command({ cmd: 'tray-click', label: 'Open DeviceHooks' });
    await expect.poll(() => app.reports.filter((r) => r.type === 'focus').length).toBeGreaterThan(1);
    app.command({ cmd: 'close', id: 1 });
    await expect.poll(() => app.reports.filter((r) => r.type === 'hide').length).toBe(2);
    expect(app.reports.filter((r) => r.type === 'notification' && r.title === 'DeviceHooks keeps running')).toHaveLength(1);
  });

  it('the tray shows counts by status and failing webhooks, pauses and resumes all, and asks before quitting with callbacks waiting', async () => {
    const app = await launchApp();
    const hook = await recorder(500);
    await createWebhook(app.page, 'Flaky', hook.url);
    app.adb.setDevices([{ ...phone, state: 'device' }]);
    await expect.poll(() => lastTray(app, 'tooltip')?.tooltip, { timeout: 10_000 }).toMatch(/^DeviceHooks · 1 online, 0 offline, 0 in use · 1 webhook failing$/);
    const okIcon = app.reports.find((r) => r.type === 'tray' && r.event === 'created')?.icon;
    expect(lastTray(app, 'image')?.icon).toBeDefined();
    expect(lastTray(app, 'image')?.icon).not.toBe(okIcon);
    const menu = lastTray(app, 'menu')?.items as { label: string }[];
    expect(menu.map((i) => i.label)).toEqual(expect.arrayContaining(['1 online, 0 offline, 0 in use', 'Failing: Flaky', 'Open DeviceHooks', 'Pause all webhooks', 'Quit DeviceHooks']));

    app.command({ cmd: 'tray-click', label: 'Pause all webhooks' });
    await app.page.getByRole('row', { name: /^Flaky/ }).getByText('paused', { exact: true }).waitFor();
    await expect.poll(() => (lastTray(app, 'menu')?.items as { label: string }[]).map((i) => i.label)).toContain('Resume all webhooks');
    app.command({ cmd: 'tray-click', label: 'Resume all webhooks' });
    await app.page.getByRole('row', { name: /^Flaky/ }).getByText('paused', { exact: true }).waitFor({ state: 'detached' });

    // A callback is waiting for its retry: Quit asks first. "Keep running" keeps it running.
    await expect.poll(() => hook.bodies.length, { timeout: 10_000 }).toBeGreaterThan(0);
    app.command({ cmd: 'dialog-answer', response: 1 });
    app.command({ cmd: 'tray-click', label: 'Quit DeviceHooks' });
    const asked = await app.waitForReport('dialog', (r) => r.kind === 'message');
    expect(String(asked.message)).toMatch(/1 callback is still waiting to be delivered/);
    await new Promise((done) => setTimeout(done, 500));
    expect(app.proc.exitCode).toBeNull();
    app.command({ cmd: 'dialog-answer', response: 0 });
    app.command({ cmd: 'tray-click', label: 'Quit DeviceHooks' });
    await expect.poll(() => app.proc.exitCode, { timeout: 15_000 }).toBe(0);
  });

  it('a webhook that keeps failing pauses with an OS notification; new events queue; Resume sends the backlog in order', async () => {
    const userData = makeUserData('pause');
    // Pause after 2 failures in a row (Settings › General, read at launch).
    writeFileSync(
      join(userData, 'settings.json'),
      JSON.stringify({ schemaVersion: 2, closeHintShown: false, ...DEFAULT_SETTINGS, delivery: { ...DEFAULT_SETTINGS.delivery, pauseAfterFailures: 2 } }),
    );
    const app = await launchApp({ userData });
    const hook = await recorder(500);
    await createWebhook(app.page, 'Down', hook.url);
    app.adb.setDevices([{ ...phone, state: 'device' }]);
    // Attempt 1 at once, attempt 2 about 5 s later: then the webhook pauses.
    await app.waitForReport('notification', (r) => r.title === 'Webhook paused' && String(r.body).startsWith('Down paused'), 20_000);
    await app.page.getByRole('row', { name: /^Down/ }).getByText('paused', { exact: true }).waitFor();
    expect(hook.bodies).toHaveLength(2);

    app.adb.setDevices([{ ...phone, state: 'offline' }]);
    await app.page.getByRole('row', { name: /^Down/ }).getByText('2 waiting').waitFor({ timeout: 10_000 });
    expect(hook.bodies).toHaveLength(2);

    hook.setStatus(200);
    await app.page.getByRole('row', { name: /^Down/ }).getByRole('button', { name: 'Resume', exact: true }).click();
    await expect.poll(() => hook.bodies.length, { timeout: 10_000 }).toBe(4);
    expect(hook.bodies.slice(2).map((b) => (JSON.parse(b) as { eventDescription: string }).eventDescription)).toEqual(['Online', 'Offline']);
  });

  it('Settings › General: start at login writes the autostart entry; notifications can be switched off', async () => {
    const config = mkdtempSync(join(tmpdir(), 'dh-xdg-'));
    const app = await launchApp({ env: { XDG_CONFIG_HOME: config } });
    const { page } = app;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Settings' }).click();
    await page.getByRole('tab', { name: 'General' }).click();
    await page.getByRole('switch', { name: 'Start at login' }).click();
    await page.getByRole('switch', { name: 'Start hidden in the tray' }).click();
    const entry = join(config, 'autostart', 'devicehooks.desktop');
    await expect.poll(() => existsSync(entry) && readFileSync(entry, 'utf8')).toMatch(/Exec=.* --hidden/);
    await page.getByRole('switch', { name: 'Start at login' }).click();
    await expect.poll(() => existsSync(entry)).toBe(false);

    await page.getByRole('switch', { name: 'A device is unplugged' }).click();
    await page.getByRole('textbox', { name: /Timeout per attempt/ }).fill('0');
    await page.getByRole('button', { name: 'Save limits' }).click();
    await page.getByText('At least 1 second').waitFor();
    await page.getByRole('textbox', { name: /Timeout per attempt/ }).fill('15');
    await page.getByRole('textbox', { name: /^History size on disk at most \(MB\)/ }).fill('0');
    await page.getByRole('button', { name: 'Save limits' }).click();
    await page.getByText('At least 1 MB').waitFor();
    await page.getByRole('textbox', { name: /^History size on disk at most \(MB\)/ }).fill('512');
    await page.getByRole('button', { name: 'Save limits' }).click();
    await page.getByRole('note').filter({ hasText: 'apply when DeviceHooks next starts' }).waitFor();
    await app.screenshot('general-settings');
    const saved = JSON.parse(readFileSync(join(app.userData, 'settings.json'), 'utf8')) as {
      notifications: { deviceUnplugged: boolean };
      delivery: { timeoutSeconds: number; historyMegabytes: number };
    };
    expect(saved.notifications.deviceUnplugged).toBe(false);
    expect(saved.delivery.timeoutSeconds).toBe(15);
    expect(saved.delivery.historyMegabytes).toBe(512);

    app.adb.setDevices([{ ...phone, state: 'device' }]);
    await page.waitForTimeout(1000);
    app.adb.setDevices([]);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Devices' }).click();
    await expect.poll(() => page.getByRole('row', { name: 'Lab S21' }).getByTestId('status').textContent(), { timeout: 10_000 }).toBe('Unplugged');
    expect(app.reports.filter((r) => r.type === 'notification' && r.title === 'Device unplugged')).toEqual([]);
  });
});
