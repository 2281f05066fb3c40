// An automated accessibility scan (axe-core) of every view and every dialog of the built app, in the
// light and the dark colour scheme: no serious or critical violation. Exceptions, each with its reason,
// would be in helpers.ts beside axeScan(); there are none today. The Deliveries view as a profile whose
// role may not see deliveries is scanned where that state is set up (deliveries.test.ts).
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { launchApp } from './harness';
import { axeScan } from './helpers';

const note8 = { serial: 'ce0917193a6e4f2b05', usb: '1-1', model: 'SM-N950F', settings: { global: { device_name: 'Galaxy Note 8' } } };
// An unauthorized phone is Offline: its status colour is on screen too.
const pixel = { serial: '8A2X0K3Q1', usb: '1-2', model: 'Pixel 7', state: 'unauthorized' as const };

async function nav(page: Page, label: string) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: label }).click();
}

async function closeDialog(page: Page) {
  await page.keyboard.press('Escape');
  await page.getByRole('dialog').or(page.getByRole('alertdialog')).or(page.getByRole('menu')).waitFor({ state: 'detached' });
}

const VIEWS = [
  'devices',
  'mark-in-use-dialog',
  'devices-report',
  'devices-report-custom',
  'deliveries',
  'send-test-event-menu',
  'receiver',
  'webhook-settings',
  'create-webhook-dialog',
  'create-webhook-dialog-errors',
  'edit-webhook-dialog',
  'delete-webhook-dialog',
  'organization',
  'profiles',
  'edit-profile-dialog',
  'remove-profile-dialog',
  'local-api',
  'general',
  'about-dialog',
  'profile-menu',
  'switch-profile-dialog',
];

describe('accessibility (axe-core)', () => {
  it('every view and every dialog, light and dark: no serious or critical violation', async () => {
    const app = await launchApp();
    const { page } = app;

    // Content for every view: a phone (Devices, Recent events), a webhook with a delivery (Webhook
    // Settings, Deliveries with an attempt open), the test receiver running, a second profile.
    await nav(page, 'Test receiver');
    await page.getByRole('textbox', { name: 'Port' }).fill('0');
    await page.getByRole('button', { name: 'Start receiver' }).click();
    const listening = page.getByRole('status').filter({ hasText: 'Listening on' });
    await listening.waitFor();
    const receiverUrl = (await listening.locator('code').textContent()) ?? '';
    await nav(page, 'Settings');
    await page.getByRole('button', { name: 'Create Webhook' }).click();
    const create = page.getByRole('dialog');
    await create.getByRole('textbox', { name: 'Webhook Name' }).fill('Lab receiver');
    await create.getByRole('textbox', { name: 'URL' }).fill(receiverUrl);
    await create.getByRole('switch', { name: 'Online' }).click();
    await create.getByRole('switch', { name: 'Signing secret' }).click();
    await create.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('signing-secret').waitFor();
    await closeDialog(page);
    await page.getByRole('tab', { name: 'Profiles' }).click();
    const add = page.getByRole('form', { name: 'Add a profile' });
    await add.getByRole('textbox', { name: 'Profile name' }).fill('Lab Lead');
    await add.getByLabel('Passphrase (optional)').fill('correct horse');
    await add.getByRole('button', { name: 'Add profile' }).click();
    const findings: string[] = [];
    const scanned: string[] = [];
    // A second profile exists now: the first Admin is asked once to set a passphrase (scanned here, in both schemes).
    const ask = page.getByRole('dialog', { name: /^Set a passphrase for / });
    await ask.waitFor();
    const askScanned: string[] = [];
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await axeScan(app, scheme, 'set-passphrase-dialog', findings, askScanned);
    }
    await ask.getByRole('button', { name: 'Not now' }).click();
    await ask.waitFor({ state: 'detached' });
    await page.getByRole('row', { name: /Lab Lead/ }).waitFor();
    app.adb.setDevices([{ ...note8, state: 'device' }, pixel]);
    app.usbmux.attach({ udid: '00008030-001A35E11A88002E', name: 'Ana’s iPhone' });
    await nav(page, 'Devices');
    await page.getByRole('row', { name: 'Galaxy Note 8' }).getByText('Online', { exact: true }).waitFor({ timeout: 15_000 });

    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      const check = (view: string) => axeScan(app, scheme, view, findings, scanned);
      /** Clicks `opener`, waits for `shown` and scans the page as `view`. */
      const checkAfter = async (opener: Locator, shown: Locator, view: string) => {
        await opener.click();
        await shown.waitFor();
        await check(view);
      };
      /** The same for a dialog or menu, closed again after the scan. */
      const checkPopup = async (opener: Locator, shown: Locator, view: string) => {
        await checkAfter(opener, shown, view);
        await closeDialog(page);
      };

      await nav(page, 'Devices');
      await page.getByRole('list', { name: 'Recent events' }).getByText('Online').first().waitFor();
      await check('devices');
      await checkPopup(page.getByRole('row', { name: 'Galaxy Note 8' }).getByRole('button', { name: 'Mark in use', exact: true }), page.getByRole('dialog'), 'mark-in-use-dialog');
      // Devices › Report: the phones seen in this run, as stacked bars and percentages.
      await page.getByRole('tab', { name: 'Report' }).click();
      await page.getByRole('radio', { name: 'Today' }).check();
      await page.getByRole('table', { name: 'Utilization' }).getByRole('row', { name: 'Galaxy Note 8' }).waitFor({ timeout: 10_000 });
      await check('devices-report');
      await page.getByRole('radio', { name: 'Custom' }).check();
      await check('devices-report-custom');
      await page.getByRole('tab', { name: 'Devices' }).click();

      await nav(page, 'Deliveries');
      const attempts = page.getByRole('list', { name: 'Delivery attempts' });
      await attempts.getByRole('listitem').first().waitFor({ timeout: 15_000 });
      await attempts.getByRole('button').first().click();
      await page.getByRole('region', { name: /Attempt/ }).waitFor();
      await check('deliveries');
      await checkPopup(page.getByRole('button', { name: 'Send test event' }), page.getByRole('menu'), 'send-test-event-menu');

      await nav(page, 'Test receiver');
      await page.getByRole('list', { name: 'Received requests' }).getByText('Signature valid').first().waitFor();
      await check('receiver');

      await nav(page, 'Settings');
      await page.getByRole('tab', { name: 'Webhook Settings' }).click();
      const row = page.getByRole('row', { name: /^Lab receiver/ });
      await row.waitFor();
      await check('webhook-settings');
      await checkAfter(page.getByRole('button', { name: 'Create Webhook' }), page.getByRole('dialog'), 'create-webhook-dialog');
      await checkPopup(page.getByRole('dialog').getByRole('button', { name: 'Save' }), page.getByRole('dialog').getByText('Choose at least one event'), 'create-webhook-dialog-errors');
      await checkPopup(row.getByRole('button', { name: 'Edit', exact: true }), page.getByTestId('signing-secret'), 'edit-webhook-dialog');
      await checkPopup(row.getByRole('button', { name: 'Delete', exact: true }), page.getByRole('alertdialog'), 'delete-webhook-dialog');

      await checkAfter(page.getByRole('tab', { name: 'Organization' }), page.getByRole('textbox', { name: 'Organization ID' }), 'organization');

      await page.getByRole('tab', { name: 'Profiles' }).click();
      const lead = page.getByRole('row', { name: /Lab Lead/ });
      await lead.waitFor();
      await check('profiles');
      await checkPopup(lead.getByRole('button', { name: 'Edit', exact: true }), page.getByRole('dialog'), 'edit-profile-dialog');
      await checkPopup(lead.getByRole('button', { name: 'Remove', exact: true }), page.getByRole('alertdialog'), 'remove-profile-dialog');

      await checkAfter(page.getByRole('tab', { name: 'Local API' }), page.getByRole('heading', { name: 'Local API' }), 'local-api');
      await checkAfter(page.getByRole('tab', { name: 'General' }), page.getByRole('heading', { name: 'General' }), 'general');

      await checkPopup(page.getByRole('button', { name: 'About' }), page.getByTestId('about-version'), 'about-dialog');

      await checkAfter(page.getByRole('button', { name: /, profile menu$/ }), page.getByRole('menu'), 'profile-menu');
      await checkPopup(page.getByRole('menuitem', { name: /Switch to Lab Lead/ }), page.getByRole('dialog', { name: 'Switch to Lab Lead' }), 'switch-profile-dialog');
    }

    expect(askScanned).toEqual(['light:set-passphrase-dialog', 'dark:set-passphrase-dialog']);
    expect(scanned).toEqual(['light', 'dark'].flatMap((scheme) => VIEWS.map((v) => `${scheme}:${v}`)));
    expect(findings).toEqual([]);
  });
});
