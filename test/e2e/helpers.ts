// What several e2e tests do the same way: a receiver that records what arrives, the Standard Webhooks
// signature check, creating or editing a webhook through the dialog as a user would, and the axe scan.
import { AxeBuilder } from '@axe-core/playwright';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, OutgoingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Locator, Page } from 'playwright-core';
import { afterEach } from 'vitest';
import type { LaunchedApp } from './harness';

/** Every receiver a test started; they are closed when the test ends. */
const servers = new Set<Server>();
afterEach(async () => {
  const open = [...servers];
  servers.clear();
  await Promise.all(open.map((s) => new Promise((done) => s.close(done))));
});

export interface Received {
  headers: IncomingMessage['headers'];
  body: string;
  /** epoch ms when the request arrived */
  at: number;
}

export interface Reply {
  status: number;
  headers?: OutgoingHttpHeaders;
  body?: string;
}

export interface Recorder {
  url: string;
  port: number;
  received: Received[];
  /** Stops listening (the port is free again). */
  close: () => Promise<void>;
}

/**
 * A plain node:http receiver on 127.0.0.1 that records each request; `reply(n)` answers the n-th
 * (1-based), 200 with an empty body by default. Port 0 (a free one) unless `port` is given.
 */
export async function startRecorder(options: { reply?: (n: number) => Reply; port?: number } = {}): Promise<Recorder> {
  const received: Received[] = [];
  const reply: (n: number) => Reply = options.reply ?? (() => ({ status: 200 }));
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body, at: Date.now() });
      const answer = reply(received.length);
      res.writeHead(answer.status, answer.headers).end(answer.body);
    });
  });
  await new Promise<void>((done) => server.listen(options.port ?? 0, '127.0.0.1', done));
  servers.add(server);
  const port = (server.address() as AddressInfo).port;
  const close = async () => {
    servers.delete(server);
    await new Promise((done) => server.close(done));
  };
  return { url: `http://127.0.0.1:${port}/hooks`, port, received, close };
}

/** Answers with the next status of `statuses` (the last one repeats), as text; `retryAfter` seconds when given. */
export function statusesInTurn(statuses: number[], retryAfter?: number): (n: number) => Reply {
  return (n) => {
    const status = statuses[Math.min(n, statuses.length) - 1] ?? 200;
    return { status, headers: { 'Content-Type': 'text/plain', ...(retryAfter !== undefined ? { 'Retry-After': String(retryAfter) } : {}) }, body: String(status) };
  };
}

/** Standard Webhooks, from the spec, with node:crypto only. */
export function signatureValid(headers: IncomingMessage['headers'], body: string, secret: string): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${String(headers['webhook-id'])}.${String(headers['webhook-timestamp'])}.${body}`).digest('base64');
  return String(headers['webhook-signature'])
    .split(' ')
    .some((s) => s === `v1,${expected}`);
}

export async function openWebhookSettings(page: Page) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Settings' }).click();
  await page.getByRole('tab', { name: 'Webhook Settings' }).click();
}

export type EventLabel = 'Online' | 'Offline' | 'Utilizing' | 'Unplugged';

/** Sets each named event switch of the webhook dialog on or off (untouched when already so). */
export async function setEvents(dialog: Locator, events: Partial<Record<EventLabel, boolean>>) {
  for (const [label, on] of Object.entries(events)) {
    const toggle = dialog.getByRole('switch', { name: label });
    if ((await toggle.getAttribute('aria-checked')) !== String(on)) await toggle.click();
  }
}

/**
 * Creates a webhook through the dialog with the given events on; answers the new signing secret
 * (shown once, to copy) when `signing`, else ''.
 */
export async function createWebhook(page: Page, name: string, url: string, options: { events?: Partial<Record<EventLabel, boolean>>; signing?: boolean } = {}): Promise<string> {
  await openWebhookSettings(page);
  await page.getByRole('button', { name: 'Create Webhook' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('textbox', { name: 'Webhook Name' }).fill(name);
  await dialog.getByRole('textbox', { name: 'URL' }).fill(url);
  await setEvents(dialog, options.events ?? { Online: true });
  if (options.signing) await dialog.getByRole('switch', { name: 'Signing secret' }).click();
  await dialog.getByRole('button', { name: 'Save' }).click();
  if (!options.signing) {
    await dialog.waitFor({ state: 'detached' });
    return '';
  }
  const secret = (await page.getByTestId('signing-secret').textContent()) ?? '';
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
  return secret;
}

/** The row's own button whose visible text is `label` (Edit, Delete…). */
export function rowButton(page: Page, webhookName: string, label: string): Locator {
  return page.getByRole('row', { name: new RegExp(`^${webhookName}`) }).getByRole('button', { name: new RegExp(`^${label}`) });
}

export async function editWebhook(page: Page, name: string, change: { name?: string; events?: Partial<Record<EventLabel, boolean>> }) {
  await openWebhookSettings(page);
  await rowButton(page, name, 'Edit').click();
  const dialog = page.getByRole('dialog');
  if (change.name !== undefined) await dialog.getByRole('textbox', { name: 'Webhook Name' }).fill(change.name);
  await setEvents(dialog, change.events ?? {});
  await dialog.getByRole('button', { name: 'Save' }).click();
  await dialog.waitFor({ state: 'detached' });
}

export const note8 = { serial: 'ce0917193a6e4f2b05', usb: '1-1', model: 'SM-N950F', settings: { global: { device_name: 'Galaxy Note 8' } } };
/** The same phone with everything `adb devices -l` and getprop tell about it. */
export const note8Full = { ...note8, product: 'greatltexx', device: 'greatlte', props: { 'ro.product.model': 'SM-N950F' } };

/** rule id → why a serious or critical finding of that rule is accepted. Empty: none is. */
const AXE_EXCEPTIONS: Record<string, string> = {};

/**
 * Scans the window as it is now with axe-core: every serious or critical violation (but the exceptions
 * above) goes into `findings`, named by scheme and view; the view is added to `scanned` and screenshotted.
 */
export async function axeScan(app: LaunchedApp, scheme: string, view: string, findings: string[], scanned: string[]): Promise<void> {
  // Legacy mode runs axe inside the window itself; the default opens a second page in the browser,
  // which the stand-in would take for another app window. The app has no frames, so nothing is missed.
  const results = await new AxeBuilder({ page: app.page }).setLegacyMode(true).analyze();
  for (const v of results.violations) {
    if (v.impact !== 'serious' && v.impact !== 'critical') continue;
    if (AXE_EXCEPTIONS[v.id] !== undefined) continue;
    const where = v.nodes.map((n) => `${n.target.join(' ')}${n.failureSummary ? ` (${n.failureSummary.replace(/\s+/g, ' ')})` : ''}`).join('; ');
    findings.push(`[${scheme}] ${view}: ${v.id} (${v.impact}) ${v.help}: ${where}`);
  }
  scanned.push(`${scheme}:${view}`);
  await app.screenshot(`a11y-${scheme}-${view}`);
}
