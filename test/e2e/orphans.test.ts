// webhooks.json set aside as unreadable while a callback waits: the callback is held, the window says
// so and offers Restore, which puts the webhook back with its ID; then the callback goes out.
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { launchApp, makeUserData } from './harness';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((done) => s.close(done))));
});

const note8 = { serial: 'ce0917193a6e4f2b05', usb: '1-1', model: 'SM-N950F', settings: { global: { device_name: 'Galaxy Note 8' } } };

describe('Callbacks for webhooks that are no longer defined', () => {
  it('are held after webhooks.json is set aside, and Restore brings the webhook back with its ID', async () => {
    let status = 500;
    const received: { id: string; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ id: String(req.headers['webhook-id']), body });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    servers.push(server);
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;

    const userData = makeUserData('orphans');
    const first = await launchApp({ userData });
    await first.page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Settings' }).click();
    await first.page.getByRole('tab', { name: 'Webhook Settings' }).click();
    await first.page.getByRole('button', { name: 'Create Webhook' }).click();
    const dialog = first.page.getByRole('dialog');
    await dialog.getByRole('textbox', { name: 'Webhook Name' }).fill('Kept');
    await dialog.getByRole('textbox', { name: 'URL' }).fill(url);
    const online = dialog.getByRole('switch', { name: 'Online' });
    if ((await online.getAttribute('aria-checked')) !== 'true') await online.click();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    first.adb.setDevices([{ ...note8, state: 'device' }]);
    await expect.poll(() => received.length, { timeout: 15_000 }).toBe(1);
    await first.kill('SIGKILL');

    // Someone edits webhooks.json by hand and breaks it (an org id of 0): DeviceHooks sets it aside.
    const file = join(userData, 'webhooks.json');
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { org: { id: number } };
    doc.org.id = 0;
    writeFileSync(file, JSON.stringify(doc));

    status = 200;
    const app = await launchApp({ userData });
    const { page } = app;
    await page.getByText(/1 callback\(s\) wait for webhooks that are no longer defined/).first().waitFor({ timeout: 15_000 });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Settings' }).click();
    await page.getByRole('tab', { name: 'Webhook Settings' }).click();
    const alert = page.getByRole('alert').filter({ hasText: '1 callback waits for webhooks that are no longer defined (ID 1)' });
    await alert.waitFor();
    // Held, not failed: nothing more was sent, nothing recorded as failed.
    expect(received).toHaveLength(1);
    await alert.getByRole('button', { name: 'Restore' }).click();
    await page.getByRole('status').filter({ hasText: /^Restored Kept \(1\) from / }).waitFor();
    await page.getByRole('row', { name: /^Kept/ }).waitFor();
    await expect.poll(() => received.length, { timeout: 15_000 }).toBe(2);
    expect(received[1]?.id).toBe(received[0]?.id);
    expect(JSON.parse(received[1]?.body ?? '{}')).toMatchObject({ webhookId: 1, webhookName: 'Kept', eventActivity: 'device.status.online' });
    // A new webhook never takes a used ID.
    const created = await page.evaluate(() => window.api.webhooksCreate({ webhook: { name: 'New', url: 'https://example.test/h', events: { online: true, offline: false, utilizing: false, unplugged: false } } }));
    expect(created.ok && created.value.id).toBe(2);
  });
});
