import { describe, expect, it } from 'vitest';
import { launchApp, makeUserData } from './harness';
import { axeScan, createWebhook, note8, signatureValid, startRecorder } from './helpers';
import type { Reply } from './helpers';
import { CALLBACK_KEYS, ISO_TIME, note8Online } from '../support/callbacks';
import { NOT_ALLOWED_MESSAGE } from '../../preload/contract';


/** An independent receiver written for the hosted product: it just records what arrives. */
const hostedReply = (): Reply => ({ status: 200, headers: { 'Content-Type': 'application/json' }, body: '{"received":true}' });

describe('Callbacks', () => {
  it('sends the exact payload, signed, to a receiver written for the hosted product', async () => {
    const app = await launchApp();
    const { page } = app;
    const recorder = await startRecorder({ reply: hostedReply });
    const secret = await createWebhook(page, 'Lab receiver', recorder.url, { events: { Online: true, Offline: true }, signing: true });
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);

    app.adb.setDevices([{ ...note8, state: 'device' }]);
    await expect.poll(() => recorder.received.length, { timeout: 10_000 }).toBe(1);
    const [first] = recorder.received;
    const body = JSON.parse(first?.body ?? '{}') as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(CALLBACK_KEYS);
    expect(body).toMatchObject(note8Online(note8.serial));
    expect(String(body.creationTime)).toMatch(ISO_TIME);
    expect(first?.headers['content-type']).toBe('application/json');
    expect(first?.headers['user-agent']).toMatch(/^DeviceHooks\/\d+\.\d+\.\d+/);
    expect(signatureValid(first?.headers ?? {}, first?.body ?? '', secret ?? '')).toBe(true);

    app.adb.setDevices([{ ...note8, state: 'offline' }]);
    await expect.poll(() => recorder.received.length, { timeout: 10_000 }).toBe(2);
    expect(JSON.parse(recorder.received[1]?.body ?? '{}')).toMatchObject({ eventActivity: 'device.status.offline', eventDescription: 'Offline' });
  });

  it('test event through the UI: seen in the history and in the built-in receiver, then redelivered', async () => {
    const app = await launchApp();
    const { page } = app;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Test receiver' }).click();
    await page.getByRole('textbox', { name: 'Port' }).fill('0');
    await page.getByRole('button', { name: 'Start receiver' }).click();
    const status = page.getByRole('status').filter({ hasText: 'Listening on' });
    await status.waitFor();
    const receiverUrl = (await status.locator('code').textContent()) ?? '';
    expect(receiverUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/hooks$/);

    const secret = await createWebhook(page, 'Rehearsal', receiverUrl, { signing: true });
    expect(secret).toBeTruthy();
    await page.getByRole('row', { name: /^Rehearsal/ }).getByRole('button', { name: 'Deliveries', exact: true }).click();
    await page.getByRole('heading', { name: 'Deliveries', level: 1 }).waitFor();
    await page.getByText('No deliveries yet.').waitFor();
    await page.getByRole('button', { name: 'Send test event' }).click();
    await page.getByRole('menuitem', { name: 'Unplugged' }).click();
    await page.getByRole('status').filter({ hasText: /Test event sent: HTTP 200/ }).waitFor();
    const list = page.getByRole('list', { name: 'Delivery attempts' });
    await expect.poll(() => list.getByRole('listitem').count()).toBe(1);
    const detail = page.getByRole('region', { name: /Attempt 1 of delivery/ });
    await expect(detail.getByLabel('Request body').textContent()).resolves.toContain('"eventActivity": "device.state.unplugged"');
    await expect(detail.getByLabel('Request body').textContent()).resolves.toContain('"deviceName": "Sample device"');
    await expect(detail.getByLabel('Response body').textContent()).resolves.toBe('{"ok":true}');
    await app.screenshot('deliveries');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Test receiver' }).click();
    const received = page.getByRole('list', { name: 'Received requests' });
    await received.getByText('Signature valid').waitFor();
    await received.getByRole('button', { name: /#1 POST \/hooks/ }).click();
    await expect(page.getByLabel('Body of request 1').textContent()).resolves.toContain('"eventType":"DEVICE"');
    await app.screenshot('receiver');

    // Rehearse a failure: the receiver answers 503; a real device event fails and is retried.
    await page.getByRole('textbox', { name: 'Answer with status' }).fill('503');
    await page.getByRole('button', { name: 'Set answer' }).click();
    await page.getByRole('status').filter({ hasText: 'answering HTTP 503' }).waitFor();
    app.adb.setDevices([{ ...note8, state: 'device' }]);
    await received.getByText(/#2 POST/).waitFor({ timeout: 10_000 });
    await page.getByRole('textbox', { name: 'Answer with status' }).fill('200');
    await page.getByRole('button', { name: 'Set answer' }).click();

    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Deliveries' }).click();
    await page.getByText('Failed', { exact: true }).click();
    await list.getByText('HTTP 503').first().waitFor();
    await page.getByText('All', { exact: true }).click();
    // The schedule retries after about 5 s; the retry succeeds.
    await list.getByText('HTTP 200').nth(1).waitFor({ timeout: 15_000 });

    // Redeliver the device's delivery: the same message (webhook-id) again.
    await list.getByRole('button').filter({ hasText: 'HTTP 200' }).filter({ hasText: '#1' }).click();
    const messageId = (await page.getByRole('region', { name: /Attempt/ }).locator('dd.mono').first().textContent()) ?? '';
    await page.getByRole('button', { name: 'Redeliver' }).click();
    await page.getByRole('status').filter({ hasText: 'Queued again' }).waitFor();
    await expect.poll(() => list.getByRole('listitem').count(), { timeout: 10_000 }).toBe(4);
    const all = await page.evaluate(() => window.api.deliveriesList({ webhookId: 1 }));
    const sameMessage = all.ok ? all.value.filter((a) => a.messageId === messageId) : [];
    expect(sameMessage.map((a) => a.result)).toEqual(['success', 'success', 'failure']);
  });

  it('a webhook scoped to iOS in the dialog gets the iPhone’s callbacks and not the Android phone’s', async () => {
    const app = await launchApp();
    const { page } = app;
    const recorder = await startRecorder({ reply: hostedReply });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Settings' }).click();
    await page.getByRole('button', { name: 'Create Webhook' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('textbox', { name: 'Webhook Name' }).fill('iOS only');
    await dialog.getByRole('textbox', { name: 'URL' }).fill(recorder.url);
    await dialog.getByRole('switch', { name: 'Online' }).click();
    await dialog.getByRole('group', { name: 'Platforms' }).getByRole('checkbox', { name: 'iOS' }).check();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });

    app.adb.setDevices([{ ...note8, state: 'device' }]);
    app.usbmux.attach({ udid: '00008030-001A35E11A88002E', name: 'Ana’s iPhone' });
    await expect.poll(() => recorder.received.length, { timeout: 10_000 }).toBe(1);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Devices' }).click();
    await expect.poll(() => page.getByRole('row', { name: 'Galaxy Note 8' }).getByTestId('status').textContent(), { timeout: 10_000 }).toBe('Online');
    // Time for a wrongly matched Android callback to arrive, had one been sent.
    await page.waitForTimeout(1000);
    expect(recorder.received.map((r) => (JSON.parse(r.body) as { deviceName: string }).deviceName)).toEqual(['Ana’s iPhone']);
  });

  it('keeps a delivery through a killed process and sends it at the next launch', async () => {
    const userData = makeUserData('outbox');
    const first = await launchApp({ userData: userData });
    // A receiver that is not there yet: the first attempt is refused.
    const probe = await startRecorder({ reply: hostedReply });
    const port = probe.port;
    await probe.close();
    await createWebhook(first.page, 'Later', `http://127.0.0.1:${port}/hooks`);
    first.adb.setDevices([{ ...note8, state: 'device' }]);
    await first.page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Deliveries' }).click();
    await first.page.getByRole('list', { name: 'Delivery attempts' }).getByText('Connection refused').waitFor({ timeout: 10_000 });
    await first.kill('SIGKILL');

    const recorder = await startRecorder({ reply: hostedReply, port });
    const second = await launchApp({ userData: userData });
    await expect.poll(() => recorder.received.length, { timeout: 20_000 }).toBe(1);
    expect(JSON.parse(recorder.received[0]?.body ?? '{}')).toMatchObject({ deviceUdid: note8.serial, eventActivity: 'device.status.online' });
    await second.page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Deliveries' }).click();
    await second.page.getByRole('list', { name: 'Delivery attempts' }).getByText('HTTP 200').waitFor();
  });

  it('a profile whose role may not see deliveries is told so and shown none; back as Admin, the list has what was sent meanwhile', async () => {
    const app = await launchApp();
    const { page } = app;
    const recorder = await startRecorder({ reply: hostedReply });
    await createWebhook(page, 'Lab receiver', recorder.url, { events: { Online: true, Offline: true } });
    app.adb.setDevices([{ ...note8, state: 'device' }]);
    await expect.poll(() => recorder.received.length, { timeout: 10_000 }).toBe(1);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Deliveries' }).click();
    const rows = page.getByRole('list', { name: 'Delivery attempts' }).getByRole('listitem');
    await expect.poll(() => rows.count()).toBe(1);

    // A role with no permission at all, and a profile with it (set up through the same API the console uses).
    const ids = await page.evaluate(async () => {
      type Answer = { ok: boolean; value: { id: string | number } };
      const api = (window as unknown as { api: Record<string, (r?: unknown) => Promise<Answer>> }).api;
      const role = await api['rolesCreate']!({ name: 'Night watch', permissions: [] });
      const profile = await api['profilesCreate']!({ name: 'Night shift', roleId: role.value.id });
      const state = (await api['profilesState']!()) as unknown as { ok: boolean; value: { activeProfileId: number } };
      return { night: profile.value.id, admin: state.value.activeProfileId };
    });
    await page.evaluate(async (id) => {
      const api = (window as unknown as { api: Record<string, (r?: unknown) => Promise<unknown>> }).api;
      await api['profilesSwitch']!({ id });
    }, ids.night);
    await page.getByRole('alert').filter({ hasText: NOT_ALLOWED_MESSAGE }).waitFor();
    expect(await rows.count()).toBe(0);
    expect(await page.content()).not.toContain(note8.serial);
    // That state passes the accessibility scan too, light and dark.
    const findings: string[] = [];
    const scanned: string[] = [];
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await axeScan(app, scheme, 'deliveries-not-allowed', findings, scanned);
    }
    expect(scanned).toEqual(['light:deliveries-not-allowed', 'dark:deliveries-not-allowed']);
    expect(findings).toEqual([]);
    await page.emulateMedia({ colorScheme: 'light' });

    // A callback goes out while that profile is active…
    app.adb.setDevices([{ ...note8, state: 'offline' }]);
    await expect.poll(() => recorder.received.length, { timeout: 10_000 }).toBe(2);
    // …and the Admin, back, sees it without leaving the view.
    await page.evaluate(async (id) => {
      const api = (window as unknown as { api: Record<string, (r?: unknown) => Promise<unknown>> }).api;
      await api['profilesSwitch']!({ id });
    }, ids.admin);
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(2);
    await app.screenshot('deliveries-after-profile-switch');
  });
});
