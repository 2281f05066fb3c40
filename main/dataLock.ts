// One DeviceHooks per data folder, across front ends: the desktop app and the headless runner must never
// both run on one folder (two outboxes sending the same callbacks, two writers of webhooks.json).
// Electron's requestSingleInstanceLock only knows other desktop instances, so both front ends also take
// `DATA_DIR/devicehooks.lock`: created with O_EXCL, holding who took it, as JSON.
//
// A lock whose process is gone (this host, `kill(pid, 0)` answers ESRCH) is stale and taken over. A lock
// written on another host (a data folder on a network share) cannot be checked, so it is refused with a
// sentence saying how to remove it. Plain Node, no Electron.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import type { Logger } from './log';

export const LOCK_FILE = 'devicehooks.lock';

export type LockKind = 'desktop' | 'headless';

export interface LockHolder {
  kind: LockKind;
  pid: number;
  hostname: string;
  /** ISO-8601 UTC */
  startedAt: string;
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
  /** Is `pid` running on this host? Default: process.kill(pid, 0) (ESRCH: no; EPERM: yes, another user's). */
  isAlive?: (pid: number) => boolean;
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
  const me: LockFileContents = {
    kind: options.kind,
    pid: options.pid ?? process.pid,
    hostname: options.hostname ?? osHostname(),
    startedAt: new Date(now()).toISOString(),
    id: randomBytes(12).toString('hex'),
  };
  const text = `${JSON.stringify(me, null, 2)}\n`;
  mkdirSync(dataDir, { recursive: true });

  // A few rounds: a stale lock removed here may be re-created by another starter at the same moment.
  for (let round = 0; round < 3; round++) {
    try {
      writeFileSync(file, text, { flag: 'wx', mode: 0o644 });
      return { ok: true, file, release: holdUntilRelease(file, me.id) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }

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
      log('warn', `data lock: ${file} could not be read (${seen.reason}); taking it over`);
    } else {
      const holder = seen.holder;
      if (holder.hostname !== me.hostname) {
        return { ok: false, file, holder, message: foreignHostMessage(holder, dataDir, file) };
      }
      if (isAlive(holder.pid) && holder.pid !== me.pid) {
        return { ok: false, file, holder, message: heldMessage(holder, dataDir, options.kind) };
      }
      if (holder.pid === me.pid) {
        // Our own pid: a lock left by an earlier run whose pid was handed to us, or an earlier acquire
        // in this very process that was never released. Either way nobody else holds it.
        log('warn', `data lock: ${file} names this process (pid ${holder.pid}); taking it over`);
      } else {
        log('warn', `data lock: taking over the stale lock of the DeviceHooks ${describeKind(holder.kind)} (pid ${holder.pid}, started ${holder.startedAt}), which is no longer running`);
      }
    }
    // Remove the stale file only if it is still the one we looked at (not a lock someone just took).
    if (sameContents(file, seen.text)) {
      try {
        unlinkSync(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
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

export function pidIsAlive(pid: number): boolean {
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
  return { kind: 'holder', holder: { kind: d.kind, pid: d.pid, hostname: d.hostname, startedAt: d.startedAt }, id: typeof d.id === 'string' ? d.id : '', text };
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
