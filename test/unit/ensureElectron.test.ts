// `npm start`, `npm run dev` and `npm run dist` first make sure Electron's binary is present
// (scripts/ensure-electron.mjs, which runs Electron's own installer). The machines that run the tests
// cannot download it, so the script runs here in a temporary copy of the project: the real script, a
// copy of node_modules/electron, and the real installer's dependencies.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../support/tmp.js';

const root = join(import.meta.dirname, '../..');
const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
  .scripts;
const electronVersion = (
  JSON.parse(readFileSync(join(root, 'node_modules/electron/package.json'), 'utf8')) as { version: string }
).version;
const STEP = 'node scripts/ensure-electron.mjs && ';

/** A port nothing listens on: bound by us, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A project folder with the real script and a copy of Electron's package (no binary in it). */
async function projectCopy(): Promise<{ dir: string; electronDir: string }> {
  const dir = await makeTempDir('devicehooks-ensure-electron-');
  mkdirSync(join(dir, 'scripts'));
  cpSync(join(root, 'scripts/ensure-electron.mjs'), join(dir, 'scripts/ensure-electron.mjs'));
  const electronDir = join(dir, 'node_modules/electron');
  cpSync(join(root, 'node_modules/electron'), electronDir, {
    recursive: true,
    filter: (src) => !/[\\/]electron[\\/](dist|path\.txt)/.test(src.slice(join(root, 'node_modules').length)),
  });
  // The installer's own dependency (@electron/get) is resolved from the real project.
  symlinkSync(join(root, 'node_modules/@electron'), join(dir, 'node_modules/@electron'), 'dir');
  return { dir, electronDir };
}

function run(dir: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['scripts/ensure-electron.mjs'], {
      cwd: dir,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the scripts that need the Electron binary', () => {
  it.each(['start', 'dev', 'dist'])('npm run %s makes sure the binary is there first', (name) => {
    expect(scripts[name]?.startsWith(STEP)).toBe(true);
  });

  it('no other script starts Electron or packages it without that step', () => {
    for (const [name, command] of Object.entries(scripts)) {
      if (/electron-vite (preview|dev)|electron-builder/.test(command)) expect([name, command.startsWith(STEP)]).toEqual([name, true]);
    }
  });
});

describe('scripts/ensure-electron.mjs', () => {
  it('fails with one plain sentence saying what to do when the download cannot happen', async () => {
    const { dir, electronDir } = await projectCopy();
    const port = await closedPort();
    const mirror = `http://127.0.0.1:${port}/`;
    const result = await run(dir, { ELECTRON_MIRROR: mirror, electron_config_cache: join(dir, 'cache') });

    expect(result.code).not.toBe(0);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    const [sentence] = lines as [string];
    expect(sentence).toContain(`Could not download the Electron ${electronVersion} binary from ELECTRON_MIRROR=${mirror}`);
    expect(sentence).toMatch(/internet once/);
    expect(sentence).toMatch(/ELECTRON_MIRROR to a mirror you can reach/);
    expect(sentence).toMatch(/proxy, set HTTPS_PROXY and ELECTRON_GET_USE_PROXY=true/);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    // Nothing half-installed is left behind for electron-vite to trust.
    expect(readdirSync(electronDir)).not.toContain('path.txt');
  });

  it('does nothing and succeeds when the binary is already there', async () => {
    const { dir, electronDir } = await projectCopy();
    mkdirSync(join(electronDir, 'dist'));
    writeFileSync(join(electronDir, 'dist/version'), electronVersion);
    writeFileSync(join(electronDir, 'path.txt'), process.platform === 'win32' ? 'electron.exe' : 'electron');
    writeFileSync(join(electronDir, 'dist', process.platform === 'win32' ? 'electron.exe' : 'electron'), 'binary');
    // A download would fail (the mirror is a closed port): success means none was tried.
    const result = await run(dir, { ELECTRON_MIRROR: `http://127.0.0.1:${await closedPort()}/` });

    expect(result).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(readFileSync(join(electronDir, 'dist', process.platform === 'win32' ? 'electron.exe' : 'electron'), 'utf8')).toBe(
      'binary',
    );
  });
});
