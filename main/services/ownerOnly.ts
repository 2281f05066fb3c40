// Files only for their owner (POSIX). Two parts, both called by the entry points (main/index.ts and
// main/headless.ts):
//  - restrictNewFiles(): umask 077 at process start, so every folder and file this process creates —
//    data files and their temp files, the outbox, history, logs, the lock, and Electron's own files in the
//    user-data folder — is born 0700/0600 with no window in which it is readable by others, whichever
//    module writes it;
//  - tightenDataDir(): at start, an existing data folder (made by an older DeviceHooks, or copied in) is
//    walked once and every folder set to 0700, every file to 0600. Symbolic links are never followed.
// On Windows both do nothing: the user-data folder under %APPDATA% is already the user's own.
// Plain Node.
import { chmodSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const OWNER_ONLY_UMASK = 0o077;

/** Sets the process umask to 077 on POSIX; returns the previous one (undefined on Windows). */
export function restrictNewFiles(platform: NodeJS.Platform = process.platform): number | undefined {
  if (platform === 'win32') return undefined;
  return process.umask(OWNER_ONLY_UMASK);
}

interface TightenResult {
  /** How many folders and files had their mode changed. */
  tightened: number;
  /** Entries that could not be changed (path: reason). */
  failed: string[];
}

/** Folders to 0700, files to 0600, under `dir` and `dir` itself. A missing folder is nothing to do. */
export function tightenDataDir(dir: string, platform: NodeJS.Platform = process.platform): TightenResult {
  const result: TightenResult = { tightened: 0, failed: [] };
  if (platform === 'win32') return result;
  const visit = (path: string) => {
    let stat;
    try {
      stat = lstatSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') result.failed.push(`${path}: ${(error as Error).message}`);
      return;
    }
    // Links, sockets, pipes: left alone (a link may point anywhere).
    if (!stat.isDirectory() && !stat.isFile()) return;
    const want = stat.isDirectory() ? 0o700 : 0o600;
    if ((stat.mode & 0o777) !== want && (stat.mode & 0o077) !== 0) {
      try {
        chmodSync(path, want);
        result.tightened += 1;
      } catch (error) {
        result.failed.push(`${path}: ${(error as Error).message}`);
      }
    }
    if (stat.isDirectory()) {
      let names: string[] = [];
      try {
        names = readdirSync(path);
      } catch (error) {
        result.failed.push(`${path}: ${(error as Error).message}`);
      }
      for (const name of names) visit(join(path, name));
    }
  };
  visit(dir);
  return result;
}

/** The one log line for a tightening walk, or null when there was nothing to do. */
export function tightenSummary(dir: string, result: TightenResult): string | null {
  if (result.tightened === 0 && result.failed.length === 0) return null;
  const failed = result.failed.length > 0 ? `; could not change ${result.failed.length}: ${result.failed.slice(0, 3).join('; ')}` : '';
  return `data folder ${dir} made owner only: tightened ${result.tightened} entries (folders 0700, files 0600)${failed}`;
}
