// The headless runner: the same tracking and delivery core as the desktop app (main/services/core.ts), under plain
// Node, for machines without a desktop session.
//
//   node out/main/headless.js [--data-dir DIR] [--no-local-api] [--help]
//
// Same data folder format as the app (and the same default folder), guarded by the data-folder lock so the
// two never run on one folder. Logs to stdout/stderr and DIR/logs/headless.log. Picks up changes to
// webhooks.json while running. SIGINT/SIGTERM stop it cleanly: attempts in flight finish (or stay
// queued), the outbox is flushed; what is still pending is sent at the next start.
//
// No Electron here, directly or through anything it imports (a test scans the built bundle).
import { existsSync, readFileSync, realpathSync, watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { dirname, join, posix, resolve, win32 } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { parseCli, runCli } from './cli';
import { TOP_COMMANDS } from './cli/args';
import type { ControlServer } from './cli/control';
import { serveControl } from './cli/serve';
import { openCore } from './services/core';
import { procUptimeMs, startResumeDetector } from './devices/sleep';
import type { Core } from './services/core';
import { acquireDataLock } from './storage/dataLock';
import { createFileLogger } from './base/log';
import { restrictNewFiles, tightenDataDir, tightenSummary } from './services/ownerOnly';
import type { Logger, LogLevel } from './base/log';
import { StorageError } from './storage/errors';
import { plainBox } from './webhooks/secrets';
import { WEBHOOKS_FILE } from './webhooks/store';
import type { WebhookStore } from './webhooks/store';

/** The folder Electron's `app.getPath('userData')` gives the desktop app (productName DeviceHooks). */
const APP_FOLDER = 'DeviceHooks';
const HEADLESS_LOG = join('logs', 'headless.log');

export const EXIT = {
  ok: 0,
  /** Could not start (data that cannot be opened…), an uncaught error, or a second signal while stopping. */
  failed: 1,
  usage: 2,
  /** Another DeviceHooks (desktop app or headless runner) holds the data folder. */
  locked: 3,
} as const;

/** Wait this long after the last change event for webhooks.json before reading it (editors write in steps). */
const RELOAD_DEBOUNCE_MS = 200;

/**
 * Where the desktop app keeps its data, computed like Electron does (appData + productName):
 * Linux and other Unixes `$XDG_CONFIG_HOME/DeviceHooks` (else `~/.config/DeviceHooks`), macOS
 * `~/Library/Application Support/DeviceHooks`, Windows `%APPDATA%\DeviceHooks` (else `~\AppData\Roaming\DeviceHooks`).
 */
export function defaultDataDir(platform: NodeJS.Platform, env: NodeJS.ProcessEnv, home: string): string {
  if (platform === 'win32') {
    const appData = env['APPDATA'];
    return win32.join(appData && appData.trim() !== '' ? appData : win32.join(home, 'AppData', 'Roaming'), APP_FOLDER);
  }
  if (platform === 'darwin') return posix.join(home, 'Library', 'Application Support', APP_FOLDER);
  // XDG: a relative XDG_CONFIG_HOME is invalid and ignored (as Electron/GLib do).
  const xdg = env['XDG_CONFIG_HOME'];
  return posix.join(xdg && posix.isAbsolute(xdg) ? xdg : posix.join(home, '.config'), APP_FOLDER);
}

export const USAGE = `Usage: node out/main/headless.js [run] [options]
       node out/main/headless.js COMMAND [options]
       (installed: devicehooks-headless …; from the repository: npm run headless -- …)

Runs DeviceHooks without a desktop: watches the phones on this machine and sends the webhooks
configured in the data folder. The commands below manage it, whether or not a runner is running.

Options of run:
  --data-dir DIR   the data folder (default: the desktop app's, e.g. ~/.config/DeviceHooks on Linux)
  --no-local-api   do not start the local reservation API (127.0.0.1, port from devices.json)
  -h, --help       show this text

Exit codes: 0 stopped cleanly, 1 could not start or failed, 2 bad arguments,
3 another DeviceHooks is using the data folder.

${TOP_COMMANDS}
Command exit codes: 0 done, 1 the data could not be read or saved (or a test/redelivery failed),
2 bad usage or invalid input (nothing saved), 3 the DeviceHooks holding the folder does not answer.
`;

interface HeadlessArgs {
  dataDir: string | undefined;
  localApi: boolean;
  help: boolean;
}

type ParsedArgs = { ok: true; args: HeadlessArgs } | { ok: false; message: string };

export function parseHeadlessArgs(argv: string[]): ParsedArgs {
  let values: { 'data-dir'?: string | undefined; 'no-local-api'?: boolean | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        'data-dir': { type: 'string' },
        'no-local-api': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  const dataDir = values['data-dir'];
  if (dataDir !== undefined && dataDir.trim() === '') return { ok: false, message: 'Option --data-dir needs a folder.' };
  return { ok: true, args: { dataDir, localApi: values['no-local-api'] !== true, help: values.help === true } };
}

/** package.json's version: found by walking up from this file (out/main/headless.js → ../../package.json). */
export function readVersion(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      try {
        const pkg = JSON.parse(readFileSync(candidate, 'utf-8')) as { name?: unknown; version?: unknown };
        if (pkg.name === 'devicehooks' && typeof pkg.version === 'string') return pkg.version;
      } catch {
        // not ours, or unreadable: keep looking
      }
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return '0.0.0';
}

/**
 * A line per webhook the runner cannot send to because its secret or a header value was sealed by the
 * desktop app's OS keyring (safeStorage), which plain Node cannot open. The store leaves such webhooks
 * out of deliveries; this says so where an operator looks. Answers the ids it found.
 */
export function reportKeyringSealed(webhooks: WebhookStore, log: Logger, alreadyReported: Set<number> = new Set()): Set<number> {
  const found = new Set<number>();
  for (const w of webhooks.list()) {
    if (!w.hasSecret && w.headers.length === 0) continue;
    const revealed = webhooks.reveal(w.id);
    if (revealed.ok || revealed.error.code !== 'secret_unavailable') continue;
    found.add(w.id);
    if (alreadyReported.has(w.id)) continue;
    const what = w.hasSecret && w.headers.length === 0 ? 'a signing secret' : w.hasSecret ? 'a signing secret or header value' : 'a header value';
    log(
      'warn',
      `Webhook "${w.name}" (id ${w.id}) has ${what} encrypted by the desktop app's OS keyring; the headless runner cannot read it and will not send to it. Its callbacks wait in the outbox (none is lost or sent unsigned) until it can. ` +
        'Open Settings › Webhook Settings in the desktop app to copy the value, then either store it in webhooks.json in plain form ' +
        '({"scheme": "plain", "data": "…"}; the file is readable only by its owner) or turn signing off / remove the header for this webhook. ' +
        'The runner picks up the change to webhooks.json by itself.',
    );
  }
  return found;
}

function osUser(): string {
  try {
    return userInfo().username || 'Admin';
  } catch {
    return 'Admin';
  }
}

/** Runs the headless runner until a signal stops it. Exits the process (it owns it). */
async function runHeadless(argv: string[]): Promise<void> {
  const parsed = parseHeadlessArgs(argv);
  if (!parsed.ok) {
    process.stderr.write(`${parsed.message}\n\n${USAGE}`);
    process.exit(EXIT.usage);
  }
  if (parsed.args.help) {
    process.stdout.write(USAGE);
    process.exit(EXIT.ok);
  }
  // A closed stdout (`… | head`) must not take the runner down: the log file still gets every line.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);

  const version = readVersion();
  const dataDir = resolve(parsed.args.dataDir ?? defaultDataDir(process.platform, process.env, homedir()));

  // The lock first: a second runner must not even append to the first one's log.
  const early: { level: LogLevel; message: string }[] = [];
  let lock: ReturnType<typeof acquireDataLock>;
  try {
    lock = acquireDataLock(dataDir, { kind: 'headless', logger: (level, message) => early.push({ level, message }) });
  } catch (error) {
    process.stderr.write(`DeviceHooks cannot use the data folder ${dataDir}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(EXIT.failed);
  }
  if (!lock.ok) {
    process.stderr.write(`${lock.message}\n`);
    process.exit(EXIT.locked);
  }
  const releaseLock = lock.release;
  // Files only for their owner: an existing folder (and what is in it) is tightened before anything is written.
  const tightened = tightenSummary(dataDir, tightenDataDir(dataDir));

  const log = createFileLogger({ file: join(dataDir, HEADLESS_LOG), echo: true });
  log('info', `DeviceHooks headless runner ${version} starting (pid ${process.pid}); data in ${dataDir}`);
  for (const { level, message } of early) log(level, message);
  if (tightened) log('warn', tightened);

  /** Resolves with the core once it is open (null if opening failed): stop() waits for it. */
  let coreReady: Promise<Core | null> = Promise.resolve(null);
  let watcher: FSWatcher | null = null;
  let control: ControlServer | null = null;
  let reloadTimer: ReturnType<typeof setTimeout> | null = null;
  let stopping = false;
  // Nothing else is guaranteed to keep the event loop busy (sources back off on unref'd timers, the
  // local API may be off): the runner runs until it is told to stop.
  const keepAlive = setInterval(() => undefined, 1 << 30);

  const die = (what: string, error: unknown) => {
    log('error', `${what}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    releaseLock();
    process.exit(EXIT.failed);
  };
  process.on('uncaughtException', (error) => die('uncaught error; stopping', error));
  process.on('unhandledRejection', (error) => die('unhandled rejection; stopping', error));

  const stop = async (signal: NodeJS.Signals) => {
    log('info', `${signal}: stopping (attempts in flight finish or stay queued; the outbox is saved)`);
    clearInterval(keepAlive);
    if (reloadTimer) clearTimeout(reloadTimer);
    watcher?.close();
    await control?.close();
    let code: number = EXIT.ok;
    const core = await coreReady;
    try {
      await core?.stop();
    } catch (error) {
      log('error', `stopping failed: ${error instanceof Error ? error.message : String(error)}`);
      code = EXIT.failed;
    }
    const pending = core ? pendingCount(core) : 0;
    log('info', `stopped${pending > 0 ? `; ${pending} callback(s) wait in the outbox for the next start` : ''}`);
    releaseLock();
    process.exit(code);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log('warn', `${signal} again while stopping: exiting now (pending callbacks stay in the outbox journal)`);
      releaseLock();
      process.exit(EXIT.failed);
    }
    stopping = true;
    void stop(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const opening = openCore({
    dataDir,
    logger: log,
    env: process.env,
    version,
    osUserName: osUser(),
    // No OS keyring without Electron: values the desktop app sealed with it stay closed (reported below).
    secretBox: plainBox,
    notice: (level, message) => log(level === 'warning' ? 'warn' : level, message),
    localApi: parsed.args.localApi,
  });
  coreReady = opening.catch(() => null);
  let opened: Core;
  try {
    opened = await opening;
  } catch (error) {
    const message = error instanceof StorageError ? error.message : `DeviceHooks could not open its data in ${dataDir}: ${String(error)}`;
    log('error', message);
    if (stopping) return; // stop() exits
    clearInterval(keepAlive);
    releaseLock();
    process.exit(EXIT.failed);
  }
  if (stopping) return; // a signal came while opening: stop() stops this core and exits

  let keyringReported = reportKeyringSealed(opened.webhooks, log);
  // Commands from the command line (devicehooks-headless webhooks add …) reach this core from here on.
  control = await serveControl(opened, dataDir, log);
  if (stopping) await control?.close();
  const reload = async () => {
    reloadTimer = null;
    if (stopping) return;
    const result = await opened.webhooks.reload(); // the store logs what happened
    if (result.ok && result.changed) keyringReported = reportKeyringSealed(opened.webhooks, log, keyringReported);
  };
  try {
    // The folder, not the file: an editor or `cp` replaces webhooks.json by renaming, and so do our own
    // writes. Our own writes read back equal to what is loaded, so reload() answers `changed: false`.
    watcher = watch(dataDir, (_event, filename) => {
      if (filename !== null && filename !== WEBHOOKS_FILE) return;
      if (reloadTimer) clearTimeout(reloadTimer);
      reloadTimer = setTimeout(() => void reload(), RELOAD_DEBOUNCE_MS);
    });
    watcher.on('error', (error) => log('warn', `stopped watching ${dataDir} for changes to ${WEBHOOKS_FILE}: ${error.message}; restart to pick up changes`));
  } catch (error) {
    log('warn', `cannot watch ${dataDir} for changes to ${WEBHOOKS_FILE} (${error instanceof Error ? error.message : String(error)}): restart the runner after editing it`);
  }

  try {
    await opened.start();
  } catch (error) {
    die('could not start the device sources or the local API', error);
  }
  if (stopping) return;
  // No OS sleep events without Electron: a resume shows as a gap between the boot clock and the monotonic clock.
  const stopDetector = startResumeDetector({
    bootClock: () => procUptimeMs(),
    monotonic: () => performance.now(),
    onResume: (sleptMs) => {
      log('info', `woke up after about ${Math.round(sleptMs / 1000)} s asleep`);
      opened.suspend();
      void opened.resume();
    },
  });
  if (!stopDetector) log('info', 'no /proc/uptime here: sleep and resume are not detected');
  const api = opened.localApi.info();
  const apiText = !parsed.args.localApi ? 'local API off' : api.running && api.url ? `local API on ${api.url}` : `local API not running (${api.error ?? 'unknown error'})`;
  const count = opened.webhooks.list().length;
  log('info', `DeviceHooks headless runner ${version}: data in ${dataDir}, ${apiText}; ${count} webhook(s), ${pendingCount(opened)} callback(s) pending`);
}

function pendingCount(core: Core): number {
  try {
    return core.outbox.size;
  } catch {
    return 0;
  }
}

/** True when this module is the program node was asked to run (not when a test imports it). */
function isEntry(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return pathToFileURL(realpathSync(script)).href === import.meta.url;
  } catch {
    return false;
  }
}

/** The program: a command (main/cli/) or the runner. */
async function main(argv: string[]): Promise<void> {
  const parsed = parseCli(argv);
  if (parsed.kind === 'run') return runHeadless(parsed.argv);
  if (parsed.kind === 'help') {
    process.stdout.write(parsed.text);
    process.exit(EXIT.ok);
  }
  if (parsed.kind === 'usage-error') {
    process.stderr.write(`${parsed.message}\n\n${parsed.usage}`);
    process.exit(EXIT.usage);
  }
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  const code = await runCli(parsed, { defaultDataDir: defaultDataDir(process.platform, process.env, homedir()), version: readVersion() });
  process.exit(code);
}

if (isEntry()) {
  // Every folder and file this process creates is for its owner only (see main/services/ownerOnly.ts).
  restrictNewFiles();
    void main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`DeviceHooks headless runner failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(EXIT.failed);
  });
}
