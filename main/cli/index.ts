// `devicehooks-headless COMMAND …`: the command-line half of the headless runner.
//
// Who executes a command:
// 1. a headless runner on the folder, over its control socket (control.ts): the change takes effect at once;
// 2. else this process, on the folder's files, holding the data-folder lock (main/storage/dataLock.ts) meanwhile
//    (and answering `busy` on the control socket, so a second command waits its turn instead of racing);
// 3. a folder held by a DeviceHooks that does not answer (the desktop app, or a runner that is stuck):
//    commands that change something exit 3 naming it; commands that only read work on a copy of the files.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { acquireDataLock } from '../storage/dataLock';
import type { LockHolder } from '../storage/dataLock';
import { createFileLogger } from '../base/log';
import type { Logger } from '../base/log';
import { StorageError } from '../storage/errors';
import { parseCli } from './args';
import type { ParsedCli } from './args';
import { execute } from './commands';
import { openFolderContext } from './context';
import { CONTROL_SOCKET, controlAddress, listenControl, sendControl } from './control';
import type { ControlServer } from './control';
import { CLI_EXIT, READ_ONLY_COMMANDS } from './types';
import type { CliRequest, CliResponse } from './types';

export { parseCli };
export type { ParsedCli };

/** How long a command waits for another command holding the folder, and for a runner that is starting. */
const BUSY_WAIT_MS = 60_000;
const STARTING_GRACE_MS = 2_000;
/** A runner answers a ping at once, whatever it is doing. */
const PING_TIMEOUT_MS = 3_000;
/** A command on the runner may send a callback (up to the delivery timeout, 10 s by default, at most 120 s). */
const COMMAND_TIMEOUT_MS = 150_000;

interface CliEnv {
  defaultDataDir: string;
  version: string;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

function osUser(): string {
  try {
    return userInfo().username || 'Admin';
  } catch {
    return 'Admin';
  }
}

/** Runs one command and answers the exit code (the caller exits with it). */
export async function runCli(parsed: Extract<ParsedCli, { kind: 'command' }>, env: CliEnv): Promise<number> {
  const dataDir = resolve(parsed.dataDir ?? env.defaultDataDir);
  const request: CliRequest = { command: parsed.command, args: parsed.args, options: { ...parsed.options, json: parsed.json } };

  // Files are the caller's: read the import here, write the export here.
  if (parsed.command === 'webhooks import') {
    const file = parsed.args[0] ?? '';
    try {
      request.fileText = readFileSync(resolve(file), 'utf-8');
    } catch (error) {
      process.stderr.write(`Cannot read ${file}: ${(error as Error).message}\n`);
      return CLI_EXIT.usage;
    }
  }
  const response = await dispatchRequest(dataDir, request, env);
  if (response.fileText !== undefined && response.code === CLI_EXIT.ok) {
    const file = parsed.args[0] ?? '';
    try {
      writeFileSync(resolve(file), response.fileText, { mode: 0o644 });
    } catch (error) {
      process.stderr.write(`Cannot write ${file}: ${(error as Error).message}\n`);
      return CLI_EXIT.failed;
    }
  }
  await write(process.stdout, response.out);
  await write(process.stderr, response.err);
  return response.code;
}

function write(stream: NodeJS.WriteStream, text: string): Promise<void> {
  if (text === '') return Promise.resolve();
  return new Promise((done) => stream.write(text, () => done()));
}

async function dispatchRequest(dataDir: string, request: CliRequest, env: CliEnv): Promise<CliResponse> {
  const command = request.command as Exclude<CliRequest['command'], 'ping'>;
  const readOnly = READ_ONLY_COMMANDS.has(command);
  const started = Date.now();
  let unansweredSince: number | undefined;
  for (;;) {
    const ping = await sendControl(dataDir, { command: 'ping', args: [], options: {} }, PING_TIMEOUT_MS);
    if (ping.kind === 'reply' && !('busy' in ping.reply)) {
      const sent = await sendControl(dataDir, request, COMMAND_TIMEOUT_MS);
      if (sent.kind === 'reply' && !('busy' in sent.reply)) return sent.reply;
      if (sent.kind === 'unreachable' && sent.timedOut) return unreachable(dataDir, request, env, holderNow(dataDir), sent.reason, readOnly);
      // It went away between the ping and the command (it stopped): look again.
      continue;
    }
    // A connection cut short is a holder closing down, not a stuck one: look at the lock.
    if (ping.kind === 'reply' || ping.kind === 'absent' || !ping.timedOut) {
      // Nobody listens, or another command has the folder for a moment.
      const busy = ping.kind === 'reply' && 'busy' in ping.reply;
      if (!busy) {
        let lock: ReturnType<typeof acquireDataLock>;
        try {
          lock = acquireDataLock(dataDir, { kind: 'headless' });
        } catch (error) {
          return { code: CLI_EXIT.failed, out: '', err: `DeviceHooks cannot use the data folder ${dataDir}: ${(error as Error).message}\n` };
        }
        if (lock.ok) {
          try {
            return await runOnFolder(dataDir, request, env);
          } finally {
            lock.release();
          }
        }
        // Held, and nobody answers yet: a runner still opening its files, a command about to listen, or
        // something that will not answer at all (the desktop app, a stuck runner).
        if (lock.holder.kind === 'desktop' || (lock.holder.hostname !== '' && lock.holder.hostname !== hostname())) {
          return unreachable(dataDir, request, env, lock.holder, 'it takes no commands from the command line', readOnly);
        }
        unansweredSince ??= Date.now();
        if (Date.now() - unansweredSince > STARTING_GRACE_MS) {
          return unreachable(dataDir, request, env, lock.holder, `nothing answers on ${controlAddress(dataDir)}`, readOnly);
        }
      } else unansweredSince = undefined;
      if (Date.now() - started > BUSY_WAIT_MS) {
        return { code: CLI_EXIT.unreachable, out: '', err: `Gave up after ${BUSY_WAIT_MS / 1000} s: other commands kept the data folder ${dataDir} busy. Nothing was changed.\n` };
      }
      await sleep(busy ? 100 : 150);
      continue;
    }
    // Something listens but does not answer (a runner that hangs, or is stopped with SIGSTOP).
    return unreachable(dataDir, request, env, holderNow(dataDir), ping.reason, readOnly);
  }
}

/** Who holds the folder now, for the message (undefined when nobody does any more). */
function holderNow(dataDir: string): LockHolder | undefined {
  try {
    const probe = acquireDataLock(dataDir, { kind: 'headless' });
    if (probe.ok) {
      probe.release();
      return undefined;
    }
    return probe.holder;
  } catch {
    return undefined;
  }
}

/** This process holds the lock: run on the files, and tell other commands to wait meanwhile. */
async function runOnFolder(dataDir: string, request: CliRequest, env: CliEnv): Promise<CliResponse> {
  let server: ControlServer | undefined;
  try {
    server = await listenControl(dataDir, () => Promise.resolve({ busy: true }));
  } catch {
    // Without it a second command waits for the lock a little longer; nothing else depends on it.
  }
  try {
    return await runOnFiles(dataDir, request, env, createFileLogger({ file: join(dataDir, 'logs', 'headless.log') }));
  } finally {
    await server?.close();
  }
}

async function runOnFiles(dataDir: string, request: CliRequest, env: CliEnv, logger: Logger): Promise<CliResponse> {
  let ctx: Awaited<ReturnType<typeof openFolderContext>>;
  try {
    ctx = await openFolderContext({ dataDir, logger, osUserName: osUser(), version: env.version, env: process.env });
  } catch (error) {
    const message = error instanceof StorageError ? error.message : `DeviceHooks could not open its data in ${dataDir}: ${String(error)}`;
    return { code: CLI_EXIT.failed, out: '', err: `${message}\n` };
  }
  try {
    const response = await execute(request, ctx);
    const notices = ctx.notices.map((n) => `${n}\n`).join('');
    return { ...response, err: notices + response.err };
  } catch (error) {
    return { code: CLI_EXIT.failed, out: '', err: `${error instanceof Error ? error.message : String(error)}\n` };
  } finally {
    await ctx.close();
  }
}

function describe(holder: LockHolder | undefined): string {
  if (!holder || holder.pid === 0) return 'The DeviceHooks using this folder';
  return `The DeviceHooks ${holder.kind === 'desktop' ? 'desktop app' : 'headless runner'} (pid ${holder.pid}${holder.hostname ? ` on ${holder.hostname}` : ''}, started ${holder.startedAt})`;
}

/** The folder is held by something that does not take commands: read from a copy, or refuse a change. */
async function unreachable(dataDir: string, request: CliRequest, env: CliEnv, holder: LockHolder | undefined, reason: string, readOnly: boolean): Promise<CliResponse> {
  const who = describe(holder);
  if (!readOnly) {
    const hint =
      holder?.kind === 'desktop'
        ? 'Make the change in its window, or quit it and run the command again.'
        : 'Check it (for example: systemctl status devicehooks, and its log in logs/headless.log), restart it, and run the command again.';
    return { code: CLI_EXIT.unreachable, out: '', err: `${who} is using ${dataDir} but does not answer commands (${reason}). Nothing was changed. ${hint}\n` };
  }
  // Reading a copy never disturbs the files the holder is writing.
  const copy = mkdtempSync(join(tmpdir(), 'devicehooks-read-'));
  try {
    cpSync(dataDir, copy, {
      recursive: true,
      filter: (source) => {
        const rel = relative(dataDir, source);
        if (rel === '') return true;
        const top = rel.split(sep)[0];
        return ['webhooks.json', 'profiles.json', 'settings.json', 'devices.json', 'delivery'].includes(top ?? '') && !rel.startsWith(join('delivery', 'outbox')) && !rel.endsWith(CONTROL_SOCKET);
      },
    });
    const response = await runOnFiles(copy, request, env, () => undefined);
    return { ...response, err: `${who} does not answer (${reason}): this was read from the files.\n${response.err}` };
  } catch (error) {
    return { code: CLI_EXIT.failed, out: '', err: `Cannot read the data in ${dataDir}: ${(error as Error).message}\n` };
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}
