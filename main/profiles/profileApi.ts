// What the profile store hands out: the ProfileStore interface (implemented in profiles.ts), the snapshot
// and the results (a profile is the contract's `Profile`). Types only; profiles.ts re-exports them for its importers.
import type { Permission, Role } from './permissions';
import type { FieldErrors } from '../webhooks/schema';
import type { Profile } from '../../preload/contract';

export interface ProfilesSnapshot {
  activeProfileId: number;
  profiles: Profile[];
  roles: Role[];
}

export type ProfileErrorCode =
  | 'forbidden'
  | 'not_found'
  | 'last_admin'
  | 'passphrase_required'
  | 'wrong_passphrase'
  /** Too many wrong passphrases for this profile: wait before the next try. */
  | 'throttled'
  | 'builtin_role'
  | 'role_in_use'
  | 'active_profile'
  | 'storage';

export interface ProfileError {
  code: ProfileErrorCode;
  message: string;
}

export type ProfileFailure = { ok: false; fieldErrors: FieldErrors } | { ok: false; error: ProfileError };
export type ProfileResult = { ok: true; profile: Profile } | ProfileFailure;
export type RoleResult = { ok: true; role: Role } | ProfileFailure;

export interface ProfileStore {
  listProfiles(): Profile[];
  /** Built-in roles first, then custom roles by id. */
  listRoles(): Role[];
  getProfile(id: number): Profile | undefined;
  activeProfileId(): number;
  activeProfile(): Profile;
  /** False for an unknown profile. */
  can(profileId: number, permission: Permission): boolean;
  /** A profile with a passphrase needs it (`passphrase_required`, `wrong_passphrase`). */
  switchTo(profileId: number, passphrase?: string): Promise<ProfileResult>;
  createProfile(actingProfileId: number, input: unknown): Promise<ProfileResult>;
  renameProfile(actingProfileId: number, profileId: number, name: unknown): Promise<ProfileResult>;
  /** Changing the role of the last Admin to anything else is refused (`last_admin`). */
  setProfileRole(actingProfileId: number, profileId: number, roleId: unknown): Promise<ProfileResult>;
  /** `null` removes the passphrase. Allowed for the profile itself, or with org_setting.modify. */
  setPassphrase(actingProfileId: number, profileId: number, passphrase: string | null): Promise<ProfileResult>;
  /** Refused for the last Admin (`last_admin`) and for the active profile (`active_profile`). */
  deleteProfile(actingProfileId: number, profileId: number): Promise<ProfileResult>;
  createRole(actingProfileId: number, input: unknown): Promise<RoleResult>;
  updateRole(actingProfileId: number, roleId: string, input: unknown): Promise<RoleResult>;
  /** Built-in roles (`builtin_role`) and roles in use (`role_in_use`) cannot be deleted. */
  deleteRole(actingProfileId: number, roleId: string): Promise<RoleResult>;
  onChange(listener: (snapshot: ProfilesSnapshot) => void): () => void;
  close(): Promise<void>;
}
