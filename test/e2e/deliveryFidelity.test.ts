// What a receiver sees when a callback is retried or the webhook changes while it waits: the body is
// composed at each try (creationTime = that try, the webhook's current name), webhook-id stays the same,
// and a callback the webhook no longer wants is Skipped, not Failed.
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Locator, Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { launchApp } from './harness';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((done) => s.close(done))));
});

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
  /** epoch ms when the request arrived */
  at: number;
}

/**
 * A plain node:http receiver answering each request with the next status of `statuses` (the last one
 * repeats); `retryAfter` seconds are sent with each answer when given.
 */
async function startRecorder(statuses: number[], retryAfter?: number): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body, at: Date.now() });
      const status = statuses[Math.min(received.length, statuses.length) - 1] ?? 200;
      res.writeHead(status, { 'Content-Type': 'text/plain', ...(retryAfter !== undefined ? { 'Retry-After': String(retryAfter) } : {}) }).end(String(status));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, received };
}

/** Standard Webhooks, from the spec, with node:crypto only. */
function signatureValid(r: Received, secret: string): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${String(r.headers['webhook-id'])}.${String(r.headers['webhook-timestamp'])}.${r.body}`).digest('base64');
  return String(r.headers['webhook-signature'])
    .split(' ')
    .some((s) => s === `v1,${expected}`);
}

type EventLabel = 'Online' | 'Offline' | 'Utilizing' | 'Unplugged';

async function setEvents(dialog: Locator, events: Partial<Record<EventLabel, boolean>>) {
  for (const [label, on] of Object.entries(events)) {
    const toggle = dialog.getByRole('switch', { name: label });
    if ((await toggle.getAttribute('aria-checked')) !== String(on)) await toggle.click();
  }
}

async function openWebhookSettings(page: Page) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Settings' }).click();
  await page.getByRole('tab', { name: 'Webhook Settings' }).click();
}

/** Creates a webhook through the dialog; answers the new signing secret when `signing`. */
async function createWebhook(page: Page, name: string, url: string, events: Partial<Record<EventLabel, boolean>>, signing = false): Promise<string> {
  await openWebhookSettings(page);
  await page.getByRole('button', { name: 'Create Webhook' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('textbox', { name: 'Webhook Name' }).fill(name);
  await dialog.getByRole('textbox', { name: 'URL' }).fill(url);
  await setEvents(dialog, events);
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

/** The row's own button whose visible text is `label` (Edit, Delete…). */
function rowButton(page: Page, webhookName: string, label: string): Locator {
  return page.getByRole('row', { name: new RegExp(`^${webhookName}`) }).getByRole('button', { name: new RegExp(`^${label}`) });
}

async function editWebhook(page: Page, name: string, change: { name?: string; events?: Partial<Record<EventLabel, boolean>> }) {
  await openWebhookSettings(page);
  await rowButton(page, name, 'Edit').click();
  const dialog = page.getByRole('dialog');
  if (change.name !== undefined) await dialog.getByRole('textbox', { name: 'Webhook Name' }).fill(change.name);
  await setEvents(dialog, change.events ?? {});
  await dialog.getByRole('button', { name: 'Save' }).click();
  await dialog.waitFor({ state: 'detached' });
}

const note8 = { serial: 'ce0917193a6e4f2b05', usb: '1-1', model: 'SM-N950F', settings: { global: { device_name: 'Galaxy Note 8' } } };
const body = (r: Received | undefined) => JSON.parse(r?.body ?? '{}') as Record<string, unknown>;

describe('Callbacks composed at each try', () => {
  it('retried after 500, 500: the successful try carries its own creationTime, the same webhook-id, the new name, a valid signature', async () => {
    const app = await launchApp();
    const { page } = app;
    const recorder = await startRecorder([500, 500, 200]);
    const secret = await createWebhook(page, 'Lab receiver', recorder.url, { Online: true }, true);
    expect(secret).toMatch(/^whsec_/);

    const pluggedAt = Date.now();
    app.adb.setDevices([{ ...note8, state: 'device' }]);
    // The second try comes about 5 s after the first, the third about 30 s after that.
    await expect.poll(() => recorder.received.length, { timeout: 15_000 }).toBe(1);
    await expect.poll(() => recorder.received.length, { timeout: 15_000 }).toBe(2);
    await editWebhook(page, 'Lab receiver', { name: 'Lab receiver (renamed)' });
    await expect.poll(() => recorder.received.length, { timeout: 50_000, interval: 250 }).toBe(3);

    const [first, second, third] = recorder.received;
    for (const r of recorder.received) {
      // Each try: creationTime within a second of the moment the receiver saw it.
      expect(Math.abs(Date.parse(String(body(r).creationTime)) - r.at)).toBeLessThan(1000);
      expect(Object.keys(body(r))).toHaveLength(9);
      expect(signatureValid(r, secret)).toBe(true);
    }
    expect(Date.parse(String(body(third).creationTime))).toBeGreaterThan(Date.parse(String(body(first).creationTime)) + 20_000);
    expect(new Set([first, second, third].map((r) => r?.headers['webhook-id'])).size).toBe(1);
    expect([first, second, third].map((r) => body(r).webhookName)).toEqual(['Lab receiver', 'Lab receiver', 'Lab receiver (renamed)']);

    // The Deliveries detail keeps when the status changed.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Deliveries' }).click();
    const list = page.getByRole('list', { name: 'Delivery attempts' });
    await list.getByRole('button').filter({ hasText: 'HTTP 200' }).click();
    const changed = (await page.getByRole('region', { name: /Attempt 3 of delivery/ }).getByText(/^status changed at /).textContent()) ?? '';
    expect(changed).toContain('(Online)');
    expect(Math.abs(Date.parse(String(body(first).creationTime)) - pluggedAt)).toBeLessThan(5_000);
  });

  it('unsigned callbacks carry webhook-id; an event switched off before the retry, and a deleted webhook’s waiting callback, end Skipped', async () => {
    const app = await launchApp();
    const { page } = app;
    // 503 with Retry-After: the next tries are minutes away, so the edits below happen while they wait.
    const plain = await startRecorder([503], 600);
    const doomed = await startRecorder([503], 600);
    await createWebhook(page, 'Plain', plain.url, { Online: true, Offline: false });
    await createWebhook(page, 'Doomed', doomed.url, { Online: true, Offline: false });

    app.adb.setDevices([{ ...note8, state: 'device' }]);
    await expect.poll(() => plain.received.length + doomed.received.length, { timeout: 15_000 }).toBe(2);
    const [first] = plain.received;
    expect(first?.headers['webhook-id']).toMatch(/^msg_/);
    expect(Number(first?.headers['webhook-timestamp'])).toBe(Math.floor(Date.parse(String(body(first).creationTime)) / 1000));
    expect(first?.headers['webhook-signature']).toBeUndefined();

    // While the retries wait: Plain no longer wants Online; Doomed is deleted. Both end at once.
    await editWebhook(page, 'Plain', { events: { Online: false, Offline: true } });
    await rowButton(page, 'Doomed', 'Delete').click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('row', { name: /^Doomed/ }).waitFor({ state: 'detached' });

    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Deliveries' }).click();
    await page.getByRole('group', { name: 'Show' }).getByText('Skipped', { exact: true }).click();
    const list = page.getByRole('list', { name: 'Delivery attempts' });
    await list.getByRole('button').filter({ hasText: 'Skipped' }).first().waitFor({ timeout: 15_000 });
    expect(await list.getByRole('listitem').count()).toBe(1);
    await list.getByRole('button').filter({ hasText: 'Skipped' }).click();
    await page.getByRole('region', { name: /Skipped delivery/ }).getByRole('heading', { name: 'Skipped — no longer subscribed' }).waitFor();
    await page.getByRole('group', { name: 'Show' }).getByText('Failed', { exact: true }).click();
    await expect.poll(() => list.getByRole('listitem').count()).toBe(1);

    const doomedHistory = await page.evaluate(() => window.api.deliveriesList({ webhookId: 2 }));
    expect(doomedHistory.ok && doomedHistory.value.map((a) => [a.result, a.errorLabel])).toEqual([
      ['skipped', 'Skipped — webhook deleted'],
      ['failure', 'HTTP 503'],
    ]);
    // Nothing more was sent to either.
    expect(plain.received).toHaveLength(1);
    expect(doomed.received).toHaveLength(1);
    // No "failed for good" notification for a skip.
    expect(app.reports.filter((r) => r.type === 'notification' && /failed|attempts/.test(JSON.stringify(r)))).toEqual([]);
  });
});
