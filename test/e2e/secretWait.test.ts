// A signed webhook whose secret cannot be opened at the next launch (the OS keyring is locked): it is
// "Waiting — secret unavailable", its callbacks queue and wait, nothing goes out unsigned, the other
// webhooks are not held up, and when the keyring opens its callbacks go out in order, signed.
import { describe, expect, it } from 'vitest';
import { launchApp, makeUserData } from './harness';
import { createWebhook, note8, openWebhookSettings, signatureValid, startRecorder } from './helpers';

describe('Waiting — secret unavailable', () => {
  it('a locked keyring between two launches: callbacks wait (visibly), others go on, then go out signed and in order', async () => {
    const userData = makeUserData('keyring');
    const signed = await startRecorder();
    const open = await startRecorder();
    const first = await launchApp({ userData });
    const secret = await createWebhook(first.page, 'Signed hook', signed.url, { events: { Online: true, Offline: true }, signing: true });
    await createWebhook(first.page, 'Open hook', open.url, { events: { Online: true, Offline: true } });
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
    expect(signed.received.every((r) => signatureValid(r.headers, r.body, secret))).toBe(true);
    await page.getByText('Webhook Signed hook can be signed again: its waiting callbacks are being sent.').waitFor();
  });
});
