import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { launchApp } from './harness';

/** The app started, on Settings › Profiles (reached through the profile menu). */
async function profilesTab() {
  const app = await launchApp();
  await app.page.getByRole('button', { name: /, profile menu$/ }).click();
  await app.page.getByRole('menuitem', { name: 'Settings' }).click();
  await app.page.getByRole('tab', { name: 'Profiles' }).click();
  return app;
}

describe('Profiles', () => {
  it('asks for a passphrase when switching, refuses a wrong one, and never stores it in plain text', async () => {
    const app = await profilesTab();
    const { page } = app;

    const add = page.getByRole('form', { name: 'Add a profile' });
    await add.getByRole('textbox', { name: 'Profile name' }).fill('Lab Lead');
    await add.getByRole('combobox', { name: 'Role' }).selectOption('admin');
    await add.getByLabel('Passphrase (optional)').fill('abcdefg');
    await add.getByRole('button', { name: 'Add profile' }).click();
    await add.getByText(/at least 8 characters/).waitFor();
    await add.getByLabel('Passphrase (optional)').fill('correct horse');
    await add.getByRole('button', { name: 'Add profile' }).click();
    // A second profile exists now: the first Admin is asked to set a passphrase (later, below).
    await page.getByRole('dialog', { name: /^Set a passphrase for / }).getByRole('button', { name: 'Not now' }).click();
    await page.getByRole('row', { name: /Lab Lead/ }).getByText('Set').waitFor();
    expect(readFileSync(join(app.userData, 'profiles.json'), 'utf8')).not.toContain('correct horse');

    await page.getByRole('button', { name: /, profile menu$/ }).click();
    await page.getByRole('menuitem', { name: /Switch to Lab Lead/ }).click();
    const ask = page.getByRole('dialog', { name: 'Switch to Lab Lead' });
    await ask.getByLabel('Passphrase').fill('wrong horse');
    await ask.getByRole('button', { name: 'Switch' }).click();
    await ask.getByText('That is not the passphrase of "Lab Lead".').waitFor();
    await expect(ask.getByLabel('Passphrase').getAttribute('aria-invalid')).resolves.toBe('true');
    await ask.getByLabel('Passphrase').fill('correct horse');
    await ask.getByRole('button', { name: 'Switch' }).click();
    await page.getByRole('button', { name: 'Lab Lead Admin, profile menu' }).waitFor();

    // Rename the first profile and give it a passphrase; clear Lab Lead's.
    const firstName = (await page.getByRole('row').nth(1).getByRole('rowheader').textContent())?.replace('active', '') ?? '';
    await page.getByRole('row').nth(1).getByRole('button', { name: 'Edit', exact: true }).click();
    const edit = page.getByRole('dialog', { name: `Edit profile ${firstName}` });
    await edit.getByRole('textbox', { name: 'Profile name' }).fill('Night Shift');
    await edit.getByLabel('New passphrase').fill('moon river');
    await edit.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('row', { name: /Night Shift/ }).getByText('Set').waitFor();
    await page.getByRole('row', { name: /Lab Lead/ }).getByRole('button', { name: 'Edit', exact: true }).click();
    await page.getByRole('dialog').getByRole('checkbox', { name: 'Remove the passphrase' }).check();
    await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
    await page.getByRole('row', { name: /Lab Lead/ }).getByText('None').waitFor();
    await page.getByRole('button', { name: /, profile menu$/ }).click();
    await page.getByRole('menuitem', { name: /Switch to Night Shift/ }).click();
    await page.getByRole('dialog', { name: 'Switch to Night Shift' }).getByLabel('Passphrase').fill('moon river');
    await page.getByRole('dialog', { name: 'Switch to Night Shift' }).getByRole('button', { name: 'Switch' }).click();
    await page.getByRole('button', { name: 'Night Shift Admin, profile menu' }).waitFor();
    expect(readFileSync(join(app.userData, 'profiles.json'), 'utf8')).not.toContain('moon river');
  });

  it('keeps the last Admin an Admin', async () => {
    const app = await profilesTab();
    const { page } = app;
    const row = page.getByRole('row').nth(1);
    await row.getByRole('combobox').selectOption('member');
    await row.getByRole('alert').filter({ hasText: /Admin/ }).waitFor();
    await expect(row.getByRole('combobox').inputValue()).resolves.toBe('admin');
    await app.screenshot('profiles');
  });
});
