// Editing a webhook while the OS keyring is locked never erases what the dialog cannot show. The OS
// keyring is the stand-in's safeStorage: DH_STANDIN_SAFE_STORAGE=0 launches the app with it unavailable,
// after a launch that sealed the secret and the header value with it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { launchApp, makeUserData } from './harness';
import { openWebhookSettings, signatureValid, startRecorder } from './helpers';

const storedSecrets = (userData: string) =>
  (JSON.parse(readFileSync(join(userData, 'webhooks.json'), 'utf8')) as { webhooks: { secret?: unknown; headers: unknown[]; description?: string }[] }).webhooks[0];

const LOCKED = 'The OS keyring is locked; unlock it to change secrets';
const TOKEN = 'Bearer lab-token-7f3a';

describe('editing under a locked OS keyring', () => {
  it('keeps the secret and the header value; a new value is refused; later deliveries still carry both', async () => {
    const userData = makeUserData('keyring');
    const recorder = await startRecorder({ reply: () => ({ status: 200, body: 'ok' }) });

    // 1. Keyring available: a signed webhook with an Authorization header.
    const first = await launchApp({ userData });
    await openWebhookSettings(first.page);
    await first.page.getByRole('button', { name: 'Create Webhook' }).click();
    let dialog = first.page.getByRole('dialog');
    await dialog.getByRole('textbox', { name: 'Webhook Name' }).fill('Locked lab');
    await dialog.getByRole('textbox', { name: 'URL' }).fill(recorder.url);
    await dialog.getByRole('switch', { name: 'Online' }).click();
    await dialog.getByRole('switch', { name: 'Signing secret' }).click();
    await dialog.getByRole('button', { name: 'Add header' }).click();
    await dialog.getByRole('textbox', { name: 'Header 1 name' }).fill('Authorization');
    await dialog.getByRole('textbox', { name: 'Header 1 value' }).fill(TOKEN);
    await dialog.getByRole('button', { name: 'Save' }).click();
    const secret = (await first.page.getByTestId('signing-secret').textContent()) ?? '';
    expect(secret).toMatch(/^whsec_/);
    await first.page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    const sealed = storedSecrets(userData);
    expect(sealed?.secret).toMatchObject({ scheme: 'os' });
    await expect(first.quit()).resolves.toBe(0);

    // 2. Keyring locked: the dialog says what it cannot show; saving keeps it; a new value is refused.
    const second = await launchApp({ userData, env: { DH_STANDIN_SAFE_STORAGE: '0' } });
    await openWebhookSettings(second.page);
    await second.page.getByRole('row', { name: /^Locked lab/ }).getByRole('button', { name: 'Edit' }).click();
    dialog = second.page.getByRole('dialog');
    await dialog.getByText(/keyring is locked or not available\. Saving keeps the stored secret\./).waitFor();
    const value = dialog.getByRole('textbox', { name: 'Header 1 value' });
    await expect.poll(() => value.getAttribute('aria-describedby')).toMatch(/unreadable/);
    await expect(second.page.locator(`[id="${(await value.getAttribute('aria-describedby')) ?? ''}"]`).textContent()).resolves.toMatch(
      /can't be read now.*keeps the stored value unless you type a new one/i,
    );
    await dialog.getByText(/The OS keyring is locked:/).waitFor();

    await value.fill('Bearer typed-while-locked');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByText(LOCKED).waitFor();
    await second.screenshot('webhook-dialog-keyring-locked');
    expect(storedSecrets(userData)).toEqual(sealed);

    await value.fill('');
    await dialog.getByRole('textbox', { name: 'Description' }).fill('edited while locked');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    const afterEdit = storedSecrets(userData);
    expect(afterEdit?.description).toBe('edited while locked');
    expect(afterEdit?.secret).toEqual(sealed?.secret);
    expect(afterEdit?.headers).toEqual(sealed?.headers);
    await expect(second.quit()).resolves.toBe(0);

    // 3. Keyring back: a callback carries the header and a signature made with the same secret.
    const third = await launchApp({ userData });
    third.adb.setDevices([{ serial: 'R58M1234ABC', usb: '1-1', model: 'SM-G991B', state: 'device' }]);
    await expect.poll(() => recorder.received.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
    const [callback] = recorder.received;
    expect(callback?.headers['authorization']).toBe(TOKEN);
    expect(signatureValid(callback?.headers ?? {}, callback?.body ?? '', secret)).toBe(true);
  });
});
