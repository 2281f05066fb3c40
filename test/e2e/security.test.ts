import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { NOT_ALLOWED_MESSAGE } from '../../preload/contract';
import type { IpcResult } from '../../preload/contract';
import { launchApp, makeUserData } from './harness';
import { createWebhook } from './helpers';

describe('Permissions on every path', () => {
  it('as a Member the Test receiver view and its API are refused with the same message, and the tray’s Pause all is refused', async () => {
    const app = await launchApp();
    const { page } = app;
    // As the first (Admin) profile: one webhook, and a Member profile.
    await createWebhook(page, 'Lab hook', 'http://127.0.0.1:9/hooks');

    await page.getByRole('tab', { name: 'Profiles' }).click();
    const add = page.getByRole('form', { name: 'Add a profile' });
    await add.getByRole('textbox', { name: 'Profile name' }).fill('Visitor');
    await add.getByRole('combobox', { name: 'Role' }).selectOption('member');
    await add.getByRole('button', { name: 'Add profile' }).click();
    // A second profile exists now: the first Admin is asked to set a passphrase; a short one is refused.
    const ask = page.getByRole('dialog', { name: /^Set a passphrase for / });
    await ask.getByLabel('Passphrase').fill('short');
    await ask.getByRole('button', { name: 'Set passphrase' }).click();
    await ask.getByText('Passphrase must be at least 8 characters').waitFor();
    await ask.getByLabel('Passphrase').fill('admins only please');
    await ask.getByRole('button', { name: 'Set passphrase' }).click();
    await ask.waitFor({ state: 'detached' });
    await page.getByRole('row', { name: /Visitor/ }).waitFor();
    await page.getByRole('row').nth(1).getByText('Set').waitFor();

    // The Admin leaves the Test receiver open, with a request in it…
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Test receiver' }).click();
    // Any free port: the default one may be taken on a shared machine (CI runs other test files at once).
    await page.getByRole('textbox', { name: 'Port' }).fill('0');
    await page.getByRole('button', { name: 'Start receiver' }).click();
    await page.getByRole('button', { name: 'Stop' }).waitFor();
    const port = await page.evaluate(async () => {
      const api = (window as unknown as { api: { receiverState: () => Promise<{ ok: boolean; value: { port: number } }> } }).api;
      return (await api.receiverState()).value.port;
    });
    await fetch(`http://127.0.0.1:${port}/hooks`, { method: 'POST', headers: { authorization: 'Bearer admin-only-token' }, body: '{}' });
    await page.getByRole('button', { name: /#1 POST \/hooks/ }).click();
    await page.getByText('Bearer admin-only-token').waitFor();

    // …and a Member switches in: the same view now says the one message and shows nothing captured.
    await page.getByRole('button', { name: /, profile menu$/ }).click();
    await page.getByRole('menuitem', { name: /Switch to Visitor/ }).click();
    // Visitor has no passphrase: no question asked.
    await page.getByRole('button', { name: 'Visitor Member, profile menu' }).waitFor();
    await page.getByRole('alert').filter({ hasText: NOT_ALLOWED_MESSAGE }).waitFor();
    expect(await page.content()).not.toContain('admin-only-token');

    // The API behind it: every receiver call is refused with that same message, nothing starts.
    const answers = await page.evaluate(async () => {
      const api = (window as unknown as { api: Record<string, (r?: unknown) => Promise<unknown>> }).api;
      return [
        await api['receiverState']!(),
        await api['receiverRequests']!(),
        await api['receiverStart']!({ port: 0 }),
        await api['receiverSetReply']!({ status: 410, delayMs: 0 }),
        await api['receiverClear']!(),
        await api['receiverStop']!(),
      ];
    });
    for (const answer of answers as IpcResult<unknown>[]) expect(answer).toEqual({ ok: false, error: { code: 'forbidden', message: NOT_ALLOWED_MESSAGE } });

    // The tray's Pause all: refused with the same message, the webhook keeps running.
    app.command({ cmd: 'tray-click', label: 'Pause all webhooks' });
    await page.getByText(`Pause all webhooks: ${NOT_ALLOWED_MESSAGE}`).waitFor();
    const stored = JSON.parse(readFileSync(join(app.userData, 'webhooks.json'), 'utf8')) as { webhooks: { name: string; paused: boolean }[] };
    expect(stored.webhooks.find((w) => w.name === 'Lab hook')?.paused).toBe(false);
    expect(app.output()).toContain('tray pauseAll: refused');
    await app.screenshot('member-refused');
  });
});

describe.runIf(process.platform !== 'win32')('Files only for their owner (desktop)', () => {
  it('tightens an existing 0755/0644 user-data folder at start with one log line, and creates the rest 0700/0600', async () => {
    const userData = makeUserData('owner');
    mkdirSync(join(userData, 'logs'), { recursive: true });
    writeFileSync(join(userData, 'logs', 'main.log'), 'an old line\n');
    writeFileSync(join(userData, 'webhooks.json.bak'), '{}');
    chmodSync(userData, 0o755);
    chmodSync(join(userData, 'logs'), 0o755);
    chmodSync(join(userData, 'logs', 'main.log'), 0o644);
    chmodSync(join(userData, 'webhooks.json.bak'), 0o644);
    const app = await launchApp({ userData });
    await app.page.getByRole('navigation', { name: 'Main' }).waitFor();
    await expect.poll(() => readFileSync(join(userData, 'logs', 'main.log'), 'utf8')).toMatch(/made owner only: tightened 4 entries/);
    expect(readFileSync(join(userData, 'logs', 'main.log'), 'utf8').match(/made owner only/g)).toHaveLength(1);
    const wrong: string[] = [];
    const visit = (path: string) => {
      const stat = lstatSync(path);
      if (stat.isDirectory()) {
        if ((stat.mode & 0o777) !== 0o700) wrong.push(path);
        for (const name of readdirSync(path)) visit(join(path, name));
      } else if (stat.isFile() && (stat.mode & 0o777) !== 0o600) wrong.push(path);
    };
    visit(userData);
    expect(wrong).toEqual([]);
    expect(readdirSync(userData)).toEqual(expect.arrayContaining(['profiles.json', 'devices.json', 'devicehooks.lock']));
  });
});

describe('Credentials in URLs', () => {
  it('are masked in the list, whole only in an Admin’s edit dialog (with the header advice), and never in an export or on disk', async () => {
    const app = await launchApp();
    const { page } = app;
    const secretUrl = 'https://lab-user:s3cret-PASS@hooks.example.test/devices';
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Settings' }).click();
    await page.getByRole('tab', { name: 'Webhook Settings' }).click();
    await page.getByRole('button', { name: 'Create Webhook' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('textbox', { name: 'Webhook Name' }).fill('Basic auth');
    await dialog.getByRole('textbox', { name: 'URL' }).fill(secretUrl);
    await dialog.getByRole('switch', { name: 'Online' }).click();
    await dialog.getByText(/a header .* is the better place for a token/).waitFor();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });

    const row = page.getByRole('row', { name: /Basic auth/ });
    await row.getByText('https://***@hooks.example.test/devices').waitFor();
    expect(await page.content()).not.toContain('s3cret-PASS');
    expect(readFileSync(join(app.userData, 'webhooks.json'), 'utf8')).not.toContain('s3cret-PASS');

    await row.getByRole('button', { name: 'Edit', exact: true }).click();
    await expect.poll(() => page.getByRole('dialog').getByRole('textbox', { name: 'URL' }).inputValue()).toBe(secretUrl);
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });

    const exportFile = join(app.userData, 'export.json');
    app.command({ cmd: 'dialog-answer', filePath: exportFile });
    await page.getByRole('button', { name: 'Export…' }).click();
    await page.getByRole('status').filter({ hasText: `Exported 1 webhook(s) to ${exportFile}` }).waitFor();
    const text = readFileSync(exportFile, 'utf8');
    expect(text).not.toContain('s3cret-PASS');
    expect(text).not.toContain('lab-user');
    const entry = (JSON.parse(text) as { webhooks: { url: string; urlCredentials?: string }[] }).webhooks[0];
    expect(entry?.url).toBe('https://hooks.example.test/devices');
    expect(entry?.urlCredentials).toMatch(/Removed from this export/);
  });
});

describe('The app:// scheme', () => {
  it('is registered before ready, the window loads from it, and IPC from it is trusted', async () => {
    const app = await launchApp();
    expect(app.reports.find((r) => r.type === 'protocol-privileged')?.schemes).toEqual(['app']);
    expect(app.reports.find((r) => r.type === 'loaded')?.appUrl).toBe('app://devicehooks/index.html');
    await app.page.getByRole('navigation', { name: 'Main' }).waitFor();
    const info = await app.page.evaluate(() => (window as unknown as { api: { appInfo: () => Promise<{ ok: boolean }> } }).api.appInfo());
    expect(info.ok).toBe(true);
    // Scripts and styles came through the scheme too (the CSP allows only 'self').
    expect(app.reports.filter((r) => r.type === 'console-error' || r.type === 'page-error')).toEqual([]);
  });
});

describe('Strings from devices', () => {
  it('a device named with escape sequences and 1 MB of text arrives capped and clean in the row, the log and the payload', async () => {
    const bodies: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        bodies.push(body);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    try {
      const app = await launchApp();
      const { page } = app;
      await createWebhook(page, 'Names', `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`);

      const hostile = '\x1b[31mLab\x1b[0m\tS21\x07 \u202Egnp.exe\u202C\u2066x\u2069\u200B \x1b]0;pwned\x07ok';
      app.adb.setDevices([{ serial: 'EVIL0001', usb: '1-2', model: 'SM-G991B', state: 'device', settings: { global: { device_name: hostile + 'B'.repeat(1024 * 1024) } } }]);
      const expected = ('Lab S21 gnp.exex ok' + 'B'.repeat(200)).slice(0, 128);

      await expect.poll(() => bodies.length, { timeout: 20_000 }).toBeGreaterThan(0);
      const payload = JSON.parse(bodies[0] ?? '{}') as { deviceName: string };
      expect(payload.deviceName).toBe(expected);

      await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Devices' }).click();
      const row = page.getByRole('row', { name: expected, exact: true });
      await row.getByText('EVIL0001').waitFor();
      expect(await row.locator('.device-name').textContent()).toBe(expected);

      const log = readFileSync(join(app.userData, 'logs', 'main.log'), 'utf8');
      expect(log).toContain(expected);
      expect(log).not.toContain('\x1b');
      expect(log).not.toContain('\u202E');
      expect(log).not.toContain('B'.repeat(200));
    } finally {
      await new Promise((done) => server.close(done));
    }
  });
});
