// What a receiver sees when a callback is retried or the webhook changes while it waits: the body is
// composed at each try (creationTime = that try, the webhook's current name), webhook-id stays the same,
// and a callback the webhook no longer wants is Skipped, not Failed.
import { describe, expect, it } from 'vitest';
import { launchApp } from './harness';
import type { Received } from './helpers';
import { createWebhook, editWebhook, note8, rowButton, signatureValid, startRecorder, statusesInTurn } from './helpers';

const body = (r: Received | undefined) => JSON.parse(r?.body ?? '{}') as Record<string, unknown>;

describe('Callbacks composed at each try', () => {
  it('retried after 500, 500: the successful try carries its own creationTime, the same webhook-id, the new name, a valid signature', async () => {
    const app = await launchApp();
    const { page } = app;
    const recorder = await startRecorder({ reply: statusesInTurn([500, 500, 200]) });
    const secret = await createWebhook(page, 'Lab receiver', recorder.url, { events: { Online: true }, signing: true });
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
      expect(signatureValid(r.headers, r.body, secret)).toBe(true);
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
    const plain = await startRecorder({ reply: statusesInTurn([503], 600) });
    const doomed = await startRecorder({ reply: statusesInTurn([503], 600) });
    await createWebhook(page, 'Plain', plain.url, { events: { Online: true, Offline: false } });
    await createWebhook(page, 'Doomed', doomed.url, { events: { Online: true, Offline: false } });

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
    // The list re-renders for the filter: wait for it to settle (a Skipped entry also shows under All).
    await expect.poll(() => list.getByRole('listitem').count()).toBe(1);
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
