// One DeviceHooks per data folder, across front ends: the desktop app and the headless runner must never
// both run on one folder (two outboxes sending the same callbacks, two writers of webhooks.json).
// Electron's requestSingleInstanceLock only knows other desktop instances, so both front ends also take
// `DATA_DIR/devicehooks.lock`: created with O_EXCL, holding who took it, as JSON. One cohesive thing
// (taking, checking and breaking that lock), a little over 400 lines.
//
// The lock also records the machine's boot id and the holder's process start time. A lock is stale
// (taken over) when the boot id differs (written before the machine restarted: every process of then is
// gone, even if its pid runs again), or when its pid is not running or now runs a process started at
// another time (the pid was reused). Where the OS gives no start time, the rule is `kill(pid, 0)`
// (ESRCH = gone). A lock written on another host (a data folder on a network share) cannot be checked,
// so it is refused with a sentence saying how to remove it. Plain Node, no Electron.
//
// Taking the lock: our contents go to a private temp file, which is hard-linked to the lock name (the
// lock appears whole, and only if there is none). Taking over a stale lock happens under a short-lived
// `devicehooks.lock.takeover` file created with O_EXCL: only its holder may delete the lock file, and
// only after reading it again under it, so two instances starting at once cannot both win (one of them
// deleting the other's fresh lock).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../base/log';

export const LOCK_FILE = 'devicehooks.lock';

type LockKind = 'desktop' | 'headless';

export interface LockHolder {
  kind: LockKind;
  pid: number;
  hostname: string;
  /** ISO-8601 UTC */
  startedAt: string;
  /** The machine's boot id when the lock was taken (Linux), if known. */
  bootId?: string;
  /** The holder process's start time as the OS gives it (Linux: /proc/PID/stat field 22), if known. */
  processStartTime?: string;
}

/** What the file holds: the holder, and a random id so that release() removes only our own lock. */
interface LockFileContents extends LockHolder {
  id: string;
}

export interface AcquireOptions {
  kind: LockKind;
  /** Default process.pid (tests pass others). */
  pid?: number;
  /** Default os.hostname(). */
  hostname?: string;
  logger?: Logger;
  /** Default Date.now; for startedAt. */
  now?: () => number;
  /** Is `pid` running on this host? Default: process.kill(pid, 0) (ESRCH: no; EPERM: yes, another user's). Used where no start time is known. */
  isAlive?: (pid: number) => boolean;
  /** This boot of the machine (Linux: /proc/sys/kernel/random/boot_id); undefined where unknown. */
  bootId?: () => string | undefined;
  /** When `pid` started, as an opaque string; null when no such process runs; undefined where the OS does not say. */
  processStartTime?: (pid: number) => string | null | undefined;
}

export type AcquireResult =
  | { ok: true; file: string; release: () => void }
  | { ok: false; file: string; holder: LockHolder; message: string };

/** A lock file that does not parse and is younger than this is probably being written right now. */
const FRESH_UNREADABLE_MS = 2_000;

export function acquireDataLock(dataDir: string, options: AcquireOptions): AcquireResult {
  const file = join(dataDir, LOCK_FILE);
  const log: Logger = options.logger ?? (() => undefined);
  const now = options.now ?? Date.now;
  const isAlive = options.isAlive ?? pidIsAlive;
  const bootId = (options.bootId ?? readBootId)();
  const startTimeOf = options.processStartTime ?? processStartTime;
  const pid = options.pid ?? process.pid;
  const myStart = startTimeOf(pid);
  const me: LockFileContents = {
    kind: options.kind,
    pid,
    hostname: options.hostname ?? osHostname(),
    startedAt: new Date(now()).toISOString(),
    ...(bootId ? { bootId } : {}),
    ...(typeof myStart === 'string' ? { processStartTime: myStart } : {}),
    id: randomBytes(12).toString('hex'),
  };
  const text = `${JSON.stringify(me, null, 2)}\n`;
  mkdirSync(dataDir, { recursive: true });
  const tmp = `${file}.${me.id}.tmp`;
  writeFileSync(tmp, text, { flag: 'wx', mode: 0o600 });

  try {
    // A few rounds: a stale lock removed here may be re-created by another starter at the same moment.
    for (let round = 0; round < 5; round++) {
      if (createLock(tmp, file, text)) return { ok: true, file, release: holdUntilRelease(file, me.id) };

      const seen = readLock(file);
      if (seen === 'missing') continue; // released between our attempt and the read: try again
      if (seen.kind === 'unreadable') {
        if (now() - seen.mtimeMs < FRESH_UNREADABLE_MS) {
          const holder: LockHolder = { kind: 'headless', pid: 0, hostname: '', startedAt: new Date(seen.mtimeMs).toISOString() };
          return {
            ok: false,
            file,
            holder,
            message: `Another DeviceHooks is starting on ${dataDir} right now (${file} is being written). Wait a moment and check that only one runs on this folder.`,
          };
        }
      } else {
        const holder = seen.holder;
        if (holder.hostname !== me.hostname) {
          return { ok: false, file, holder, message: foreignHostMessage(holder, dataDir, file) };
        }
        if (holder.pid !== me.pid && !isStale(holder, bootId, startTimeOf, isAlive)) {
          return { ok: false, file, holder, message: heldMessage(holder, dataDir, options.kind) };
        }
      }
      const taken = removeStale(file, seen, log, { bootId, startTimeOf, isAlive, me, now });
      if (taken === 'busy') sleepSync(20 + round * 30);
    }
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
  }
  const seen = readLock(file);
  const holder: LockHolder = seen !== 'missing' && seen.kind === 'holder' ? seen.holder : { kind: 'headless', pid: 0, hostname: '', startedAt: '' };
  return {
    ok: false,
    file,
    holder,
    message: `Could not take the lock ${file}: another DeviceHooks keeps starting on ${dataDir}. Make sure only one runs on this folder.`,
  };
}

/** Puts our lock in place if there is none: a hard link of the temp file (or O_EXCL where links fail). */
function createLock(tmp: string, file: string, text: string): boolean {
  try {
    linkSync(tmp, file);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error;
  }
  // A file system without hard links (FAT, some network shares): create it directly.
  try {
    writeFileSync(file, text, { flag: 'wx', mode: 0o600 });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** Why `holder` no longer holds the lock, or undefined when it still does. */
function staleReason(
  holder: LockHolder,
  bootId: string | undefined,
  startTimeOf: (pid: number) => string | null | undefined,
  isAlive: (pid: number) => boolean,
): string | undefined {
  if (holder.bootId && bootId && holder.bootId !== bootId) return 'was taken before the machine restarted';
  if (holder.processStartTime !== undefined) {
    const started = startTimeOf(holder.pid);
    if (started === null) return 'is no longer running';
    if (started !== undefined) return started === holder.processStartTime ? undefined : `is no longer running (pid ${holder.pid} now belongs to another process)`;
  }
  return isAlive(holder.pid) ? undefined : 'is no longer running';
}

function isStale(
  holder: LockHolder,
  bootId: string | undefined,
  startTimeOf: (pid: number) => string | null | undefined,
  isAlive: (pid: number) => boolean,
): boolean {
  return staleReason(holder, bootId, startTimeOf, isAlive) !== undefined;
}

const TAKEOVER_STALE_MS = 10_000;

/**
 * Deletes the stale lock `seen`, under the takeover file, only if the lock file still holds exactly
 * what was judged stale. 'busy': another instance is taking it over right now.
 */
function removeStale(
  file: string,
  seen: Exclude<Seen, 'missing'>,
  log: Logger,
  ctx: {
    bootId: string | undefined;
    startTimeOf: (pid: number) => string | null | undefined;
    isAlive: (pid: number) => boolean;
    me: LockFileContents;
    now: () => number;
  },
): 'removed' | 'changed' | 'busy' {
  const guard = `${file}.takeover`;
  let fd: number;
  try {
    fd = openSync(guard, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // Held for microseconds by a live starter; one left by a crash in that moment is cleared after a while.
    try {
      if (ctx.now() - statSync(guard).mtimeMs > TAKEOVER_STALE_MS) {
        unlinkSync(guard);
        log('warn', `data lock: removed ${guard}, left by a start that crashed`);
      }
    } catch {
      // gone meanwhile
    }
    return 'busy';
  }
  try {
    writeSync(fd, `${ctx.me.pid}\n`);
    closeSync(fd);
    // Read again under the guard: only if it is still the lock we judged may it go.
    if (!sameContents(file, seen.text)) return 'changed';
    if (seen.kind === 'unreadable') {
      log('warn', `data lock: ${file} could not be read (${seen.reason}); taking it over`);
    } else if (seen.holder.pid === ctx.me.pid) {
      // Our own pid: a lock left by an earlier run whose pid was handed to us, or an earlier acquire
      // in this very process that was never released. Either way nobody else holds it.
      log('warn', `data lock: ${file} names this process (pid ${seen.holder.pid}); taking it over`);
    } else {
      const why = staleReason(seen.holder, ctx.bootId, ctx.startTimeOf, ctx.isAlive) ?? 'is no longer running';
      log('warn', `data lock: taking over the stale lock of the DeviceHooks ${describeKind(seen.holder.kind)} (pid ${seen.holder.pid}, started ${seen.holder.startedAt}), which ${why}`);
    }
    try {
      unlinkSync(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    return 'removed';
  } finally {
    try {
      unlinkSync(guard);
    } catch {
      // gone already
    }
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** This boot of the machine: Linux only (undefined elsewhere or when unreadable). */
function readBootId(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf-8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * When `pid` started, as the OS gives it: Linux, field 22 of /proc/PID/stat (clock ticks since boot);
 * macOS and the BSDs, `ps -o lstart=`. null: no such process. undefined: the OS does not say (Windows).
 */
function processStartTime(pid: number): string | null | undefined {
  if (!Number.isSafeInteger(pid) || pid <= 0) return null;
  if (process.platform === 'linux') {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf-8');
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ENOENT' ? null : undefined;
    }
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = fields[19]; // field 22 overall; fields[0] is field 3
    return start && /^\d+$/.test(start) ? start : undefined;
  }
  if (process.platform === 'darwin' || process.platform.endsWith('bsd')) {
    try {
      const out = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf-8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 2_000 }).trim();
      return out === '' ? null : out;
    } catch (error) {
      // ps exits 1 when there is no such process.
      return (error as { status?: number }).status === 1 ? null : undefined;
    }
  }
  return undefined;
}

/** The message a second DeviceHooks gets when `holder` has the folder. */
export function heldMessage(holder: LockHolder, dataDir: string, wanting: LockKind): string {
  const who = `The DeviceHooks ${describeKind(holder.kind)} (pid ${holder.pid}, started ${clockTime(holder.startedAt)})`;
  if (holder.kind === 'desktop') {
    return `${who} is using ${dataDir}: quit it first${wanting === 'headless' ? ', or use another --data-dir' : ''}.`;
  }
  return `${who} is using ${dataDir}. Stop it first (for example: systemctl stop devicehooks)${wanting === 'headless' ? ', or use another --data-dir' : ''}.`;
}

function foreignHostMessage(holder: LockHolder, dataDir: string, file: string): string {
  return (
    `The DeviceHooks ${describeKind(holder.kind)} on the machine "${holder.hostname}" (pid ${holder.pid}, started ${clockTime(holder.startedAt)}) ` +
    `is using ${dataDir}, and from here DeviceHooks cannot check whether it still runs. Stop it there first. ` +
    `If you are sure it no longer runs, delete ${file} and start again.`
  );
}

function describeKind(kind: LockKind): string {
  return kind === 'desktop' ? 'desktop app' : 'headless runner';
}

/** `10:15` today, else `2026-11-27 10:15` (local time); the raw text if it is not a date. */
function clockTime(iso: string): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso || 'at an unknown time';
  const pad = (n: number) => String(n).padStart(2, '0');
  const hm = `${pad(at.getHours())}:${pad(at.getMinutes())}`;
  const today = new Date();
  const sameDay = at.getFullYear() === today.getFullYear() && at.getMonth() === today.getMonth() && at.getDate() === today.getDate();
  return sameDay ? hm : `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${hm}`;
}

function pidIsAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user. Only ESRCH says it is gone.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

type Seen = 'missing' | { kind: 'holder'; holder: LockHolder; id: string; text: string } | { kind: 'unreadable'; reason: string; mtimeMs: number; text: string };

function readLock(file: string): Seen {
  let text: string;
  let mtimeMs: number;
  try {
    mtimeMs = statSync(file).mtimeMs;
    text = readFileSync(file, 'utf-8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    return { kind: 'unreadable', reason: text.trim() === '' ? 'it is empty' : `it is not valid JSON (${(error as Error).message})`, mtimeMs, text };
  }
  const d = doc as Partial<LockFileContents> | null;
  if (
    typeof d !== 'object' ||
    d === null ||
    (d.kind !== 'desktop' && d.kind !== 'headless') ||
    typeof d.pid !== 'number' ||
    typeof d.hostname !== 'string' ||
    typeof d.startedAt !== 'string'
  ) {
    return { kind: 'unreadable', reason: 'it is not a DeviceHooks lock', mtimeMs, text };
  }
  const holder: LockHolder = { kind: d.kind, pid: d.pid, hostname: d.hostname, startedAt: d.startedAt };
  if (typeof d.bootId === 'string') holder.bootId = d.bootId;
  if (typeof d.processStartTime === 'string') holder.processStartTime = d.processStartTime;
  return { kind: 'holder', holder, id: typeof d.id === 'string' ? d.id : '', text };
}

function sameContents(file: string, text: string): boolean {
  try {
    return readFileSync(file, 'utf-8') === text;
  } catch {
    return false;
  }
}

/** The release function: removes the file only while it is still ours; also runs at process exit. */
function holdUntilRelease(file: string, id: string): () => void {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.removeListener('exit', release);
    const seen = (() => {
      try {
        return readLock(file);
      } catch {
        return 'missing' as const;
      }
    })();
    if (seen === 'missing' || seen.kind !== 'holder' || seen.id !== id) return; // someone else's now: leave it
    try {
      unlinkSync(file);
    } catch {
      // Gone already, or the folder went away: nothing to release.
    }
  };
  process.on('exit', release);
  return release;
}
