// The checks on what a person types for a profile or a role: names, passphrases, permissions.
import { checkName, codePointLength } from '../webhooks/schema';
import type { FieldErrors } from '../webhooks/schema';
import { ALL_PERMISSIONS, isPermission } from './permissions';
import type { Permission } from './permissions';

export const PROFILE_NAME_MAX = 50;
const ROLE_NAME_MAX = 50;
export const PASSPHRASE_MIN = 8;
const PASSPHRASE_MAX = 256;

interface RoleInput {
  name: string;
  permissions: Permission[];
}

/** Profile and role names are unique regardless of case: "Alice" and "alice" in one switcher confuse. */
export function foldName(name: string): string {
  return name.normalize('NFC').toLowerCase();
}

export function asObject(raw: unknown): Record<string, unknown> {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
}

/** At least 8 and at most 256 characters, used exactly as typed (spaces count). */
export function checkPassphrase(raw: unknown): { ok: true; value: string } | { ok: false; message: string } {
  if (typeof raw !== 'string') return { ok: false, message: 'Passphrase must be text' };
  const length = codePointLength(raw);
  if (length < PASSPHRASE_MIN) return { ok: false, message: `Passphrase must be at least ${PASSPHRASE_MIN} characters` };
  if (length > PASSPHRASE_MAX) return { ok: false, message: `Passphrase must be at most ${PASSPHRASE_MAX} characters` };
  return { ok: true, value: raw };
}

export function checkRoleInput(raw: unknown): { ok: true; value: RoleInput } | { ok: false; fieldErrors: FieldErrors } {
  const obj = asObject(raw);
  const fieldErrors: FieldErrors = {};
  const name = checkName(obj['name'], ROLE_NAME_MAX);
  if (!name.ok) fieldErrors['name'] = name.message;
  const perms = obj['permissions'];
  let permissions: Permission[] = [];
  if (!Array.isArray(perms)) fieldErrors['permissions'] = 'Choose the permissions of this role';
  else {
    const unknown = perms.find((p) => !isPermission(p));
    if (unknown !== undefined) fieldErrors['permissions'] = `Unknown permission ${JSON.stringify(unknown)}`;
    // Canonical order, no duplicates.
    else permissions = ALL_PERMISSIONS.filter((p) => perms.includes(p));
  }
  if (!name.ok || Object.keys(fieldErrors).length > 0) return { ok: false, fieldErrors };
  return { ok: true, value: { name: name.value, permissions } };
}
