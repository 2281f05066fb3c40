// Passphrases: at least 8 characters for new ones, scrypt N=2^17 (older hashes re-hashed on the next
// successful use), and wrong guesses slowed in main with growing delays (counted on an injected clock).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AttemptThrottle } from '../../main/profiles/attemptThrottle';
import { DEFAULT_SCRYPT, hashPassphrase, needsRehash } from '../../main/profiles/passphrase';
import { PROFILES_FILE, openProfileStore } from '../../main/profiles/profiles';
import type { ProfileResult } from '../../main/profiles/profiles';
import { toIpcError } from '../../main/ipc/results';
import { makeTempDir } from '../support/tmp';
import { recordingLogger } from '../support/storage';

const fast = { N: 2 ** 10, r: 8, p: 1 };
const code = (r: ProfileResult) => (!r.ok && 'error' in r ? r.error.code : r.ok ? 'ok' : 'fields');

async function storeWith(dir: string, clock: { t: number }, scrypt = fast) {
  const { profiles } = await openProfileStore({ dataDir: dir, osUserName: 'alice', logger: recordingLogger().log, now: () => clock.t, scrypt });
  return profiles;
}

describe('new passphrases', () => {
  it('need at least 8 characters', async () => {
    const profiles = await storeWith(await makeTempDir(), { t: 0 });
    expect(await profiles.createProfile(1, { name: 'x', roleId: 'member', passphrase: 'seven77' })).toEqual({
      ok: false,
      fieldErrors: { passphrase: 'Passphrase must be at least 8 characters' },
    });
    expect(await profiles.setPassphrase(1, 1, 'short')).toEqual({ ok: false, fieldErrors: { passphrase: 'Passphrase must be at least 8 characters' } });
    expect((await profiles.createProfile(1, { name: 'y', roleId: 'member', passphrase: 'eight888' })).ok).toBe(true);
  });

  it('are hashed with scrypt N=2^17 by default', async () => {
    expect(DEFAULT_SCRYPT).toEqual({ N: 2 ** 17, r: 8, p: 1 });
    expect((await hashPassphrase('correct horse')).split('$').slice(0, 4)).toEqual(['scrypt', '131072', '8', '1']);
  });
});

describe('re-hash on the next successful use', () => {
  it('a hash with weaker parameters is replaced when its passphrase is entered right, not when it is wrong', async () => {
    const dir = await makeTempDir();
    const clock = { t: Date.UTC(2026, 10, 29) };
    const old = await storeWith(dir, clock, { N: 2 ** 10, r: 8, p: 1 });
    const bob = await old.createProfile(1, { name: 'bob', roleId: 'member', passphrase: 'bob passphrase' });
    expect(bob.ok).toBe(true);
    await old.close();
    const hashOf = async () => (JSON.parse(await readFile(join(dir, PROFILES_FILE), 'utf8')) as { profiles: { name: string; passphraseHash?: string }[] }).profiles.find((p) => p.name === 'bob')?.passphraseHash ?? '';
    expect((await hashOf()).split('$')[1]).toBe('1024');

    const current = await storeWith(dir, clock, { N: 2 ** 11, r: 8, p: 1 });
    const id = current.listProfiles().find((p) => p.name === 'bob')?.id ?? 0;
    expect(code(await current.switchTo(id, 'not bob at all'))).toBe('wrong_passphrase');
    expect((await hashOf()).split('$')[1]).toBe('1024');
    expect(code(await current.switchTo(id, 'bob passphrase'))).toBe('ok');
    expect((await hashOf()).split('$')[1]).toBe('2048');
    // Still the same passphrase.
    expect(code(await current.switchTo(1))).toBe('ok');
    expect(code(await current.switchTo(id, 'bob passphrase'))).toBe('ok');
    expect(needsRehash(await hashOf(), { N: 2 ** 11, r: 8, p: 1 })).toBe(false);
    expect(needsRehash(await hashOf(), DEFAULT_SCRYPT)).toBe(true);
  });
});

describe('wrong guesses are throttled in main', () => {
  it('a script switching in a loop gets a handful of guesses, then one a minute; the right passphrase works after the wait', async () => {
    const dir = await makeTempDir();
    const clock = { t: Date.UTC(2026, 10, 29, 12) };
    const profiles = await storeWith(dir, clock);
    await profiles.setPassphrase(1, 1, 'the admin passphrase');
    await profiles.createProfile(1, { name: 'mallory', roleId: 'member' });
    const mallory = profiles.listProfiles().find((p) => p.name === 'mallory')?.id ?? 0;
    expect(code(await profiles.switchTo(mallory))).toBe('ok');

    // Ten minutes of a loop trying a guess every 100 ms: count the guesses that were really checked, per second.
    const start = clock.t;
    const checkedPerSecond = new Map<number, number>();
    let throttled: ProfileResult | undefined;
    for (let i = 0; i < 6000; i++) {
      const result = await profiles.switchTo(1, `guess number ${i}`);
      const c = code(result);
      if (c === 'wrong_passphrase') {
        const second = Math.floor((clock.t - start) / 1000);
        checkedPerSecond.set(second, (checkedPerSecond.get(second) ?? 0) + 1);
      } else {
        expect(c).toBe('throttled');
        throttled = result;
      }
      clock.t += 100;
    }
    const total = [...checkedPerSecond.values()].reduce((a, b) => a + b, 0);
    expect(Math.max(...checkedPerSecond.values())).toBeLessThanOrEqual(3);
    // 3 free, then after 1, 2, 4, 8, 16, 32 s, then one a minute: 18 in ten minutes (6000 without the throttle).
    expect(total).toBeLessThanOrEqual(20);
    expect(total).toBeGreaterThanOrEqual(10);
    const lastMinute = [...checkedPerSecond.entries()].filter(([s]) => s >= 540).reduce((a, [, n]) => a + n, 0);
    expect(lastMinute).toBeLessThanOrEqual(1);
    expect(throttled).toMatchObject({ ok: false, error: { code: 'throttled', message: expect.stringMatching(/Too many wrong passphrases .* try again in \d+ seconds?/) } });
    // The dialog shows it next to the passphrase field.
    expect(toIpcError(throttled as never)).toMatchObject({ code: 'validation', fieldErrors: { passphrase: expect.stringMatching(/Too many/) } });

    // The right passphrase, after the wait, works and clears the count.
    clock.t += 60_000;
    expect(code(await profiles.switchTo(1, 'the admin passphrase'))).toBe('ok');
    expect(code(await profiles.switchTo(mallory))).toBe('ok');
    expect(code(await profiles.switchTo(1, 'one typo'))).toBe('wrong_passphrase');
    expect(code(await profiles.switchTo(1, 'the admin passphrase'))).toBe('ok');
  });

  it('the schedule: 3 free, then 1 s doubling to at most a minute', () => {
    const clock = { t: 0 };
    const throttle = new AttemptThrottle<string>(() => clock.t);
    const waits: number[] = [];
    for (let i = 0; i < 12; i++) {
      waits.push(throttle.waitMs('k'));
      throttle.failed('k');
    }
    expect(waits).toEqual([0, 0, 0, 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
    throttle.succeeded('k');
    expect(throttle.waitMs('k')).toBe(0);
    clock.t += 5;
    expect(throttle.waitMs('other')).toBe(0);
  });
});
