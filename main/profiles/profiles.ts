// Profiles (who is at the keyboard) and custom roles, in `profiles.json` under the data folder.
//
// A profile is a name, a role and an optional passphrase (stored as a scrypt hash only). The active
// profile is persisted. The first launch creates one Admin profile named after the OS user. There is
// always at least one profile with the built-in Admin role: the last one cannot be deleted or demoted.
// Managing profiles and roles needs `org_setting.modify` on the ACTING profile (passed in by the caller).
//
// What this protects: a shared workstation where a Member must not change webhooks by accident or on a
// whim. It is a guard rail inside one OS account, not a security boundary against that account: whoever
// can edit files in the data folder can edit profiles.json.
//
// One cohesive thing: the one class that implements the profile store. Its interface and results are in
// profileApi.ts (re-exported here), what the file holds in profilesFile.ts, the checks on what a person
// types in profileInput.ts.
import { join } from 'node:path';
import type { Profile } from '../../preload/contract';
import type { Logger } from '../base/log';
import { StorageWriteError } from '../storage/errors';
import { Refusal, openJsonStore, zodValidator } from '../storage/jsonStore';
import type { JsonStore, Recovery } from '../storage/jsonStore';
import { DEFAULT_SCRYPT, hashPassphrase, needsRehash, verifyPassphrase } from './passphrase';
import { AttemptThrottle } from './attemptThrottle';
import type { ScryptParams } from './passphrase';
import { ADMIN_ROLE_ID, BUILT_IN_ROLES, isBuiltInRoleId, roleHas } from './permissions';
import type { Permission, Role } from './permissions';
import { checkName } from '../webhooks/schema';
import type { FieldErrors } from '../webhooks/schema';
import { PROFILE_NAME_MAX, asObject, checkPassphrase, checkRoleInput, foldName } from './profileInput';
import { profilesFileSchema } from './profilesFile';
import type { ProfilesFile, StoredProfile, StoredRole } from './profilesFile';

export const PROFILES_FILE = 'profiles.json';
const PROFILES_SCHEMA_VERSION = 1;

export type * from './profileApi';
import type { ProfileError, ProfileErrorCode, ProfileResult, ProfileStore, ProfilesSnapshot, RoleResult } from './profileApi';

export interface OpenProfileStoreOptions {
  dataDir: string;
  /** The OS user name the first Admin profile is named after (the composition root reads os.userInfo()). */
  osUserName: string;
  logger: Logger;
  now?: () => number;
  /** For tests that create many passphrases; the app keeps the default. */
  scrypt?: ScryptParams;
}

interface OpenProfileStoreResult {
  profiles: ProfileStore;
  recovered?: Recovery;
}

function fail(code: ProfileErrorCode, message: string): { ok: false; error: ProfileError } {
  return { ok: false, error: { code, message } };
}

export async function openProfileStore(options: OpenProfileStoreOptions): Promise<OpenProfileStoreResult> {
  const now = options.now ?? Date.now;
  const firstName = checkName(options.osUserName, PROFILE_NAME_MAX);
  const defaults = (): ProfilesFile => ({
    schemaVersion: PROFILES_SCHEMA_VERSION,
    nextProfileId: 2,
    nextRoleId: 1,
    activeProfileId: 1,
    profiles: [{ id: 1, name: firstName.ok ? firstName.value : 'Admin', roleId: ADMIN_ROLE_ID, createdAt: new Date(now()).toISOString() }],
    roles: [],
  });
  const opened = await openJsonStore<ProfilesFile>({
    file: join(options.dataDir, PROFILES_FILE),
    label: 'profiles',
    defaults,
    version: PROFILES_SCHEMA_VERSION,
    migrations: {},
    validate: zodValidator(profilesFileSchema),
    logger: options.logger,
    now,
  });
  const profiles = new Profiles(opened.store, now, options.logger, options.scrypt ?? DEFAULT_SCRYPT);
  if (opened.created || opened.recovered) {
    // Save the first Admin now, so its id and creation time are the same on every launch.
    await opened.store.update(() => undefined).catch((error: unknown) => {
      options.logger('warn', `profiles: could not save the first profile yet: ${error instanceof Error ? error.message : String(error)}`);
    });
  }
  return { profiles, ...(opened.recovered ? { recovered: opened.recovered } : {}) };
}

class Profiles implements ProfileStore {
  readonly #db: JsonStore<ProfilesFile>;
  readonly #now: () => number;
  readonly #logger: Logger;
  readonly #scrypt: ScryptParams;
  /** Wrong passphrases per target profile: growing waits between tries. */
  readonly #throttle: AttemptThrottle<number>;

  constructor(db: JsonStore<ProfilesFile>, now: () => number, logger: Logger, scrypt: ScryptParams) {
    this.#db = db;
    this.#now = now;
    this.#logger = logger;
    this.#scrypt = scrypt;
    this.#throttle = new AttemptThrottle(now);
  }

  listProfiles(): Profile[] {
    const data = this.#data();
    return data.profiles.map((p) => view(p, data)).sort((a, b) => a.id - b.id);
  }

  listRoles(): Role[] {
    return allRoles(this.#data());
  }

  getProfile(id: number): Profile | undefined {
    const data = this.#data();
    const p = data.profiles.find((x) => x.id === id);
    return p ? view(p, data) : undefined;
  }

  activeProfileId(): number {
    return this.#db.data.activeProfileId;
  }

  activeProfile(): Profile {
    const active = this.getProfile(this.activeProfileId());
    if (!active) throw new Error('profiles: the active profile is missing'); // the shape check rules this out
    return active;
  }

  can(profileId: number, permission: Permission): boolean {
    const data = this.#data();
    const p = data.profiles.find((x) => x.id === profileId);
    return p !== undefined && roleHas(findRole(data, p.roleId), permission);
  }

  async switchTo(profileId: number, passphrase?: string): Promise<ProfileResult> {
    const target = this.#data().profiles.find((p) => p.id === profileId);
    if (!target) return profileNotFound(profileId);
    const hash = target.passphraseHash;
    let rehashed: string | undefined;
    if (hash !== undefined) {
      if (passphrase === undefined || passphrase === '') return fail('passphrase_required', `Enter the passphrase of "${target.name}" to switch to it.`);
      // Guessing is slowed here, in main, before any hashing: the renderer can loop as fast as it likes.
      const wait = this.#throttle.waitMs(profileId);
      if (wait > 0) {
        const seconds = Math.ceil(wait / 1000);
        return fail('throttled', `Too many wrong passphrases for "${target.name}": try again in ${seconds} second${seconds === 1 ? '' : 's'}.`);
      }
      if (typeof passphrase !== 'string' || !(await verifyPassphrase(passphrase, hash))) {
        this.#throttle.failed(profileId);
        this.#logger('info', `profiles: wrong passphrase for profile ${profileId}`);
        return fail('wrong_passphrase', `That is not the passphrase of "${target.name}".`);
      }
      this.#throttle.succeeded(profileId);
      // Made with weaker scrypt parameters (an older DeviceHooks): hash it again with today's, now that we have it.
      if (needsRehash(hash, this.#scrypt)) rehashed = await hashPassphrase(passphrase, this.#scrypt);
    }
    return this.#change<ProfileResult>((draft) => {
      const p = draft.profiles.find((x) => x.id === profileId);
      if (!p) throw new Refusal(profileNotFound(profileId));
      // The passphrase changed while we were checking it: check again with the new one.
      if (p.passphraseHash !== hash) throw new Refusal(fail('wrong_passphrase', `That is not the passphrase of "${p.name}".`));
      if (rehashed !== undefined) p.passphraseHash = rehashed;
      draft.activeProfileId = profileId;
      return { ok: true, profile: view(p, draft) };
    });
  }

  async createProfile(actingProfileId: number, raw: unknown): Promise<ProfileResult> {
    const obj = asObject(raw);
    const fieldErrors: FieldErrors = {};
    const name = checkName(obj['name'], PROFILE_NAME_MAX);
    if (!name.ok) fieldErrors['name'] = name.message;
    const roleId = obj['roleId'];
    if (typeof roleId !== 'string' || roleId === '') fieldErrors['roleId'] = 'Choose a role';
    const pass = obj['passphrase'] === undefined || obj['passphrase'] === null || obj['passphrase'] === '' ? undefined : checkPassphrase(obj['passphrase']);
    if (pass && !pass.ok) fieldErrors['passphrase'] = pass.message;
    // Refuse a forbidden request before telling it anything about its fields.
    const forbidden = this.#forbidden(this.#data(), actingProfileId);
    if (forbidden) return forbidden;
    if (!name.ok || Object.keys(fieldErrors).length > 0) return { ok: false, fieldErrors };
    const passphraseHash = pass?.ok ? await hashPassphrase(pass.value, this.#scrypt) : undefined;
    return this.#change<ProfileResult>((draft) => {
      this.#mustManage(draft, actingProfileId);
      if (!findRole(draft, roleId as string)) throw new Refusal({ ok: false, fieldErrors: { roleId: 'That role no longer exists: choose another' } });
      this.#uniqueProfileName(draft, name.value, undefined);
      const profile: StoredProfile = { id: draft.nextProfileId, name: name.value, roleId: roleId as string, createdAt: new Date(this.#now()).toISOString() };
      if (passphraseHash) profile.passphraseHash = passphraseHash;
      draft.nextProfileId += 1;
      draft.profiles.push(profile);
      return { ok: true, profile: view(profile, draft) };
    });
  }

  async renameProfile(actingProfileId: number, profileId: number, rawName: unknown): Promise<ProfileResult> {
    const forbidden = this.#forbidden(this.#data(), actingProfileId);
    if (forbidden) return forbidden;
    const name = checkName(rawName, PROFILE_NAME_MAX);
    if (!name.ok) return { ok: false, fieldErrors: { name: name.message } };
    return this.#change<ProfileResult>((draft) => {
      this.#mustManage(draft, actingProfileId);
      const p = this.#mustFindProfile(draft, profileId);
      this.#uniqueProfileName(draft, name.value, profileId);
      p.name = name.value;
      return { ok: true, profile: view(p, draft) };
    });
  }

  async setProfileRole(actingProfileId: number, profileId: number, roleId: unknown): Promise<ProfileResult> {
    const forbidden = this.#forbidden(this.#data(), actingProfileId);
    if (forbidden) return forbidden;
    if (typeof roleId !== 'string' || roleId === '') return { ok: false, fieldErrors: { roleId: 'Choose a role' } };
    return this.#change<ProfileResult>((draft) => {
      this.#mustManage(draft, actingProfileId);
      const p = this.#mustFindProfile(draft, profileId);
      if (!findRole(draft, roleId)) throw new Refusal({ ok: false, fieldErrors: { roleId: 'That role no longer exists: choose another' } });
      if (p.roleId === ADMIN_ROLE_ID && roleId !== ADMIN_ROLE_ID && adminCount(draft) === 1) {
        throw new Refusal(fail('last_admin', `"${p.name}" is the last Admin, so it must stay an Admin: make another profile an Admin first.`));
      }
      p.roleId = roleId;
      return { ok: true, profile: view(p, draft) };
    });
  }

  async setPassphrase(actingProfileId: number, profileId: number, passphrase: string | null): Promise<ProfileResult> {
    const allowed = (data: ProfilesFile) =>
      data.profiles.some((p) => p.id === actingProfileId) && (actingProfileId === profileId || this.#canManage(data, actingProfileId));
    if (!allowed(this.#data())) return this.#forbidden(this.#data(), actingProfileId, true) ?? fail('forbidden', 'You cannot change this passphrase.');
    let passphraseHash: string | undefined;
    if (passphrase !== null) {
      const pass = checkPassphrase(passphrase);
      if (!pass.ok) return { ok: false, fieldErrors: { passphrase: pass.message } };
      passphraseHash = await hashPassphrase(pass.value, this.#scrypt);
    }
    return this.#change<ProfileResult>((draft) => {
      if (!allowed(draft)) throw new Refusal(this.#forbidden(draft, actingProfileId, true) ?? fail('forbidden', 'You cannot change this passphrase.'));
      const p = this.#mustFindProfile(draft, profileId);
      if (passphraseHash) p.passphraseHash = passphraseHash;
      else delete p.passphraseHash;
      return { ok: true, profile: view(p, draft) };
    });
  }

  async deleteProfile(actingProfileId: number, profileId: number): Promise<ProfileResult> {
    const forbidden = this.#forbidden(this.#data(), actingProfileId);
    if (forbidden) return forbidden;
    return this.#change<ProfileResult>((draft) => {
      this.#mustManage(draft, actingProfileId);
      const p = this.#mustFindProfile(draft, profileId);
      if (p.roleId === ADMIN_ROLE_ID && adminCount(draft) === 1) {
        throw new Refusal(fail('last_admin', `"${p.name}" is the last Admin and cannot be deleted: make another profile an Admin first.`));
      }
      if (draft.activeProfileId === profileId) {
        throw new Refusal(fail('active_profile', `"${p.name}" is the profile in use: switch to another profile before deleting it.`));
      }
      const removed = view(p, draft);
      draft.profiles = draft.profiles.filter((x) => x.id !== profileId);
      return { ok: true, profile: removed };
    });
  }

  async createRole(actingProfileId: number, raw: unknown): Promise<RoleResult> {
    const forbidden = this.#forbidden(this.#data(), actingProfileId);
    if (forbidden) return forbidden;
    const checked = checkRoleInput(raw);
    if (!checked.ok) return checked;
    const { name, permissions } = checked.value;
    return this.#change<RoleResult>((draft) => {
      this.#mustManage(draft, actingProfileId);
      this.#uniqueRoleName(draft, name, undefined);
      const role: StoredRole = { id: `role-${draft.nextRoleId}`, name, permissions };
      draft.nextRoleId += 1;
      draft.roles.push(role);
      return { ok: true, role: { ...role, permissions: [...permissions], builtIn: false } };
    });
  }

  async updateRole(actingProfileId: number, roleId: string, raw: unknown): Promise<RoleResult> {
    const forbidden = this.#forbidden(this.#data(), actingProfileId);
    if (forbidden) return forbidden;
    if (isBuiltInRoleId(roleId)) return fail('builtin_role', 'The Admin and Member roles are built in and cannot be changed.');
    const checked = checkRoleInput(raw);
    if (!checked.ok) return checked;
    const { name, permissions } = checked.value;
    return this.#change<RoleResult>((draft) => {
      this.#mustManage(draft, actingProfileId);
      const role = draft.roles.find((r) => r.id === roleId);
      if (!role) throw new Refusal(roleNotFound(roleId));
      this.#uniqueRoleName(draft, name, roleId);
      role.name = name;
      role.permissions = permissions;
      return { ok: true, role: { ...role, permissions: [...permissions], builtIn: false } };
    });
  }

  async deleteRole(actingProfileId: number, roleId: string): Promise<RoleResult> {
    const forbidden = this.#forbidden(this.#data(), actingProfileId);
    if (forbidden) return forbidden;
    if (isBuiltInRoleId(roleId)) return fail('builtin_role', 'The Admin and Member roles are built in and cannot be deleted.');
    return this.#change<RoleResult>((draft) => {
      this.#mustManage(draft, actingProfileId);
      const role = draft.roles.find((r) => r.id === roleId);
      if (!role) throw new Refusal(roleNotFound(roleId));
      const users = draft.profiles.filter((p) => p.roleId === roleId);
      if (users.length > 0) {
        const who = users.length === 1 ? `1 profile (${users[0]?.name})` : `${users.length} profiles`;
        throw new Refusal(fail('role_in_use', `The role "${role.name}" is used by ${who}: give them another role first.`));
      }
      draft.roles = draft.roles.filter((r) => r.id !== roleId);
      return { ok: true, role: { ...role, permissions: [...role.permissions], builtIn: false } };
    });
  }

  onChange(listener: (snapshot: ProfilesSnapshot) => void): () => void {
    // The storage helper calls it after each saved change.
    return this.#db.onChange(() => listener({ activeProfileId: this.activeProfileId(), profiles: this.listProfiles(), roles: this.listRoles() }));
  }

  async close(): Promise<void> {
    await this.#db.close();
  }

  #data(): ProfilesFile {
    return this.#db.data as ProfilesFile;
  }

  #canManage(data: ProfilesFile, actingProfileId: number): boolean {
    const p = data.profiles.find((x) => x.id === actingProfileId);
    return p !== undefined && roleHas(findRole(data, p.roleId), 'org_setting.modify');
  }

  /** The `forbidden` answer when the acting profile may not manage profiles and roles; undefined when it may. */
  #forbidden(data: ProfilesFile, actingProfileId: number, passphrase = false): { ok: false; error: ProfileError } | undefined {
    if (this.#canManage(data, actingProfileId)) return undefined;
    const p = data.profiles.find((x) => x.id === actingProfileId);
    const roleName = p ? (findRole(data, p.roleId)?.name ?? p.roleId) : 'unknown';
    const what = passphrase ? "change another profile's passphrase" : 'manage profiles and roles';
    return fail('forbidden', `Your profile (${roleName}) cannot ${what}: ask an admin.`);
  }

  #mustManage(draft: ProfilesFile, actingProfileId: number): void {
    const forbidden = this.#forbidden(draft, actingProfileId);
    if (forbidden) throw new Refusal(forbidden);
  }

  #mustFindProfile(draft: ProfilesFile, profileId: number): StoredProfile {
    const p = draft.profiles.find((x) => x.id === profileId);
    if (!p) throw new Refusal(profileNotFound(profileId));
    return p;
  }

  #uniqueProfileName(draft: ProfilesFile, name: string, exceptId: number | undefined): void {
    const key = foldName(name);
    if (draft.profiles.some((p) => p.id !== exceptId && foldName(p.name) === key)) {
      throw new Refusal({ ok: false, fieldErrors: { name: `Another profile is already named "${name}"` } });
    }
  }

  #uniqueRoleName(draft: ProfilesFile, name: string, exceptId: string | undefined): void {
    const key = foldName(name);
    if (BUILT_IN_ROLES.some((r) => foldName(r.name) === key)) {
      throw new Refusal({ ok: false, fieldErrors: { name: 'Admin and Member are the built-in roles: choose another name' } });
    }
    if (draft.roles.some((r) => r.id !== exceptId && foldName(r.name) === key)) {
      throw new Refusal({ ok: false, fieldErrors: { name: `Another role is already named "${name}"` } });
    }
  }

  /** A Refusal (thrown by the checks above) answers without writing; a failed write answers `storage`. */
  async #change<R>(mutator: (draft: ProfilesFile) => R): Promise<R | { ok: false; error: ProfileError }> {
    try {
      return await this.#db.change<R, R>(mutator);
    } catch (error) {
      if (error instanceof StorageWriteError) return fail('storage', error.message);
      throw error;
    }
  }
}

function allRoles(data: ProfilesFile): Role[] {
  return [
    ...BUILT_IN_ROLES.map((r) => ({ ...r, permissions: [...r.permissions] })),
    ...data.roles.map((r) => ({ id: r.id, name: r.name, permissions: [...r.permissions], builtIn: false })),
  ];
}

function findRole(data: ProfilesFile, roleId: string): Pick<Role, 'name' | 'permissions'> | undefined {
  return BUILT_IN_ROLES.find((r) => r.id === roleId) ?? data.roles.find((r) => r.id === roleId);
}

function view(p: StoredProfile, data: ProfilesFile): Profile {
  const role = findRole(data, p.roleId);
  return {
    id: p.id,
    name: p.name,
    roleId: p.roleId,
    roleName: role?.name ?? p.roleId,
    permissions: role ? [...role.permissions] : [],
    hasPassphrase: p.passphraseHash !== undefined,
  };
}

function adminCount(data: ProfilesFile): number {
  return data.profiles.filter((p) => p.roleId === ADMIN_ROLE_ID).length;
}

function profileNotFound(id: number): { ok: false; error: ProfileError } {
  return fail('not_found', `Profile ${id} no longer exists: it may have been deleted.`);
}

function roleNotFound(id: string): { ok: false; error: ProfileError } {
  return fail('not_found', `Role ${id} no longer exists: it may have been deleted.`);
}
