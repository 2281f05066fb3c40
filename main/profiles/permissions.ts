// Permissions and the two built-in roles. Custom roles (chosen permissions) live in profiles.json.

export const PERMISSIONS = [
  { id: 'org_setting.view', label: 'See the organization settings and webhooks' },
  { id: 'org_setting.modify', label: 'Change the organization settings, webhooks, profiles and roles' },
  { id: 'device.reserve', label: 'Reserve devices' },
  { id: 'device.visibility.modify', label: 'Change whether a device is Local, Private or Public' },
] as const satisfies readonly { id: string; label: string }[];

export type Permission = (typeof PERMISSIONS)[number]['id'];

export const ALL_PERMISSIONS: readonly Permission[] = PERMISSIONS.map((p) => p.id);

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && (ALL_PERMISSIONS as readonly string[]).includes(value);
}

export const ADMIN_ROLE_ID = 'admin';
const MEMBER_ROLE_ID = 'member';

export interface Role {
  /** `admin`, `member`, or `role-<n>` for a custom role. */
  id: string;
  name: string;
  permissions: Permission[];
  builtIn: boolean;
}

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
