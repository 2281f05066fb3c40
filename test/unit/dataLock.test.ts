import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCK_FILE, acquireDataLock, heldMessage } from '../../main/storage/dataLock';
import type { AcquireResult } from '../../main/storage/dataLock';
import { makeTempDir } from '../support/tmp';
import { recordingLogger } from '../support/storage';

/** A pid that surely ran and is surely gone: a child that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf-8' });
  return Number(child.stdout);
}

function held(result: AcquireResult): Extract<AcquireResult, { ok: true }> {
  if (!result.ok) throw new Error(`expected the lock, got: ${result.message}`);
  return result;
}

function refused(result: AcquireResult): Extract<AcquireResult, { ok: false }> {
  if (result.ok) throw new Error('expected a refusal, got the lock');
  return result;
}

function contents(dir: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf-8')) as Record<string, unknown>;
}

describe('data-folder lock', () => {
  it('is taken with a JSON file saying who holds it, and released', async () => {
    const dir = await makeTempDir();
    const lock = held(acquireDataLock(dir, { kind: 'headless', hostname: 'lab-1' }));
    expect(lock.file).toBe(join(dir, LOCK_FILE));
    expect(contents(dir)).toMatchObject({ kind: 'headless', pid: process.pid, hostname: 'lab-1' });
    expect(new Date(String(contents(dir)['startedAt'])).getTime()).not.toBeNaN();
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    lock.release(); // twice is harmless
    // …and can be taken again.
    held(acquireDataLock(dir, { kind: 'desktop', hostname: 'lab-1' })).release();
  });

  it('creates the data folder when it is missing', async () => {
    const dir = join(await makeTempDir(), 'new', 'folder');
    const lock = held(acquireDataLock(dir, { kind: 'headless' }));
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
    lock.release();
  });

  it('refuses a second while the holder runs, saying who holds it and what to do', async () => {
    const dir = await makeTempDir();
    const first = held(acquireDataLock(dir, { kind: 'headless', hostname: 'lab-1', now: () => new Date(2026, 10, 27, 10, 15).getTime() }));
    const second = refused(acquireDataLock(dir, { kind: 'headless', pid: process.pid + 100_000, hostname: 'lab-1' }));
    expect(second.holder).toMatchObject({ kind: 'headless', pid: process.pid, hostname: 'lab-1', startedAt: new Date(2026, 10, 27, 10, 15).toISOString() });
    expect(second.message).toContain(`The DeviceHooks headless runner (pid ${process.pid}, started `);
    expect(second.message).toContain(`is using ${dir}`);
    expect(second.message).toContain('systemctl stop devicehooks');
    expect(second.message).toContain('another --data-dir');
    // The holder's file is untouched.
    expect(contents(dir)).toMatchObject({ pid: process.pid });

    // The desktop app asking gets a sentence for it (no --data-dir there).
    const desktop = refused(acquireDataLock(dir, { kind: 'desktop', pid: process.pid + 100_000, hostname: 'lab-1' }));
    expect(desktop.message).toMatch(/^The DeviceHooks headless runner \(pid \d+, started .+\) is using .+\. Stop it first/);
    expect(desktop.message).not.toContain('--data-dir');
    first.release();
  });

  it('names the desktop app when it holds the folder', async () => {
    const dir = await makeTempDir();
    const app = held(acquireDataLock(dir, { kind: 'desktop', hostname: 'lab-1' }));
    const runner = refused(acquireDataLock(dir, { kind: 'headless', pid: process.pid + 100_000, hostname: 'lab-1' }));
    expect(runner.holder.kind).toBe('desktop');
    expect(runner.message).toContain(`The DeviceHooks desktop app (pid ${process.pid}, started `);
    expect(runner.message).toContain(`is using ${dir}: quit it first`);
    app.release();
  });

  it('takes over a lock whose process is gone, and says so in the log', async () => {
    const dir = await makeTempDir();
    const gone = deadPid();
    expect(() => process.kill(gone, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({ kind: 'headless', pid: gone, hostname: 'lab-1', startedAt: '2026-11-27T09:00:00.000Z', id: 'old' }),
    );
    const { log, lines } = recordingLogger();
    const lock = held(acquireDataLock(dir, { kind: 'headless', hostname: 'lab-1', logger: log }));
    expect(contents(dir)).toMatchObject({ pid: process.pid, kind: 'headless' });
    expect(lines.some((l) => l.level === 'warn' && l.message.includes(`stale lock`) && l.message.includes(`pid ${gone}`))).toBe(true);
    lock.release();
  });

  it('takes over an unreadable lock file once it is not being written any more', async () => {
    const dir = await makeTempDir();
    writeFileSync(join(dir, LOCK_FILE), '');
    // Just written: another starter may be between creating and filling it.
    const fresh = refused(acquireDataLock(dir, { kind: 'headless', hostname: 'lab-1' }));
    expect(fresh.message).toContain('starting on');
    // Later: it is left over from a crash.
    const later = Date.now() + 60_000;
    held(acquireDataLock(dir, { kind: 'headless', hostname: 'lab-1', now: () => later })).release();
  });

  it('refuses a lock from another machine (its process cannot be checked) and says how to remove it', async () => {
    const dir = await makeTempDir();
    const file = join(dir, LOCK_FILE);
    const foreign = JSON.stringify({ kind: 'headless', pid: deadPid(), hostname: 'lab-2', startedAt: '2026-11-27T09:00:00.000Z', id: 'theirs' });
    writeFileSync(file, foreign);
    const result = refused(acquireDataLock(dir, { kind: 'headless', hostname: 'lab-1' }));
    expect(result.holder.hostname).toBe('lab-2');
    expect(result.message).toContain('"lab-2"');
    expect(result.message).toContain('cannot check whether it still runs');
    expect(result.message).toContain(`delete ${file}`);
    expect(readFileSync(file, 'utf-8')).toBe(foreign);
  });

  it('release leaves alone a lock that is not ours any more', async () => {
    const dir = await makeTempDir();
    const file = join(dir, LOCK_FILE);
    const mine = held(acquireDataLock(dir, { kind: 'headless', hostname: 'lab-1' }));
    // Someone removed ours by hand and another DeviceHooks took the folder.
    const theirs = JSON.stringify({ kind: 'desktop', pid: process.pid, hostname: 'lab-1', startedAt: new Date().toISOString(), id: 'someone-else' });
    writeFileSync(file, theirs);
    mine.release();
    expect(readFileSync(file, 'utf-8')).toBe(theirs);
  });

  it('is released when the process exits without releasing it (an exit hook, removed by release)', async () => {
    const dir = await makeTempDir();
    const before = new Set(process.listeners('exit'));
    const lock = held(acquireDataLock(dir, { kind: 'headless' }));
    const added = process.listeners('exit').filter((l) => !before.has(l));
    expect(added).toHaveLength(1);
    // Run only our hook: emitting 'exit' would run every other listener of the test worker too.
    (added[0] as (code: number) => void)(0);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    expect(process.listeners('exit')).not.toContain(added[0]);

    const again = held(acquireDataLock(dir, { kind: 'headless' }));
    const hook = process.listeners('exit').filter((l) => !before.has(l));
    again.release();
    expect(process.listeners('exit').filter((l) => hook.includes(l))).toEqual([]);
    lock.release();
  });

  it('words: clock time for today, and the sentence for a desktop app asking', () => {
    const startedAt = new Date();
    startedAt.setHours(10, 15, 0, 0);
    expect(heldMessage({ kind: 'headless', pid: 4242, hostname: 'h', startedAt: startedAt.toISOString() }, '/data/dir', 'headless')).toBe(
      'The DeviceHooks headless runner (pid 4242, started 10:15) is using /data/dir. Stop it first (for example: systemctl stop devicehooks), or use another --data-dir.',
    );
    expect(heldMessage({ kind: 'desktop', pid: 7, hostname: 'h', startedAt: startedAt.toISOString() }, '/data/dir', 'headless')).toBe(
      'The DeviceHooks desktop app (pid 7, started 10:15) is using /data/dir: quit it first, or use another --data-dir.',
    );
  });
});
