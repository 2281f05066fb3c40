// Runs the built headless runner (out/main/headless.js, as `npm run headless` would) in a child process,
// with its own fake adb server and fake usbmuxd found the way adb and libimobiledevice find theirs, and PATH
// an empty folder (no real `adb start-server`). Every child and fake is tracked; stopAll() ends them.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openDeviceStateStore } from '../../main/devices/deviceState';
import { openWebhookStore } from '../../main/webhooks/store';
import type { Webhook } from '../../main/webhooks/store';
import { startReceiver } from '../../main/delivery/receiver';
import type { Receiver, ReceiverOptions } from '../../main/delivery/receiver';
import { startFakeAdb } from '../fakes/adbServer';
import type { FakeAdb } from '../fakes/adbServer';
import { startFakeUsbmuxd } from '../fakes/usbmuxd';
import type { FakeUsbmuxd } from '../fakes/usbmuxd';

export const repoRoot = resolve(import.meta.dirname, '../..');
export const headlessJs = join(repoRoot, 'out/main/headless.js');
const emptyBin = mkdtempSync(join(tmpdir(), 'dh-headless-path-'));
const quiet = () => undefined;

export interface Fakes {
  adb: FakeAdb;
  usbmux: FakeUsbmuxd;
}

export interface RunningRunner {
  proc: ChildProcess;
  dataDir: string;
  /** stdout and stderr as they came, interleaved. */
  output(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in the output after position `from` (see mark()). */
  waitFor(pattern: RegExp, options?: { from?: number; timeoutMs?: number }): Promise<RegExpMatchArray>;
  /** The output length now: pass it as `from` to wait only for what comes next. */
  mark(): number;
  /** Resolves with the exit code (null when ended by a signal) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends the signal and waits for the exit. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children = new Set<ChildProcess>();
const closers: (() => Promise<unknown>)[] = [];

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one `devicehooks-headless` command on `dataDir` (with the fakes' addresses) and answers what it printed. */
export function runCli(dataDir: string, fakes: Fakes, args: string[]): Promise<Ran> {
  return new Promise((done) => {
    const proc = spawn(process.execPath, [headlessJs, ...args, '--data-dir', dataDir], {
      cwd: repoRoot,
      env: { ...process.env, PATH: emptyBin, ADB_SERVER_SOCKET: `tcp:127.0.0.1:${fakes.adb.port}`, USBMUXD_SOCKET_ADDRESS: `UNIX:${fakes.usbmux.socketPath}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    proc.on('close', (code) => done({ code, stdout, stderr }));
  });
}

export async function startFakes(): Promise<Fakes> {
  const adb = await startFakeAdb();
  const usbmux = await startFakeUsbmuxd();
  closers.push(() => adb.close(), () => usbmux.close());
  return { adb, usbmux };
}

export async function receiver(options: ReceiverOptions = {}): Promise<Receiver> {
  const r = await startReceiver(options);
  closers.push(() => r.close());
  return r;
}

export async function tempDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dh-headless-data-'));
  closers.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A data folder made the way the app makes it: webhooks created through the store API (so the format is
 * the real one), and the local API on port 0 (any free port: no clash with an app under test elsewhere).
 */
export async function prepareDataDir(
  dataDir: string,
  webhooks: { name: string; url: string; events?: Partial<Record<'online' | 'offline' | 'utilizing' | 'unplugged', boolean>> }[],
): Promise<{ webhooks: Webhook[]; apiToken: string }> {
  const { store } = await openWebhookStore({ dataDir, logger: quiet });
  const made: Webhook[] = [];
  for (const w of webhooks) {
    const result = await store.create({ name: w.name, url: w.url, events: { online: true, offline: false, utilizing: false, unplugged: false, ...w.events } });
    if (!result.ok) throw new Error(`could not create ${w.name}: ${JSON.stringify(result)}`);
    made.push(result.webhook);
  }
  await store.close();
  const devices = await openDeviceStateStore({ dataDir, logger: quiet });
  await devices.store.update((draft) => {
    draft.localApi.port = 0;
  });
  const apiToken = devices.store.data.localApi.token;
  await devices.store.close();
  return { webhooks: made, apiToken };
}

export function runHeadless(dataDir: string, fakes: Fakes, args: string[] = [], env: NodeJS.ProcessEnv = {}): RunningRunner {
  const proc = spawn(process.execPath, [headlessJs, '--data-dir', dataDir, ...args], {
    cwd: repoRoot,
    env: {
      ...process.env,
      PATH: emptyBin,
      ADB_SERVER_SOCKET: `tcp:127.0.0.1:${fakes.adb.port}`,
      USBMUXD_SOCKET_ADDRESS: `UNIX:${fakes.usbmux.socketPath}`,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(proc);
  let output = '';
  let stderr = '';
  const wakers = new Set<() => void>();
  const wake = () => {
    for (const w of [...wakers]) w();
  };
  proc.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    wake();
  });
  proc.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    stderr += chunk.toString();
    wake();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    proc.once('exit', (code, signal) => {
      children.delete(proc);
      done({ code, signal });
      // Output may still be in the pipes: wake the waiters again once it is read.
      setImmediate(wake);
    }),
  );

  const waitFor = (pattern: RegExp, { from = 0, timeoutMs = 30_000 }: { from?: number; timeoutMs?: number } = {}) =>
    new Promise<RegExpMatchArray>((done, fail) => {
      const check = () => {
        const match = output.slice(from).match(pattern);
        if (match) {
          cleanup();
          done(match);
        } else if (proc.exitCode !== null || proc.signalCode !== null) {
          cleanup();
          fail(new Error(`the runner exited (${String(proc.exitCode ?? proc.signalCode)}) before printing ${String(pattern)}. Output:\n${output}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        fail(new Error(`no ${String(pattern)} within ${timeoutMs} ms. Output:\n${output}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        wakers.delete(check);
      };
      wakers.add(check);
      check();
    });

  return {
    proc,
    dataDir,
    output: () => output,
    stderr: () => stderr,
    waitFor,
    mark: () => output.length,
    exited,
    stop: async (signal = 'SIGTERM', timeoutMs = 20_000) => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, fail) => {
        timer = setTimeout(() => fail(new Error(`the runner did not exit within ${timeoutMs} ms of ${signal}. Output:\n${output}`)), timeoutMs);
      });
      try {
        return await Promise.race([exited, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** The line the runner prints once it runs; its local API URL when there is one. */
export const STARTED = /DeviceHooks headless runner (\S+): data in (.+?), (local API on (http:\/\/127\.0\.0\.1:\d+)|local API off|local API not running[^;]*);/;

/** Kills every runner still running (SIGKILL) and closes every fake, receiver and temp folder. */
export async function stopAll(): Promise<void> {
  await Promise.all(
    [...children].map(
      (proc) =>
        new Promise<void>((done) => {
          if (proc.exitCode !== null || proc.signalCode !== null) return done();
          proc.once('exit', () => done());
          proc.kill('SIGKILL');
        }),
    ),
  );
  children.clear();
  await Promise.allSettled(closers.splice(0).reverse().map((close) => close()));
}

/** A data folder with one webhook (all events off but Online) to a receiver answering `reply`, and the device fakes. */
export async function labWithHook(name: string, reply?: ReceiverOptions['reply']) {
  const dataDir = await tempDataDir();
  const fakes = await startFakes();
  const hooks = await receiver(reply ? { reply } : {});
  const { apiToken } = await prepareDataDir(dataDir, [{ name, url: `${hooks.url}/hooks` }]);
  return { dataDir, fakes, hooks, apiToken };
}
