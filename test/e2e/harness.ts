// Launches the real built app (out/main/index.js, unchanged) under Node with `electron` resolved to our
// stand-in, then attaches Playwright to its Chromium over CDP so a test drives the window as a user would.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach } from 'vitest';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { startFakeAdb } from '../fakes/adbServer';
import type { FakeAdb } from '../fakes/adbServer';
import { startFakeUsbmuxd } from '../fakes/usbmuxd';
import type { FakeUsbmuxd } from '../fakes/usbmuxd';

export const repoRoot = resolve(import.meta.dirname, '../..');
export const screenshotDir = join(repoRoot, 'test-results');

export interface StandinReport {
  type: string;
  [key: string]: unknown;
}

export interface LaunchedApp {
  proc: ChildProcess;
  /** The protocol-faithful adb server and usbmuxd this app instance talks to. */
  adb: FakeAdb;
  usbmux: FakeUsbmuxd;
  page: Page;
  browser: Browser;
  userData: string;
  reports: StandinReport[];
  output: () => string;
  waitForReport: (type: string, match?: (r: StandinReport) => boolean, timeoutMs?: number) => Promise<StandinReport>;
  command: (cmd: Record<string, unknown>) => void;
  /** Quit as a user would from the app menu; resolves with the exit code. */
  quit: () => Promise<number | null>;
  kill: (signal?: NodeJS.Signals) => Promise<void>;
  screenshot: (name: string) => Promise<string>;
}

const emptyBin = mkdtempSync(join(tmpdir(), 'dh-e2e-path-'));

/** Every app a test launched; whatever is still running when the test ends is killed. */
const launched = new Set<LaunchedApp>();
afterEach(async () => {
  const apps = [...launched];
  launched.clear();
  await Promise.all(apps.map((app) => (app.proc.exitCode === null ? app.kill() : undefined)));
});

export function makeUserData(label = 'app'): string {
  return mkdtempSync(join(tmpdir(), `dh-e2e-${label}-`));
}

export interface LaunchOptions {
  userData?: string;
  env?: Record<string, string>;
  /** false: do not wait for a window (e.g. a second instance that should hand over and exit). */
  expectWindow?: boolean;
}

export function spawnApp({ userData = makeUserData(), env = {} }: LaunchOptions = {}) {
  const proc = spawn(process.execPath, ['--import', './test/electron-standin/register.mjs', 'out/main/index.js'], {
    cwd: repoRoot,
    env: { ...process.env, ...env, DH_STANDIN_USER_DATA: userData, DH_STANDIN_CONTROL: 'stdin' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const reports: StandinReport[] = [];
  const waiters = new Set<() => void>();
  let output = '';
  let buffer = '';
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    buffer += chunk.toString();
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (line.startsWith('[standin] ')) {
        reports.push(JSON.parse(line.slice('[standin] '.length)) as StandinReport);
        for (const wake of waiters) wake();
      }
    }
  };
  proc.stdout.on('data', onData);
  proc.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((done) => proc.once('exit', (code) => done(code)));
  proc.once('exit', () => {
    for (const wake of waiters) wake();
  });

  const waitForReport = (type: string, match: (r: StandinReport) => boolean = () => true, timeoutMs = 30_000) =>
    new Promise<StandinReport>((done, fail) => {
      const check = () => {
        const found = reports.find((r) => r.type === type && match(r));
        if (found) {
          cleanup();
          done(found);
        } else if (proc.exitCode !== null) {
          cleanup();
          fail(new Error(`app exited (${proc.exitCode}) before reporting '${type}'. Output:\n${output}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        fail(new Error(`no '${type}' report within ${timeoutMs} ms. Output:\n${output}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

  return { proc, reports, exited, waitForReport, output: () => output, userData };
}

/**
 * Every launched app talks to its own fake adb server and fake usbmuxd (never to a real one), found the
 * way adb and libimobiledevice find theirs. PATH is an empty folder, so the app cannot start a real
 * `adb start-server` when a test takes the fake adb server down (Node and Chromium start by full path).
 */
export async function launchApp(options: LaunchOptions = {}): Promise<LaunchedApp> {
  const userData = options.userData ?? makeUserData();
  mkdirSync(userData, { recursive: true });
  const adb = await startFakeAdb();
  const usbmux = await startFakeUsbmuxd();
  const app = spawnApp({
    ...options,
    userData,
    env: {
      PATH: emptyBin,
      ADB_SERVER_SOCKET: `tcp:127.0.0.1:${adb.port}`,
      USBMUXD_SOCKET_ADDRESS: `UNIX:${usbmux.socketPath}`,
      ...options.env,
    },
  });
  const closeFakes = async () => {
    await Promise.allSettled([adb.close(), usbmux.close()]);
  };
  app.proc.once('exit', () => void closeFakes());
  const loaded = await app.waitForReport('loaded');
  const cdp = await app.waitForReport('cdp');
  const browser = await chromium.connectOverCDP(`http://127.0.0.1:${String(cdp.port)}`);
  const page = browser
    .contexts()
    .flatMap((c) => c.pages())
    .find((p) => p.url() === loaded.url);
  if (!page) throw new Error(`could not find the app window (${String(loaded.url)}) over CDP`);
  // Attaching over CDP resets the emulated colour scheme to light: put back what the "OS" says.
  if (options.env?.DH_STANDIN_DARK === '1') await page.emulateMedia({ colorScheme: 'dark' });

  const command = (cmd: Record<string, unknown>) => {
    app.proc.stdin?.write(`${JSON.stringify(cmd)}\n`);
  };
  const launchedApp: LaunchedApp = {
    proc: app.proc,
    adb,
    usbmux,
    page,
    browser,
    userData,
    reports: app.reports,
    output: app.output,
    waitForReport: app.waitForReport,
    command,
    quit: async () => {
      command({ cmd: 'quit' });
      const code = await app.exited;
      await browser.close().catch(() => undefined);
      return code;
    },
    kill: async (signal = 'SIGKILL') => {
      app.proc.kill(signal);
      await app.exited;
      await browser.close().catch(() => undefined);
    },
    screenshot: async (name: string) => {
      mkdirSync(screenshotDir, { recursive: true });
      const path = join(screenshotDir, `${name}.png`);
      await page.screenshot({ path });
      return path;
    },
  };
  launched.add(launchedApp);
  return launchedApp;
}
