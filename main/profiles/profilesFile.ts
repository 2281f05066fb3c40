// What profiles.json holds, and the shape check a file must pass to be loaded (ids unique, every
// profile's role known, the active profile present, at least one Admin). main/profiles/profiles.ts opens it.
import { z } from 'zod';
import { isPassphraseHash } from './passphrase';
import { ADMIN_ROLE_ID, ALL_PERMISSIONS, isBuiltInRoleId } from './permissions';
import type { Permission } from './permissions';
import { idSchema } from '../base/schemas';

/** As stored. `passphraseHash` never leaves this module: callers get the contract's Profile. */
export interface StoredProfile {
  id: number;
  name: string;
  roleId: string;
  passphraseHash?: string;
  createdAt: string;
}

export interface StoredRole {
  id: string;
  name: string;
  permissions: Permission[];
}

export interface ProfilesFile {
  schemaVersion: number;
  nextProfileId: number;
  nextRoleId: number;
  activeProfileId: number;
  profiles: StoredProfile[];
  roles: StoredRole[];
}

export const profilesFileSchema = z
  .object({
    schemaVersion: z.number().int(),
    nextProfileId: idSchema,
    nextRoleId: idSchema,
    activeProfileId: idSchema,
    profiles: z.array(
      z.object({
        id: idSchema,
        name: z.string(),
        roleId: z.string(),
        passphraseHash: z.string().refine(isPassphraseHash, 'not a scrypt hash').optional(),
        createdAt: z.string(),
      }),
    ),
    roles: z.array(
      z.object({
        id: z.string().regex(/^role-\d+$/, 'custom role ids look like role-<n>'),
        name: z.string(),
        permissions: z.array(z.enum(ALL_PERMISSIONS as [Permission, ...Permission[]])),
      }),
    ),
  })
  .superRefine((data, ctx) => {
    const issue = (message: string) => ctx.addIssue({ code: 'custom', message });
    const profileIds = new Set(data.profiles.map((p) => p.id));
    if (profileIds.size !== data.profiles.length) issue('two profiles share an id');
    const roleIds = new Set(data.roles.map((r) => r.id));
    if (roleIds.size !== data.roles.length) issue('two roles share an id');
    for (const p of data.profiles) {
      if (!isBuiltInRoleId(p.roleId) && !roleIds.has(p.roleId)) issue(`profile ${p.id} has an unknown role ${p.roleId}`);
    }
    if (!profileIds.has(data.activeProfileId)) issue('the active profile does not exist');
    if (!data.profiles.some((p) => p.roleId === ADMIN_ROLE_ID)) issue('no profile is an Admin');
  })
  .transform((data): ProfilesFile => {
    const maxProfile = data.profiles.reduce((m, p) => Math.max(m, p.id), 0);
    const maxRole = data.roles.reduce((m, r) => Math.max(m, Number(r.id.slice('role-'.length))), 0);
    return { ...data, nextProfileId: Math.max(data.nextProfileId, maxProfile + 1), nextRoleId: Math.max(data.nextRoleId, maxRole + 1) };
  });
