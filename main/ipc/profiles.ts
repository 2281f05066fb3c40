// profiles:* and roles:* channels. The acting profile is always the active one; the profile store
// checks its permission and the last-Admin rules.
import type { ProfilesState } from '../../preload/contract';
import { PERMISSIONS } from '../profiles/permissions';
import type { ProfileStore } from '../profiles/profiles';
import { ok } from './register';
import type { Handlers } from './register';
import { mapResult } from './results';


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

export function profileHandlers(profiles: ProfileStore) {
  const acting = () => profiles.activeProfileId();
  return {
    'profiles:state': { handle: () => ok(profilesState(profiles)) },
    'profiles:switch': {
      handle: async ({ id, passphrase }) => mapResult(await profiles.switchTo(id, passphrase), () => profilesState(profiles)),
    },
    'profiles:create': {
      handle: async (input) => mapResult(await profiles.createProfile(acting(), input), (r) => r.profile),
    },
    'profiles:rename': {
      handle: async ({ id, name }) => mapResult(await profiles.renameProfile(acting(), id, name), (r) => r.profile),
    },
    'profiles:setRole': {
      handle: async ({ id, roleId: role }) => mapResult(await profiles.setProfileRole(acting(), id, role), (r) => r.profile),
    },
    'profiles:setPassphrase': {
      handle: async ({ id, passphrase }) => mapResult(await profiles.setPassphrase(acting(), id, passphrase), (r) => r.profile),
    },
    'profiles:remove': {
      handle: async ({ id }) => mapResult(await profiles.deleteProfile(acting(), id), () => null),
    },
    'roles:create': {
      handle: async (input) => mapResult(await profiles.createRole(acting(), input), (r) => r.role),
    },
    'roles:update': {
      handle: async ({ id, ...input }) => mapResult(await profiles.updateRole(acting(), id, input), (r) => r.role),
    },
    'roles:remove': {
      handle: async ({ id }) => mapResult(await profiles.deleteRole(acting(), id), () => null),
    },
  } satisfies Partial<Handlers>;
}
