// A signed webhook whose secret cannot be opened at the next launch (the OS keyring is locked): it is
// "Waiting — secret unavailable", its callbacks queue and wait, nothing goes out unsigned, the other
// webhooks are not held up, and when the keyring opens its callbacks go out in order, signed.
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { launchApp, makeUserData } from './harness';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((done) => s.close(done))));
});

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

async function startRecorder(): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, received };
}

function signatureValid(r: Received, secret: string): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${String(r.headers['webhook-id'])}.${String(r.headers['webhook-timestamp'])}.${r.body}`).digest('base64');
  return String(r.headers['webhook-signature'])
    .split(' ')
    .some((s) => s === `v1,${expected}`);
}

async function openWebhookSettings(page: Page) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Settings' }).click();
  await page.getByRole('tab', { name: 'Webhook Settings' }).click();
}

async function createWebhook(page: Page, name: string, url: string, signing: boolean): Promise<string> {
  await openWebhookSettings(page);
  await page.getByRole('button', { name: 'Create Webhook' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('textbox', { name: 'Webhook Name' }).fill(name);
  await dialog.getByRole('textbox', { name: 'URL' }).fill(url);
  for (const label of ['Online', 'Offline']) {
    const toggle = dialog.getByRole('switch', { name: label });
    if ((await toggle.getAttribute('aria-checked')) !== 'true') await toggle.click();
  }
  if (signing) await dialog.getByRole('switch', { name: 'Signing secret' }).click();
  await dialog.getByRole('button', { name: 'Save' }).click();
  if (!signing) {
    await dialog.waitFor({ state: 'detached' });
    return '';
  }
  const secret = (await page.getByTestId('signing-secret').textContent()) ?? '';
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
  return secret;
}

const note8 = { serial: 'ce0917193a6e4f2b05', usb: '1-1', model: 'SM-N950F', settings: { global: { device_name: 'Galaxy Note 8' } } };

describe('Waiting — secret unavailable', () => {
  it('a locked keyring between two launches: callbacks wait (visibly), others go on, then go out signed and in order', async () => {
    const userData = makeUserData('keyring');
    const signed = await startRecorder();
    const open = await startRecorder();
    const first = await launchApp({ userData });
    const secret = await createWebhook(first.page, 'Signed hook', signed.url, true);
    await createWebhook(first.page, 'Open hook', open.url, false);
    expect(await first.quit()).toBe(0);

    // The next launch, before the OS keyring is unlocked.
    const app = await launchApp({ userData, env: { DH_STANDIN_SAFE_STORAGE: '0' } });
    const { page } = app;
    await page.getByText(/Webhook Signed hook: Waiting — secret unavailable\./).waitFor({ timeout: 15_000 });
    app.adb.setDevices([{ ...note8, state: 'device' }]);
    await expect.poll(() => open.received.length, { timeout: 15_000 }).toBe(1);
    app.adb.setDevices([{ ...note8, state: 'offline' }]);
    await expect.poll(() => open.received.length, { timeout: 15_000 }).toBe(2);

    await openWebhookSettings(page);
    const row = page.getByRole('row', { name: /^Signed hook/ });
    await row.getByText('Waiting — secret unavailable').waitFor();
    await row.getByText('2 waiting').waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Deliveries' }).click();
    await page.getByRole('note').filter({ hasText: /Waiting — secret unavailable\..*\(2 waiting\)/ }).waitFor();
    const tray = app.reports.filter((r) => r.type === 'tray' && r.event === 'menu').at(-1);
    expect(JSON.stringify(tray)).toContain('Waiting — secret unavailable: Signed hook');
    // Nothing went out unsigned.
    expect(signed.received).toEqual([]);

    // The person unlocks the keyring and comes back to the window.
    app.command({ cmd: 'keyring', available: true });
    app.command({ cmd: 'focus' });
    await expect.poll(() => signed.received.length, { timeout: 15_000 }).toBe(2);
    expect(signed.received.map((r) => (JSON.parse(r.body) as { eventDescription: string }).eventDescription)).toEqual(['Online', 'Offline']);
    expect(signed.received.every((r) => signatureValid(r, secret))).toBe(true);
    await page.getByText('Webhook Signed hook can be signed again: its waiting callbacks are being sent.').waitFor();
  });
});
