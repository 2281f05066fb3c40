// profiles:* and roles:* channels. The acting profile is always the active one; the profile store
// checks its permission and the last-Admin rules.
import { z } from 'zod';
import type { ProfilesState } from '../../preload/contract';
import { PERMISSIONS } from '../profiles/permissions';
import type { ProfileStore } from '../profiles/profiles';
import { ok } from './register';
import type { HandlerDef } from './register';
import { mapResult } from './results';

const profileId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const roleId = z.string().min(1).max(64);
const text = z.string().max(10_000);

export function profilesState(profiles: ProfileStore): ProfilesState {
  const active = profiles.activeProfile();
  return {
    activeProfileId: active.id,
    active,
    profiles: profiles.listProfiles(),
    roles: profiles.listRoles(),
    permissions: PERMISSIONS.map((p) => ({ id: p.id, label: p.label })),
    canManage: profiles.can(active.id, 'org_setting.modify'),
  };
}

export function profileHandlers(profiles: ProfileStore): {
  'profiles:state': HandlerDef<'profiles:state'>;
  'profiles:switch': HandlerDef<'profiles:switch'>;
  'profiles:create': HandlerDef<'profiles:create', Record<string, unknown>>;
  'profiles:rename': HandlerDef<'profiles:rename', { id: number; name: unknown }>;
  'profiles:setRole': HandlerDef<'profiles:setRole', { id: number; roleId: unknown }>;
  'profiles:setPassphrase': HandlerDef<'profiles:setPassphrase'>;
  'profiles:remove': HandlerDef<'profiles:remove'>;
  'roles:create': HandlerDef<'roles:create', Record<string, unknown>>;
  'roles:update': HandlerDef<'roles:update', { id: string } & Record<string, unknown>>;
  'roles:remove': HandlerDef<'roles:remove'>;
} {
  const acting = () => profiles.activeProfileId();
  return {
    'profiles:state': { schema: z.undefined(), handle: () => ok(profilesState(profiles)) },
    'profiles:switch': {
      schema: z.strictObject({ id: profileId, passphrase: text.optional() }),
      handle: async ({ id, passphrase }) => mapResult(await profiles.switchTo(id, passphrase), () => profilesState(profiles)),
    },
    'profiles:create': {
      schema: z.strictObject({ name: z.unknown(), roleId: z.unknown(), passphrase: z.unknown().optional() }),
      handle: async (input) => mapResult(await profiles.createProfile(acting(), input), (r) => r.profile),
    },
    'profiles:rename': {
      schema: z.strictObject({ id: profileId, name: z.unknown() }),
      handle: async ({ id, name }) => mapResult(await profiles.renameProfile(acting(), id, name), (r) => r.profile),
    },
    'profiles:setRole': {
      schema: z.strictObject({ id: profileId, roleId: z.unknown() }),
      handle: async ({ id, roleId: role }) => mapResult(await profiles.setProfileRole(acting(), id, role), (r) => r.profile),
    },
    'profiles:setPassphrase': {
      schema: z.strictObject({ id: profileId, passphrase: text.nullable() }),
      handle: async ({ id, passphrase }) => mapResult(await profiles.setPassphrase(acting(), id, passphrase), (r) => r.profile),
    },
    'profiles:remove': {
      schema: z.strictObject({ id: profileId }),
      handle: async ({ id }) => mapResult(await profiles.deleteProfile(acting(), id), () => null),
    },
    'roles:create': {
      schema: z.strictObject({ name: z.unknown(), permissions: z.unknown() }),
      handle: async (input) => mapResult(await profiles.createRole(acting(), input), (r) => r.role),
    },
    'roles:update': {
      schema: z.strictObject({ id: roleId, name: z.unknown(), permissions: z.unknown() }),
      handle: async ({ id, ...input }) => mapResult(await profiles.updateRole(acting(), id, input), (r) => r.role),
    },
    'roles:remove': {
      schema: z.strictObject({ id: roleId }),
      handle: async ({ id }) => mapResult(await profiles.deleteRole(acting(), id), () => null),
    },
  };
}
