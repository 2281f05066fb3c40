// Permissions and the two built-in roles. Custom roles (chosen permissions) live in profiles.json.
import { ROLE_PERMISSIONS } from '../../preload/contract/vocabulary';
import type { RolePermission } from '../../preload/contract/vocabulary';
import type { Role } from '../../preload/contract';

/** A role's permission: the contract's words (a channel's permission is one of them, or 'none'). */
export type Permission = RolePermission;
export type { Role };

const LABELS: Record<Permission, string> = {
  'org_setting.view': 'See the organization settings and webhooks',
  'org_setting.modify': 'Change the organization settings, webhooks, profiles and roles',
  'device.reserve': 'Reserve devices',
  'device.visibility.modify': 'Change whether a device is Local, Private or Public',
};

export const ALL_PERMISSIONS: readonly Permission[] = ROLE_PERMISSIONS;
export const PERMISSIONS = ALL_PERMISSIONS.map((id) => ({ id, label: LABELS[id] }));

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && (ALL_PERMISSIONS as readonly string[]).includes(value);
}

export const ADMIN_ROLE_ID = 'admin';
const MEMBER_ROLE_ID = 'member';

export const BUILT_IN_ROLES: readonly Readonly<Role>[] = Object.freeze([
  Object.freeze({ id: ADMIN_ROLE_ID, name: 'Admin', permissions: [...ALL_PERMISSIONS], builtIn: true }),
  // Read only: sees the settings and webhooks, changes nothing.
  Object.freeze({ id: MEMBER_ROLE_ID, name: 'Member', permissions: ['org_setting.view'] as Permission[], builtIn: true }),
]);

export function isBuiltInRoleId(id: string): boolean {
  return BUILT_IN_ROLES.some((r) => r.id === id);
}

export function roleHas(role: Pick<Role, 'permissions'> | undefined, permission: Permission): boolean {
  return role !== undefined && role.permissions.includes(permission);
}
