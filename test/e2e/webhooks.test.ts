import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { launchApp, makeUserData } from './harness';

async function openWebhookSettings(page: Page) {
  await page.getByRole('button', { name: /, profile menu$/ }).click();
  await page.getByRole('menuitem', { name: 'Settings' }).click();
  await page.getByRole('tab', { name: 'Webhook Settings' }).click();
  await page.getByRole('heading', { name: 'Webhooks' }).waitFor();
}

interface Form {
  name?: string;
  url?: string;
  description?: string;
  events?: Partial<Record<'Online' | 'Offline' | 'Utilizing' | 'Unplugged', boolean>>;
}

async function fillDialog(page: Page, form: Form) {
  const dialog = page.getByRole('dialog');
  if (form.name !== undefined) await dialog.getByRole('textbox', { name: 'Webhook Name' }).fill(form.name);
  if (form.url !== undefined) await dialog.getByRole('textbox', { name: 'URL' }).fill(form.url);
  if (form.description !== undefined) await dialog.getByRole('textbox', { name: 'Description' }).fill(form.description);
  for (const [label, on] of Object.entries(form.events ?? {})) {
    const toggle = dialog.getByRole('switch', { name: label });
    if ((await toggle.getAttribute('aria-checked')) !== String(on)) await toggle.click();
  }
}

/** Creates a webhook through the dialog; Online is switched on unless the form says which events. */
async function createWebhook(page: Page, form: Form) {
  await page.getByRole('button', { name: 'Create Webhook' }).click();
  await fillDialog(page, { events: { Online: true }, ...form });
  await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
}

/** The error main sent, shown next to the field the dialog labels `label`. */
async function fieldError(page: Page, label: string): Promise<string> {
  const input = page.getByRole('dialog').getByRole('textbox', { name: label });
  await expect.poll(() => input.getAttribute('aria-invalid')).toBe('true');
  const ids = (await input.getAttribute('aria-describedby')) ?? '';
  const errorId = ids.split(' ').find((id) => id.endsWith('-error'));
  return (await page.locator(`[id="${errorId}"]`).textContent()) ?? '';
}

describe('Webhook Settings', () => {
  it('creates, refuses each broken rule with main’s message next to the field, edits and deletes', async () => {
    const app = await launchApp();
    const { page } = app;
    await openWebhookSettings(page);
    await page.getByText('No webhooks yet.').waitFor();

    // A new webhook starts with no event on: switching on only Offline means only Offline callbacks.
    await page.getByRole('button', { name: 'Create Webhook' }).click();
    const switches = page.getByRole('dialog').getByRole('group', { name: 'Events' }).getByRole('switch');
    await expect(switches.count()).resolves.toBe(4);
    for (const toggle of await switches.all()) await expect(toggle.getAttribute('aria-checked')).resolves.toBe('false');
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();

    await createWebhook(page, { name: '  Lab hook  ', url: 'https://hooks.example.test/devices', description: 'Front lab', events: { Offline: true } });
    const row = page.getByRole('row', { name: /^Lab hook/ });
    await row.waitFor();
    await expect(row.getByRole('listitem').allTextContents()).resolves.toEqual(['Offline']);
    // Its ID (the webhookId in its callbacks) is in the list, to match a received payload to a row.
    await expect(row.getByRole('cell', { name: '1', exact: true }).count()).resolves.toBe(1);
    expect(await page.getByRole('dialog').count()).toBe(0);

    // Each refusal: the dialog stays open and shows main's sentence next to the field.
    const refusals: Array<[Form, string, RegExp]> = [
      [{ name: '', url: 'https://a.example' }, 'Webhook Name', /enter a name/i],
      [{ name: 'x'.repeat(51), url: 'https://a.example' }, 'Webhook Name', /50/],
      [{ name: 'Lab hook', url: 'https://a.example' }, 'Webhook Name', /already named "Lab hook"/],
      [{ name: 'Other', url: 'ftp://files.example/x' }, 'URL', /http:\/\/ or https:\/\//],
      [{ name: 'Other', url: '' }, 'URL', /enter a url/i],
      [{ name: 'Other', url: `https://a.example/${'p'.repeat(500)}` }, 'URL', /512/],
      [{ name: 'Other', url: 'https://a.example', description: 'd'.repeat(513) }, 'Description', /512/],
    ];
    for (const [form, field, message] of refusals) {
      await page.getByRole('button', { name: 'Create Webhook' }).click();
      await fillDialog(page, { events: { Online: true }, ...form });
      await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
      expect(await fieldError(page, field), `${field} for ${JSON.stringify(form).slice(0, 80)}`).toMatch(message);
      await expect(page.getByRole('dialog').isVisible()).resolves.toBe(true);
      await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
      await page.getByRole('dialog').waitFor({ state: 'detached' });
    }
    // No event switched on: the dialog starts that way, and the rule stays.
    await page.getByRole('button', { name: 'Create Webhook' }).click();
    await fillDialog(page, { name: 'Quiet', url: 'https://a.example' });
    await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
    await page.getByRole('dialog').getByText('Choose at least one event').waitFor();
    await app.screenshot('webhook-dialog-error');
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();

    // Case-sensitive: "lab hook" is a different name. 50 emoji are 50 characters.
    await createWebhook(page, { name: 'lab hook', url: 'http://127.0.0.1:9/x' });
    await page.getByRole('row', { name: /^lab hook/ }).waitFor();
    await createWebhook(page, { name: '🛰'.repeat(50), url: 'https://emoji.example' });
    await page.getByRole('row', { name: new RegExp('🛰'.repeat(50)) }).waitFor();
    expect(await page.getByRole('row').count()).toBe(4); // header + 3

    // Edit.
    await page.getByRole('row', { name: /^Lab hook/ }).getByRole('button', { name: 'Edit', exact: true }).click();
    await expect(page.getByRole('dialog').getByRole('textbox', { name: 'URL' }).inputValue()).resolves.toBe('https://hooks.example.test/devices');
    await fillDialog(page, { url: 'https://hooks.example.test/v2', events: { Unplugged: true } });
    await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
    await page.getByRole('row', { name: /^Lab hook/ }).getByText('https://hooks.example.test/v2').waitFor();
    await expect(page.getByRole('row', { name: /^Lab hook/ }).getByRole('listitem').allTextContents()).resolves.toEqual(['Offline', 'Unplugged']);
    await expect(page.getByRole('row', { name: /^lab hook/ }).getByRole('cell', { name: '2', exact: true }).count()).resolves.toBe(1);
    await app.screenshot('webhook-settings');

    // Delete: Cancel keeps it, Delete removes it.
    await page.getByRole('row', { name: /^lab hook/ }).getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('row', { name: /^lab hook/ }).waitFor();
    await page.getByRole('row', { name: /^lab hook/ }).getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('alertdialog').waitFor({ state: 'detached' });
    await expect.poll(() => page.getByRole('row').count()).toBe(3);

    const saved = JSON.parse(readFileSync(join(app.userData, 'webhooks.json'), 'utf8')) as { webhooks: { id: number; name: string }[] };
    expect(saved.webhooks.map((w) => [w.id, w.name])).toEqual([
      [1, 'Lab hook'],
      [3, '🛰'.repeat(50)],
    ]);
  });

  it('keeps webhooks and the organization across quit and relaunch on the same data folder', async () => {
    const userData = makeUserData('persist');
    const first = await launchApp({ userData: userData });
    await openWebhookSettings(first.page);
    await createWebhook(first.page, { name: 'Persistent', url: 'https://p.example/hook' });
    await first.page.getByRole('row', { name: /Persistent/ }).waitFor();
    await first.page.getByRole('tab', { name: 'Organization' }).click();
    await first.page.getByRole('textbox', { name: 'Organization ID' }).fill('0');
    await first.page.getByRole('button', { name: 'Save' }).click();
    await first.page.getByText(/positive whole number/i).last().waitFor();
    await first.page.getByRole('textbox', { name: 'Organization ID' }).fill('42');
    await first.page.getByRole('textbox', { name: 'Organization name' }).fill('Device Lab');
    await first.page.getByRole('button', { name: 'Save' }).click();
    await first.page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await expect(first.quit()).resolves.toBe(0);

    const second = await launchApp({ userData: userData });
    await openWebhookSettings(second.page);
    await second.page.getByRole('row', { name: /Persistent/ }).getByText('https://p.example/hook').waitFor();
    await second.page.getByRole('tab', { name: 'Organization' }).click();
    await expect(second.page.getByRole('textbox', { name: 'Organization ID' }).inputValue()).resolves.toBe('42');
    await expect(second.page.getByRole('textbox', { name: 'Organization name' }).inputValue()).resolves.toBe('Device Lab');
  });

  it('a Member sees Webhook Settings read-only and main refuses their changes', async () => {
    const userData = makeUserData('member');
    const app = await launchApp({ userData: userData });
    const { page } = app;
    await openWebhookSettings(page);
    await createWebhook(page, { name: 'Admin made', url: 'https://a.example/hook' });
    await page.getByRole('row', { name: /Admin made/ }).waitFor();

    await page.getByRole('tab', { name: 'Profiles' }).click();
    const add = page.getByRole('form', { name: 'Add a profile' });
    await add.getByRole('textbox', { name: 'Profile name' }).fill('Tess Tester');
    await add.getByRole('combobox', { name: 'Role' }).selectOption('member');
    await add.getByRole('button', { name: 'Add profile' }).click();
    // The first Admin is asked to set a passphrase now that a second profile exists: not now.
    await page.getByRole('dialog', { name: /^Set a passphrase for / }).getByRole('button', { name: 'Not now' }).click();
    await page.getByRole('row', { name: /Tess Tester/ }).waitFor();

    await page.getByRole('button', { name: /, profile menu$/ }).click();
    await page.getByRole('menuitem', { name: /Switch to Tess Tester/ }).click();
    await page.getByRole('button', { name: 'Tess Tester Member, profile menu' }).waitFor();
    await page.getByRole('tab', { name: 'Webhook Settings' }).click();
    await page.getByRole('note').filter({ hasText: 'Read only.' }).waitFor();
    await expect(page.getByRole('button', { name: 'Create Webhook' }).isDisabled()).resolves.toBe(true);
    await expect(page.getByRole('row', { name: /^Admin made/ }).getByRole('button', { name: 'Edit', exact: true }).isDisabled()).resolves.toBe(true);
    await expect(page.getByRole('row', { name: /^Admin made/ }).getByRole('button', { name: 'Delete', exact: true }).isDisabled()).resolves.toBe(true);
    await app.screenshot('webhook-settings-member');

    // The UI only reflects the rule: main enforces it, whatever the page sends.
    const refused = await page.evaluate(() =>
      window.api.webhooksCreate({ webhook: { name: 'Sneaky', url: 'https://s.example', events: { online: true, offline: false, utilizing: false, unplugged: false } } }),
    );
    expect(refused).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    const removed = await page.evaluate(() => window.api.webhooksRemove({ id: 1 }));
    expect(removed).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    const saved = JSON.parse(readFileSync(join(userData, 'webhooks.json'), 'utf8')) as { webhooks: { name: string }[] };
    expect(saved.webhooks.map((w) => w.name)).toEqual(['Admin made']);
  });

  it('a data file that does not parse is moved aside, the window says where, and nothing is overwritten', async () => {
    const userData = makeUserData('corrupt');
    writeFileSync(join(userData, 'webhooks.json'), '{"schemaVersion": 1, "webhooks": [ oops');
    const app = await launchApp({ userData: userData });
    const banner = app.page.getByRole('status').filter({ hasText: /webhooks\.json/ });
    await banner.waitFor();
    const moved = readdirSync(userData).find((f) => f.startsWith('webhooks.json.corrupt-'));
    expect(moved).toBeDefined();
    expect(await banner.textContent()).toContain(moved);
    expect(readFileSync(join(userData, moved ?? ''), 'utf8')).toBe('{"schemaVersion": 1, "webhooks": [ oops');
    await app.screenshot('corrupt-banner');
  });

  it('exports to a file and imports all or nothing, listing every problem', async () => {
    const app = await launchApp();
    const { page } = app;
    await openWebhookSettings(page);
    await createWebhook(page, { name: 'Exported', url: 'https://e.example/hook' });
    await page.getByRole('row', { name: /Exported/ }).waitFor();

    const exportFile = join(app.userData, 'export.json');
    app.command({ cmd: 'dialog-answer', filePath: exportFile });
    await page.getByRole('button', { name: 'Export…' }).click();
    await page.getByRole('status').filter({ hasText: `Exported 1 webhook(s) to ${exportFile}` }).waitFor();
    const exported = JSON.parse(readFileSync(exportFile, 'utf8')) as { webhooks: { name: string }[] };
    expect(exported.webhooks.map((w) => w.name)).toEqual(['Exported']);

    const bad = join(app.userData, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({
        ...exported,
        webhooks: [
          { name: 'Fine', url: 'https://f.example', events: { online: true, offline: false, utilizing: false, unplugged: false } },
          { name: 'Exported', url: 'https://dup.example', events: { online: true, offline: false, utilizing: false, unplugged: false } },
          { name: 'Bad url', url: 'javascript:alert(1)', events: { online: true, offline: false, utilizing: false, unplugged: false } },
        ],
      }),
    );
    app.command({ cmd: 'dialog-answer', filePaths: [bad] });
    await page.getByRole('button', { name: 'Import…' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'Nothing was imported' });
    await alert.waitFor();
    await expect(alert.getByRole('listitem').count()).resolves.toBe(2);
    await expect(alert.getByRole('listitem').first().textContent()).resolves.toMatch(/Entry 2 · name/);
    expect(await page.getByRole('row', { name: /Fine/ }).count()).toBe(0);

    const good = join(app.userData, 'good.json');
    writeFileSync(good, JSON.stringify({ ...exported, webhooks: [{ name: 'Imported', url: 'https://i.example', events: { online: false, offline: true, utilizing: false, unplugged: false } }] }));
    app.command({ cmd: 'dialog-answer', filePaths: [good] });
    await page.getByRole('button', { name: 'Import…' }).click();
    await page.getByRole('row', { name: /Imported/ }).waitFor();
    expect(existsSync(join(app.userData, 'webhooks.json'))).toBe(true);
  });
});
