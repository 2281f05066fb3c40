import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashPassphrase, isPassphraseHash, verifyPassphrase } from '../../main/profiles/passphrase';
import { ALL_PERMISSIONS, PERMISSIONS } from '../../main/profiles/permissions';
import { PROFILES_FILE, openProfileStore } from '../../main/profiles/profiles';
import type { Profile } from '../../preload/contract';
import type { OpenProfileStoreOptions, ProfileResult, ProfileStore, RoleResult } from '../../main/profiles/profiles';
import type { Role } from '../../main/profiles/permissions';
import { makeTempDir } from '../support/tmp';
import { recordingLogger } from '../support/storage';

const T0 = Date.UTC(2026, 10, 27, 9, 0, 0);

async function open(dataDir: string, extra: Partial<OpenProfileStoreOptions> = {}) {
  return openProfileStore({ dataDir, osUserName: 'alice', logger: recordingLogger().log, now: () => T0, ...extra });
}

function profileOf(result: ProfileResult): Profile {
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result)}`);
  return result.profile;
}
function roleOf(result: RoleResult): Role {
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result)}`);
  return result.role;
}
function errorCode(result: ProfileResult | RoleResult): string | undefined {
  return !result.ok && 'error' in result ? result.error.code : undefined;
}

/** An admin (id 1, "alice") plus a Member "bob" (id 2). */
async function withMember(dir: string): Promise<{ profiles: ProfileStore; admin: number; member: number }> {
  const { profiles } = await open(dir);
  const bob = profileOf(await profiles.createProfile(1, { name: 'bob', roleId: 'member' }));
  return { profiles, admin: 1, member: bob.id };
}

describe('permissions', () => {
  it('lists at least the four product permissions, each with a plain label', () => {
    expect(ALL_PERMISSIONS).toEqual(expect.arrayContaining(['org_setting.modify', 'org_setting.view', 'device.reserve', 'device.visibility.modify']));
    for (const p of PERMISSIONS) expect(p.label.length).toBeGreaterThan(5);
  });
});

describe('first launch', () => {
  it('creates one Admin profile named after the OS user, active, and saves it', async () => {
    const dir = await makeTempDir();
    const { profiles, recovered } = await open(dir, { osUserName: '  alice ' });
    expect(recovered).toBeUndefined();
    expect(profiles.listProfiles()).toEqual([
      { id: 1, name: 'alice', roleId: 'admin', roleName: 'Admin', permissions: [...ALL_PERMISSIONS], hasPassphrase: false },
    ]);
    expect(profiles.activeProfileId()).toBe(1);
    const onDisk = JSON.parse(await readFile(join(dir, PROFILES_FILE), 'utf-8'));
    expect(onDisk.profiles).toEqual([{ id: 1, name: 'alice', roleId: 'admin', createdAt: '2026-11-27T09:00:00.000Z' }]);
  });

  it('falls back to "Admin" when the OS user name is empty or unusable', async () => {
    expect((await open(await makeTempDir(), { osUserName: '' })).profiles.activeProfile().name).toBe('Admin');
    expect((await open(await makeTempDir(), { osUserName: 'x'.repeat(51) })).profiles.activeProfile().name).toBe('Admin');
  });

  it('does not recreate the Admin on the next launch (a renamed OS user changes nothing)', async () => {
    const dir = await makeTempDir();
    await open(dir);
    const { profiles } = await open(dir, { osUserName: 'someone-else' });
    expect(profiles.listProfiles().map((p) => p.name)).toEqual(['alice']);
  });

  it('has the built-in roles: Admin (everything) and Member (read only)', async () => {
    const { profiles } = await open(await makeTempDir());
    expect(profiles.listRoles()).toEqual([
      { id: 'admin', name: 'Admin', permissions: [...ALL_PERMISSIONS], builtIn: true },
      { id: 'member', name: 'Member', permissions: ['org_setting.view'], builtIn: true },
    ]);
  });
});

describe('can()', () => {
  it('follows the profile role; an unknown profile can do nothing', async () => {
    const { profiles, admin, member } = await withMember(await makeTempDir());
    for (const p of ALL_PERMISSIONS) expect(profiles.can(admin, p)).toBe(true);
    expect(ALL_PERMISSIONS.filter((p) => profiles.can(member, p))).toEqual(['org_setting.view']);
    expect(profiles.can(999, 'org_setting.view')).toBe(false);
  });
});

describe('managing profiles needs org_setting.modify on the acting profile', () => {
  it('a Member cannot create, rename, re-role or delete profiles', async () => {
    const { profiles, admin, member } = await withMember(await makeTempDir());
    const forbidden = { ok: false, error: { code: 'forbidden', message: 'Your profile (Member) cannot manage profiles and roles: ask an admin.' } };
    expect(await profiles.createProfile(member, { name: 'carol', roleId: 'admin' })).toEqual(forbidden);
    expect(await profiles.renameProfile(member, admin, 'mallory')).toEqual(forbidden);
    expect(await profiles.setProfileRole(member, member, 'admin')).toEqual(forbidden);
    expect(await profiles.deleteProfile(member, admin)).toEqual(forbidden);
    expect(await profiles.createRole(member, { name: 'Sneaky', permissions: [] })).toEqual(forbidden);
    expect(profiles.listProfiles().map((p) => [p.name, p.roleId])).toEqual([
      ['alice', 'admin'],
      ['bob', 'member'],
    ]);
  });

  it('an unknown acting profile is refused too', async () => {
    const { profiles } = await open(await makeTempDir());
    expect(errorCode(await profiles.createProfile(42, { name: 'x', roleId: 'admin' }))).toBe('forbidden');
  });

  it('an Admin creates, renames, re-roles and deletes', async () => {
    const { profiles, admin, member } = await withMember(await makeTempDir());
    expect(profileOf(await profiles.renameProfile(admin, member, '  Bobby ')).name).toBe('Bobby');
    expect(profileOf(await profiles.setProfileRole(admin, member, 'admin')).roleName).toBe('Admin');
    expect(profileOf(await profiles.setProfileRole(admin, member, 'member')).roleName).toBe('Member');
    expect(profileOf(await profiles.deleteProfile(admin, member)).name).toBe('Bobby');
    expect(profiles.listProfiles().map((p) => p.id)).toEqual([admin]);
  });

  it('checks names: required, at most 50, unique regardless of case', async () => {
    const { profiles, admin } = await withMember(await makeTempDir());
    expect(await profiles.createProfile(admin, { name: ' ', roleId: 'member' })).toEqual({ ok: false, fieldErrors: { name: 'Enter a name' } });
    expect(profileOf(await profiles.createProfile(admin, { name: 'c'.repeat(50), roleId: 'member' })).name).toHaveLength(50);
    expect(await profiles.createProfile(admin, { name: 'c'.repeat(51), roleId: 'member' })).toEqual({
      ok: false,
      fieldErrors: { name: 'Name must be at most 50 characters (this one has 51)' },
    });
    expect(await profiles.createProfile(admin, { name: 'BOB', roleId: 'member' })).toEqual({ ok: false, fieldErrors: { name: 'Another profile is already named "BOB"' } });
    expect(await profiles.createProfile(admin, { name: 'dan', roleId: 'nope' })).toEqual({ ok: false, fieldErrors: { roleId: 'That role no longer exists: choose another' } });
  });

  it('never reuses a profile id', async () => {
    const dir = await makeTempDir();
    const { profiles, admin, member } = await withMember(dir);
    await profiles.deleteProfile(admin, member);
    await profiles.close();
    const again = await open(dir);
    expect(profileOf(await again.profiles.createProfile(admin, { name: 'eve', roleId: 'member' })).id).toBe(member + 1);
  });
});

describe('the last Admin', () => {
  it('cannot be deleted', async () => {
    const { profiles, admin, member } = await withMember(await makeTempDir());
    await profiles.switchTo(member);
    const result = await profiles.deleteProfile(admin, admin);
    expect(result).toEqual({
      ok: false,
      error: { code: 'last_admin', message: '"alice" is the last Admin and cannot be deleted: make another profile an Admin first.' },
    });
    expect(profiles.getProfile(admin)).toBeDefined();
  });

  it('cannot be demoted, to Member or to a custom role', async () => {
    const { profiles, admin } = await withMember(await makeTempDir());
    const custom = roleOf(await profiles.createRole(admin, { name: 'Everything but', permissions: [...ALL_PERMISSIONS] }));
    for (const roleId of ['member', custom.id]) {
      expect(await profiles.setProfileRole(admin, admin, roleId)).toEqual({
        ok: false,
        error: { code: 'last_admin', message: '"alice" is the last Admin, so it must stay an Admin: make another profile an Admin first.' },
      });
    }
    expect(profiles.getProfile(admin)?.roleId).toBe('admin');
  });

  it('can be demoted once there is another Admin; then the other is the last', async () => {
    const { profiles, admin, member } = await withMember(await makeTempDir());
    await profiles.setProfileRole(admin, member, 'admin');
    expect((await profiles.setProfileRole(admin, admin, 'member')).ok).toBe(true);
    expect(errorCode(await profiles.setProfileRole(member, member, 'member'))).toBe('last_admin');
  });

  it('the profile in use cannot be deleted', async () => {
    const { profiles, admin, member } = await withMember(await makeTempDir());
    await profiles.setProfileRole(admin, member, 'admin');
    expect(errorCode(await profiles.deleteProfile(admin, admin))).toBe('active_profile');
  });
});

describe('passphrases', () => {
  it('are stored only as scrypt hashes: the plain text is nowhere in the file', async () => {
    const dir = await makeTempDir();
    const { profiles } = await open(dir);
    const admin = profiles.activeProfileId();
    const secret = 'correct horse battery staple';
    const p = profileOf(await profiles.createProfile(admin, { name: 'carol', roleId: 'member', passphrase: secret }));
    expect(p.hasPassphrase).toBe(true);
    expect(p).not.toHaveProperty('passphraseHash');
    await profiles.setPassphrase(admin, admin, 'another secret');
    const text = await readFile(join(dir, PROFILES_FILE), 'utf-8');
    expect(text).not.toContain(secret);
    expect(text).not.toContain('another secret');
    expect(text).not.toContain(Buffer.from(secret).toString('base64'));
    const stored = JSON.parse(text).profiles.find((x: { id: number }) => x.id === p.id).passphraseHash as string;
    expect(stored).toMatch(/^scrypt\$131072\$8\$1\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(stored.split('$')[4] ?? '', 'base64')).toHaveLength(16);
  });

  it('switching to a profile with a passphrase requires it; wrong is refused; right switches and persists', async () => {
    const dir = await makeTempDir();
    const { profiles } = await open(dir);
    const admin = profiles.activeProfileId();
    const carol = profileOf(await profiles.createProfile(admin, { name: 'carol', roleId: 'member', passphrase: 'open sesame' }));
    expect(await profiles.switchTo(carol.id)).toEqual({ ok: false, error: { code: 'passphrase_required', message: 'Enter the passphrase of "carol" to switch to it.' } });
    expect(await profiles.switchTo(carol.id, 'open sesamE')).toEqual({ ok: false, error: { code: 'wrong_passphrase', message: 'That is not the passphrase of "carol".' } });
    expect(profiles.activeProfileId()).toBe(admin);
    expect(profileOf(await profiles.switchTo(carol.id, 'open sesame')).id).toBe(carol.id);
    await profiles.close();
    expect((await open(dir)).profiles.activeProfileId()).toBe(carol.id);
  });

  it('switching to a profile without one needs nothing; an unknown profile is not_found', async () => {
    const { profiles, member } = await withMember(await makeTempDir());
    expect(profileOf(await profiles.switchTo(member)).name).toBe('bob');
    expect(errorCode(await profiles.switchTo(999))).toBe('not_found');
  });

  it('need at least 8 characters', async () => {
    const { profiles } = await open(await makeTempDir());
    const admin = profiles.activeProfileId();
    expect(await profiles.createProfile(admin, { name: 'x', roleId: 'member', passphrase: 'abcdefg' })).toEqual({
      ok: false,
      fieldErrors: { passphrase: 'Passphrase must be at least 8 characters' },
    });
    expect((await profiles.createProfile(admin, { name: 'y', roleId: 'member', passphrase: 'abcdefgh' })).ok).toBe(true);
  });

  it('a profile may set or remove its own; only an Admin may set another one', async () => {
    const { profiles, admin, member } = await withMember(await makeTempDir());
    expect(profileOf(await profiles.setPassphrase(member, member, 'mine!mine!')).hasPassphrase).toBe(true);
    expect(await profiles.setPassphrase(member, admin, 'hijack')).toEqual({
      ok: false,
      error: { code: 'forbidden', message: "Your profile (Member) cannot change another profile's passphrase: ask an admin." },
    });
    expect(profiles.getProfile(admin)?.hasPassphrase).toBe(false);
    expect(profileOf(await profiles.setPassphrase(admin, member, null)).hasPassphrase).toBe(false);
  });

  it('hash with a random salt, verify in constant time, and reject tampered or absurd hashes', async () => {
    const a = await hashPassphrase('same');
    const b = await hashPassphrase('same');
    expect(a).not.toBe(b);
    expect(await verifyPassphrase('same', a)).toBe(true);
    expect(await verifyPassphrase('Same', a)).toBe(false);
    const parts = a.split('$');
    const flipped = Buffer.from(parts[5] ?? '', 'base64');
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    expect(await verifyPassphrase('same', [...parts.slice(0, 5), flipped.toString('base64')].join('$'))).toBe(false);
    expect(await verifyPassphrase('same', 'plain-text')).toBe(false);
    expect(isPassphraseHash(['scrypt', 2 ** 30, 8, 1, parts[4], parts[5]].join('$'))).toBe(false);
    expect(isPassphraseHash(a)).toBe(true);
  });
});

describe('custom roles', () => {
  it('an Admin creates a role with chosen permissions (canonical order, no duplicates) and assigns it', async () => {
    const { profiles, admin, member } = await withMember(await makeTempDir());
    const qa = roleOf(await profiles.createRole(admin, { name: 'QA', permissions: ['device.reserve', 'org_setting.view', 'device.reserve'] }));
    expect(qa).toEqual({ id: 'role-1', name: 'QA', permissions: ['org_setting.view', 'device.reserve'], builtIn: false });
    await profiles.setProfileRole(admin, member, qa.id);
    expect(profiles.can(member, 'device.reserve')).toBe(true);
    expect(profiles.can(member, 'org_setting.modify')).toBe(false);

    const edited = roleOf(await profiles.updateRole(admin, qa.id, { name: 'QA leads', permissions: ['org_setting.modify'] }));
    expect(edited.name).toBe('QA leads');
    expect(profiles.can(member, 'device.reserve')).toBe(false);
    expect(profiles.can(member, 'org_setting.modify')).toBe(true);
    // A custom role holding org_setting.modify may manage profiles too.
    expect((await profiles.createProfile(member, { name: 'zoe', roleId: 'member' })).ok).toBe(true);
  });

  it('checks role names and permissions', async () => {
    const { profiles } = await open(await makeTempDir());
    const admin = profiles.activeProfileId();
    expect(await profiles.createRole(admin, { name: 'admin', permissions: [] })).toEqual({
      ok: false,
      fieldErrors: { name: 'Admin and Member are the built-in roles: choose another name' },
    });
    expect(await profiles.createRole(admin, { name: 'Ops', permissions: ['root.everything'] })).toEqual({
      ok: false,
      fieldErrors: { permissions: 'Unknown permission "root.everything"' },
    });
    expect(await profiles.createRole(admin, { name: 'Ops' })).toEqual({ ok: false, fieldErrors: { permissions: 'Choose the permissions of this role' } });
    roleOf(await profiles.createRole(admin, { name: 'Ops', permissions: [] }));
    expect(await profiles.createRole(admin, { name: 'OPS', permissions: [] })).toEqual({ ok: false, fieldErrors: { name: 'Another role is already named "OPS"' } });
  });

  it('built-in roles cannot be changed or deleted; a role in use cannot be deleted; an unused one can', async () => {
    const { profiles, admin, member } = await withMember(await makeTempDir());
    expect(errorCode(await profiles.updateRole(admin, 'admin', { name: 'Boss', permissions: [] }))).toBe('builtin_role');
    expect(errorCode(await profiles.deleteRole(admin, 'member'))).toBe('builtin_role');
    const qa = roleOf(await profiles.createRole(admin, { name: 'QA', permissions: [] }));
    await profiles.setProfileRole(admin, member, qa.id);
    expect(await profiles.deleteRole(admin, qa.id)).toEqual({
      ok: false,
      error: { code: 'role_in_use', message: 'The role "QA" is used by 1 profile (bob): give them another role first.' },
    });
    await profiles.setProfileRole(admin, member, 'member');
    expect(roleOf(await profiles.deleteRole(admin, qa.id)).id).toBe(qa.id);
    expect(profiles.listRoles().map((r) => r.id)).toEqual(['admin', 'member']);
    expect(errorCode(await profiles.deleteRole(admin, qa.id))).toBe('not_found');
  });
});

describe('profiles.json on disk', () => {
  it('a corrupt file is moved aside and a fresh Admin is made, so nobody is locked out', async () => {
    const dir = await makeTempDir();
    await writeFile(join(dir, PROFILES_FILE), 'not json');
    const { profiles, recovered } = await open(dir);
    expect(recovered?.kind).toBe('corrupt');
    expect(profiles.activeProfile()).toMatchObject({ name: 'alice', roleId: 'admin' });
  });

  it('a hand-edited file with no Admin is treated as damaged', async () => {
    const dir = await makeTempDir();
    await writeFile(
      join(dir, PROFILES_FILE),
      JSON.stringify({
        schemaVersion: 1,
        nextProfileId: 2,
        nextRoleId: 1,
        activeProfileId: 1,
        profiles: [{ id: 1, name: 'x', roleId: 'member', createdAt: 'x' }],
        roles: [],
      }),
    );
    const { recovered, profiles } = await open(dir);
    expect(recovered?.reason).toContain('no profile is an Admin');
    expect(profiles.activeProfile().roleId).toBe('admin');
  });

  it('tells listeners about changes, including a switch', async () => {
    const { profiles, member } = await withMember(await makeTempDir());
    const active: number[] = [];
    profiles.onChange((s) => active.push(s.activeProfileId));
    await profiles.switchTo(member);
    expect(active).toEqual([member]);
  });
});
