// The headless runner's pure parts (data folder, arguments, version, the keyring report) and its bundle.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT, USAGE, defaultDataDir, parseHeadlessArgs, readVersion, reportKeyringSealed } from '../../main/headless';
import { createOsBox, plainBox } from '../../main/webhooks/secrets';
import { openWebhookStore } from '../../main/webhooks/store';
import { makeTempDir } from '../support/tmp';
import { FakeSafeStorage, recordingLogger } from '../support/storage';
import { headlessJs, repoRoot } from './runner';

describe('defaultDataDir: the desktop app’s folder', () => {
  it('Linux: $XDG_CONFIG_HOME/DeviceHooks, else ~/.config/DeviceHooks (a relative XDG_CONFIG_HOME is ignored)', () => {
    expect(defaultDataDir('linux', { XDG_CONFIG_HOME: '/srv/cfg' }, '/home/ana')).toBe('/srv/cfg/DeviceHooks');
    expect(defaultDataDir('linux', {}, '/home/ana')).toBe('/home/ana/.config/DeviceHooks');
    expect(defaultDataDir('linux', { XDG_CONFIG_HOME: '' }, '/home/ana')).toBe('/home/ana/.config/DeviceHooks');
    expect(defaultDataDir('linux', { XDG_CONFIG_HOME: 'cfg' }, '/home/ana')).toBe('/home/ana/.config/DeviceHooks');
    expect(defaultDataDir('freebsd', {}, '/home/ana')).toBe('/home/ana/.config/DeviceHooks');
  });

  it('macOS: ~/Library/Application Support/DeviceHooks (XDG does not apply)', () => {
    expect(defaultDataDir('darwin', { XDG_CONFIG_HOME: '/x' }, '/Users/ana')).toBe('/Users/ana/Library/Application Support/DeviceHooks');
  });

  it('Windows: %APPDATA%\\DeviceHooks, else the roaming folder under the profile', () => {
    expect(defaultDataDir('win32', { APPDATA: 'C:\\Users\\ana\\AppData\\Roaming' }, 'C:\\Users\\ana')).toBe('C:\\Users\\ana\\AppData\\Roaming\\DeviceHooks');
    expect(defaultDataDir('win32', {}, 'C:\\Users\\ana')).toBe('C:\\Users\\ana\\AppData\\Roaming\\DeviceHooks');
  });
});

describe('parseHeadlessArgs', () => {
  it('reads --data-dir (both spellings), --no-local-api and --help', () => {
    expect(parseHeadlessArgs([])).toEqual({ ok: true, args: { dataDir: undefined, localApi: true, help: false } });
    expect(parseHeadlessArgs(['--data-dir', '/srv/dh', '--no-local-api'])).toEqual({ ok: true, args: { dataDir: '/srv/dh', localApi: false, help: false } });
    expect(parseHeadlessArgs(['--data-dir=/srv/dh'])).toEqual({ ok: true, args: { dataDir: '/srv/dh', localApi: true, help: false } });
    expect(parseHeadlessArgs(['-h'])).toMatchObject({ ok: true, args: { help: true } });
  });

  it('refuses unknown flags, positionals, and a missing or empty folder', () => {
    for (const argv of [['--verbose'], ['serve'], ['--data-dir'], ['--data-dir', ''], ['--no-local-api=yes']]) {
      const parsed = parseHeadlessArgs(argv);
      expect(parsed.ok, argv.join(' ')).toBe(false);
      expect(!parsed.ok && parsed.message.length).toBeGreaterThan(0);
    }
  });

  it('documents every flag and exit code in the usage', () => {
    for (const text of ['--data-dir DIR', '--no-local-api', '--help', '0 stopped cleanly', '2 bad arguments', '3 another DeviceHooks']) expect(USAGE).toContain(text);
    expect(EXIT).toEqual({ ok: 0, failed: 1, usage: 2, locked: 3 });
  });
});

describe('readVersion', () => {
  it("finds DeviceHooks' package.json from the source and from the built file's folder", () => {
    const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf-8')) as { version: string };
    expect(readVersion(join(repoRoot, 'main'))).toBe(version);
    expect(readVersion(join(repoRoot, 'out', 'main'))).toBe(version);
  });
});

describe('reportKeyringSealed', () => {
  it('names each webhook whose secret or header the desktop app sealed with the OS keyring, once', async () => {
    const dataDir = await makeTempDir();
    const events = { online: true, offline: false, utilizing: false, unplugged: false };
    // Written by the desktop app with a keyring…
    const desktop = (await openWebhookStore({ dataDir, logger: () => undefined, secretBox: createOsBox(new FakeSafeStorage()) })).store;
    expect((await desktop.create({ name: 'Signed', url: 'https://example.com/a', events, signing: true })).ok).toBe(true);
    expect((await desktop.create({ name: 'Plain', url: 'https://example.com/b', events })).ok).toBe(true);
    expect((await desktop.create({ name: 'Token', url: 'https://example.com/c', events, headers: [{ name: 'Authorization', value: 'Bearer x' }] })).ok).toBe(true);
    await desktop.close();

    // …read by the runner without one.
    const { log, lines } = recordingLogger();
    const store = (await openWebhookStore({ dataDir, logger: () => undefined, secretBox: plainBox })).store;
    const found = reportKeyringSealed(store, log);
    expect([...found].sort()).toEqual([1, 3]);
    const warnings = lines.filter((l) => l.level === 'warn').map((l) => l.message);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(
      /^Webhook "Signed" \(id 1\) has a signing secret encrypted by the desktop app's OS keyring; the headless runner cannot read it and will not send to it\. Its callbacks wait in the outbox \(none is lost or sent unsigned\) until it can\. Open Settings/,
    );
    expect(warnings[1]).toMatch(/^Webhook "Token" \(id 3\) has a header value encrypted by the desktop app's OS keyring/);
    expect(store.deliveryWebhooks().map((w) => w.name)).toEqual(['Plain']);

    // Already reported: not again.
    lines.length = 0;
    expect([...reportKeyringSealed(store, log, found)].sort()).toEqual([1, 3]);
    expect(lines.filter((l) => l.level === 'warn')).toEqual([]);
    await store.close();
  });
});

describe('the built headless bundle', () => {
  /** Every module specifier reachable from `entry` through relative imports: [files, bare specifiers]. */
  function reachable(entry: string): { files: string[]; bare: Set<string> } {
    const files: string[] = [];
    const bare = new Set<string>();
    const todo = [resolve(entry)];
    while (todo.length > 0) {
      const file = todo.pop() as string;
      if (files.includes(file)) continue;
      files.push(file);
      const code = readFileSync(file, 'utf-8');
      const specifiers = [
        ...code.matchAll(/(?:^|[;\n])\s*(?:import|export)\s[^'"`;]*?from\s*["']([^"']+)["']/g),
        ...code.matchAll(/(?:^|[;\n])\s*import\s*["']([^"']+)["']/g),
        ...code.matchAll(/\bimport\s*\(\s*["']([^"']+)["']\s*\)/g),
        ...code.matchAll(/\brequire\s*\(\s*["']([^"']+)["']\s*\)/g),
      ].map((m) => m[1] as string);
      for (const s of specifiers) {
        if (s.startsWith('./') || s.startsWith('../')) todo.push(resolve(dirname(file), s));
        else bare.add(s);
      }
    }
    return { files, bare };
  }

  it('exists (npm test builds it first)', () => {
    expect(existsSync(headlessJs)).toBe(true);
  });

  it('imports no electron, in itself or any chunk it loads', () => {
    const { files, bare } = reachable(headlessJs);
    expect(files.length).toBeGreaterThan(1); // the shared core chunk was followed
    expect(bare).toContain('node:fs'); // the scan sees imports at all
    expect([...bare].filter((s) => s === 'electron' || s.startsWith('electron/'))).toEqual([]);
    for (const file of files) expect(readFileSync(file, 'utf-8'), file).not.toMatch(/["']electron["']/);
  });

  it('the same scan finds electron in the desktop entry (the check can fail)', () => {
    expect(reachable(join(dirname(headlessJs), 'index.js')).bare).toContain('electron');
  });
});
