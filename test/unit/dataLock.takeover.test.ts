// The data-folder lock after a reboot (pid reused by another process) and under racing starts.
import * as realFs from 'node:fs';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { LOCK_FILE, acquireDataLock } from '../../main/storage/dataLock';
import type { AcquireOptions, AcquireResult } from '../../main/storage/dataLock';
import { makeTempDir } from '../support/tmp';

// Every node:fs call the lock makes goes through `hook` first: the race test runs a second start
// in between any two steps of the first.
const race = vi.hoisted(() => ({ hook: undefined as undefined | ((name: string) => void) }));
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof realFs>();
  const wrapped: Record<string, unknown> = { ...real };
  for (const [name, fn] of Object.entries(real)) {
    if (typeof fn === 'function' && name.endsWith('Sync')) {
      wrapped[name] = (...args: unknown[]) => {
        race.hook?.(name);
        return (fn as (...a: unknown[]) => unknown)(...args);
      };
    }
  }
  return { ...wrapped, default: wrapped };
});

const BOOT = '5f1c1f7e-0000-4000-8000-000000000001';
const host = 'lab-1';

/** Probes of a machine where `running` maps each live pid to its start time. */
function machine(running: Map<number, string>, bootId = BOOT): Partial<AcquireOptions> {
  return {
    hostname: host,
    bootId: () => bootId,
    processStartTime: (pid) => running.get(pid) ?? null,
    isAlive: (pid) => running.has(pid),
  };
}

function staleLock(dir: string, fields: Record<string, unknown>): void {
  writeFileSync(
    join(dir, LOCK_FILE),
    JSON.stringify({ kind: 'headless', pid: 4242, hostname: host, startedAt: '2026-11-20T10:00:00.000Z', id: 'old', ...fields }),
  );
}

function holderPid(dir: string): number {
  return (JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf-8')) as { pid: number }).pid;
}

describe('data-folder lock: boot id and process start time', () => {
  it('records the boot id and its process start time', async () => {
    const dir = await makeTempDir();
    const lock = acquireDataLock(dir, { kind: 'headless', pid: 100, ...machine(new Map([[100, '777']])) });
    expect(lock.ok).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf-8'))).toMatchObject({ pid: 100, bootId: BOOT, processStartTime: '777' });
    if (lock.ok) lock.release();
  });

  it('takes over a lock whose pid now belongs to another process (started at another time)', async () => {
    const dir = await makeTempDir();
    staleLock(dir, { bootId: BOOT, processStartTime: '1000' });
    const lines: string[] = [];
    // pid 4242 runs, but it is not the process that took the lock.
    const result = acquireDataLock(dir, { kind: 'headless', pid: 100, logger: (_l, m) => lines.push(m), ...machine(new Map([[4242, '2000'], [100, '5']])) });
    expect(result.ok).toBe(true);
    expect(holderPid(dir)).toBe(100);
    expect(lines.join('\n')).toMatch(/pid 4242 now belongs to another process/);
  });

  it('takes over a lock written before the machine restarted, even if its pid runs again', async () => {
    const dir = await makeTempDir();
    staleLock(dir, { bootId: 'another-boot', processStartTime: '1000' });
    const lines: string[] = [];
    const result = acquireDataLock(dir, { kind: 'headless', pid: 100, logger: (_l, m) => lines.push(m), ...machine(new Map([[4242, '1000'], [100, '5']])) });
    expect(result.ok).toBe(true);
    expect(lines.join('\n')).toMatch(/before the machine restarted/);
  });

  it('refuses a lock whose process still runs with the recorded start time', async () => {
    const dir = await makeTempDir();
    staleLock(dir, { bootId: BOOT, processStartTime: '1000' });
    const result = acquireDataLock(dir, { kind: 'headless', pid: 100, ...machine(new Map([[4242, '1000'], [100, '5']])) });
    expect(result.ok).toBe(false);
    expect(holderPid(dir)).toBe(4242);
  });

  it('a lock from before this version (no boot id, no start time) follows the old rule: alive pid = held', async () => {
    const dir = await makeTempDir();
    staleLock(dir, {});
    expect(acquireDataLock(dir, { kind: 'headless', pid: 100, ...machine(new Map([[4242, '9'], [100, '5']])) }).ok).toBe(false);
    expect(acquireDataLock(dir, { kind: 'headless', pid: 100, ...machine(new Map([[100, '5']])) }).ok).toBe(true);
  });

  it('where the OS gives no start time, the old rule applies', async () => {
    const dir = await makeTempDir();
    staleLock(dir, { bootId: BOOT, processStartTime: '1000' });
    const noStart = { ...machine(new Map([[100, '5']])), processStartTime: () => undefined, isAlive: (pid: number) => pid === 4242 || pid === 100 };
    expect(acquireDataLock(dir, { kind: 'headless', pid: 100, ...noStart }).ok).toBe(false);
  });

  it('reads the real probes on this machine (Linux: boot id and /proc start time of this process)', async () => {
    if (process.platform !== 'linux') return;
    const dir = await makeTempDir();
    const lock = acquireDataLock(dir, { kind: 'headless' });
    const written = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf-8')) as { bootId?: string; processStartTime?: string };
    expect(written.bootId).toBe(readFileSync('/proc/sys/kernel/random/boot_id', 'utf-8').trim());
    const stat = readFileSync(`/proc/${process.pid}/stat`, 'utf-8');
    expect(written.processStartTime).toBe(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    if (lock.ok) lock.release();
  });
});

describe('data-folder lock: two starts at once over a stale lock', () => {
  it('whichever step the second start runs between, exactly one wins and the file names it', async () => {
    // How many fs calls does one uncontended takeover make?
    const probeDir = await makeTempDir();
    staleLock(probeDir, { bootId: BOOT, processStartTime: '1000' });
    let calls = 0;
    race.hook = () => void calls++;
    const probe = acquireDataLock(probeDir, { kind: 'headless', pid: 1, ...machine(new Map([[1, '1']])) });
    race.hook = undefined;
    expect(probe.ok).toBe(true);
    if (probe.ok) probe.release();
    expect(calls).toBeGreaterThan(2);

    for (let k = 1; k <= calls + 2; k++) {
      const dir = await makeTempDir();
      staleLock(dir, { bootId: BOOT, processStartTime: '1000' });
      const running = new Map([
        [1, '11'],
        [2, '22'],
      ]);
      let n = 0;
      let second: AcquireResult | undefined;
      race.hook = () => {
        n++;
        if (n === k && !second) {
          race.hook = undefined;
          second = acquireDataLock(dir, { kind: 'desktop', pid: 2, ...machine(running) });
        }
      };
      const first = acquireDataLock(dir, { kind: 'headless', pid: 1, ...machine(running) });
      race.hook = undefined;
      const winners = [first.ok ? 1 : 0, second?.ok ? 2 : 0].filter(Boolean);
      expect(winners, `second start before fs call ${k}`).toHaveLength(1);
      expect(holderPid(dir), `second start before fs call ${k}`).toBe(winners[0]);
      expect(realFs.readdirSync(dir), `second start before fs call ${k}`).toEqual([LOCK_FILE]);
    }
  });
});
