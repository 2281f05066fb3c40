import { chmodSync, lstatSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OWNER_ONLY_UMASK, tightenDataDir } from '../../main/services/ownerOnly';
import { makeTempDir } from '../support/tmp';

const mode = (path: string) => lstatSync(path).mode & 0o777;
const posix = process.platform !== 'win32';

describe.runIf(posix)('owner-only data folder', () => {
  it('tightens an existing 0755/0644 folder: every folder 0700, every file 0600; says how many it changed', async () => {
    const dir = await makeTempDir();
    mkdirSync(join(dir, 'delivery', 'outbox'), { recursive: true });
    writeFileSync(join(dir, 'devices.json'), '{}');
    writeFileSync(join(dir, 'delivery', 'outbox', 'journal.1'), 'x');
    writeFileSync(join(dir, 'already.json'), '{}');
    chmodSync(dir, 0o755);
    chmodSync(join(dir, 'delivery'), 0o755);
    chmodSync(join(dir, 'delivery', 'outbox'), 0o775);
    chmodSync(join(dir, 'devices.json'), 0o644);
    chmodSync(join(dir, 'delivery', 'outbox', 'journal.1'), 0o666);
    chmodSync(join(dir, 'already.json'), 0o600);

    const result = tightenDataDir(dir);
    expect(result).toEqual({ tightened: 5, failed: [] });
    expect(mode(dir)).toBe(0o700);
    expect(mode(join(dir, 'delivery'))).toBe(0o700);
    expect(mode(join(dir, 'delivery', 'outbox'))).toBe(0o700);
    expect(mode(join(dir, 'devices.json'))).toBe(0o600);
    expect(mode(join(dir, 'delivery', 'outbox', 'journal.1'))).toBe(0o600);
    expect(mode(join(dir, 'already.json'))).toBe(0o600);
    // A second start finds nothing to do.
    expect(tightenDataDir(dir)).toEqual({ tightened: 0, failed: [] });
  });

  it('never follows a symbolic link out of the folder', async () => {
    const dir = await makeTempDir();
    const outside = await makeTempDir();
    writeFileSync(join(outside, 'someone-elses.txt'), 'x');
    chmodSync(join(outside, 'someone-elses.txt'), 0o644);
    symlinkSync(outside, join(dir, 'link'));
    chmodSync(dir, 0o700);
    expect(tightenDataDir(dir).tightened).toBe(0);
    expect(mode(join(outside, 'someone-elses.txt'))).toBe(0o644);
  });

  it('a missing folder is nothing to tighten', async () => {
    const dir = await makeTempDir();
    expect(tightenDataDir(join(dir, 'not-yet'))).toEqual({ tightened: 0, failed: [] });
  });

  it('the umask leaves group and others nothing', () => {
    expect(OWNER_ONLY_UMASK).toBe(0o077);
    expect(0o666 & ~OWNER_ONLY_UMASK).toBe(0o600);
    expect(0o777 & ~OWNER_ONLY_UMASK).toBe(0o700);
  });
});
