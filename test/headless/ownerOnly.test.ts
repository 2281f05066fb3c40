// Under a permissive umask (022) the headless runner still keeps its data folder for its owner: every
// folder it creates is 0700 and every file 0600 (temp files too), after a storm and a SIGTERM; and an
// existing 0755/0644 folder is tightened at start, with one log line.
import { spawn } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { headlessJs, prepareDataDir, receiver, repoRoot, startFakes, stopAll, tempDataDir } from './runner';
import type { Fakes } from './runner';

const emptyBin = mkdtempSync(join(tmpdir(), 'dh-headless-path-'));
afterEach(stopAll);

/** Every entry under `dir` (itself included) whose mode is not 0700 (folders) or 0600 (files). */
function wrongModes(dir: string): string[] {
  const wrong: string[] = [];
  const visit = (path: string) => {
    const stat = lstatSync(path);
    const mode = stat.mode & 0o777;
    if (stat.isDirectory()) {
      if (mode !== 0o700) wrong.push(`${path} ${mode.toString(8)}`);
      for (const name of readdirSync(path)) visit(join(path, name));
    } else if (stat.isFile() && mode !== 0o600) wrong.push(`${path} ${mode.toString(8)}`);
  };
  visit(dir);
  return wrong;
}

function entries(dir: string): number {
  let n = 1;
  for (const e of readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? entries(join(dir, e.name)) : 1;
  return n;
}

/** The built runner started from a shell whose umask is 022, as on most desktops. */
function runUnderUmask022(dataDir: string, fakes: Fakes) {
  const proc = spawn('/bin/sh', ['-c', 'umask 022 && exec "$0" "$@"', process.execPath, headlessJs, '--data-dir', dataDir], {
    cwd: repoRoot,
    env: { ...process.env, PATH: emptyBin, ADB_SERVER_SOCKET: `tcp:127.0.0.1:${fakes.adb.port}`, USBMUXD_SOCKET_ADDRESS: `UNIX:${fakes.usbmux.socketPath}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stdout.on('data', (c: Buffer) => (output += c.toString()));
  proc.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((done) => proc.once('exit', (code) => done(code)));
  return { proc, output: () => output, exited };
}

const phones = (n: number, state: string) =>
  Array.from({ length: n }, (_, i) => ({ serial: `STORM${String(i).padStart(4, '0')}`, usb: `1-${i}`, model: `Storm ${i}`, state }));

describe.runIf(process.platform !== 'win32')('headless data folder is for its owner only', () => {
  it('creates its folder and every subfolder 0700 and every file 0600 under umask 022, after a storm and SIGTERM', async () => {
    const parent = await tempDataDir();
    const dataDir = join(parent, 'fresh', 'DeviceHooks');
    const fakes = await startFakes();
    const hooks = await receiver();
    // First start on a folder that does not exist yet: the runner creates all of it.
    const runner = runUnderUmask022(dataDir, fakes);
    await expect.poll(() => runner.output(), { timeout: 30_000 }).toMatch(/headless runner .*: data in /);
    runner.proc.kill('SIGTERM');
    expect(await runner.exited).toBe(0);
    expect(wrongModes(dataDir)).toEqual([]);
    // Second run with a webhook (written by this test, so made owner-only by hand) and a storm of 40
    // phones going online then offline: what the storm creates (outbox, history, temp files) is checked.
    await prepareDataDir(dataDir, [{ name: 'Storm', url: `${hooks.url}/hooks`, events: { online: true, offline: true } }]);
    chmodSync(join(dataDir, 'webhooks.json'), 0o600);
    chmodSync(join(dataDir, 'devices.json'), 0o600);
    const second = runUnderUmask022(dataDir, fakes);
    await expect.poll(() => second.output(), { timeout: 30_000 }).toMatch(/headless runner .*: data in /);
    fakes.adb.setDevices(phones(40, 'device'));
    await expect.poll(() => hooks.requests().length, { timeout: 30_000 }).toBeGreaterThanOrEqual(40);
    fakes.adb.setDevices(phones(40, 'offline'));
    await expect.poll(() => hooks.requests().length, { timeout: 30_000 }).toBeGreaterThanOrEqual(80);
    second.proc.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    expect(entries(dataDir)).toBeGreaterThanOrEqual(10);
    expect(wrongModes(dataDir)).toEqual([]);
    // Nothing needed tightening at the second start: the first run created everything owner-only.
    expect(second.output()).not.toMatch(/owner only/);
  });

  it('tightens an existing 0755/0644 data folder at start, with one log line', async () => {
    const dataDir = await tempDataDir();
    const fakes = await startFakes();
    await prepareDataDir(dataDir, [{ name: 'Old', url: 'http://127.0.0.1:9/hooks' }]);
    mkdirSync(join(dataDir, 'logs'), { recursive: true });
    writeFileSync(join(dataDir, 'logs', 'headless.log'), 'an old line\n');
    for (const path of [dataDir, join(dataDir, 'logs')]) chmodSync(path, 0o755);
    for (const path of [join(dataDir, 'webhooks.json'), join(dataDir, 'devices.json'), join(dataDir, 'logs', 'headless.log')]) chmodSync(path, 0o644);

    const runner = runUnderUmask022(dataDir, fakes);
    await expect.poll(() => runner.output(), { timeout: 30_000 }).toMatch(/headless runner .*: data in /);
    runner.proc.kill('SIGTERM');
    expect(await runner.exited).toBe(0);
    expect(wrongModes(dataDir)).toEqual([]);
    const lines = runner.output().split('\n').filter((l) => /owner only/.test(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/tightened 5 entries/);
  });
});
