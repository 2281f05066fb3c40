// Turns the core's typed results into the contract's IpcResult: field errors stay field errors (the
// form shows them next to each field), everything else becomes one plain sentence with a code.
import type { IpcError, IpcResult } from '../../preload/contract';

type CoreFailure = { ok: false; fieldErrors: Record<string, string> } | { ok: false; error: { code: string; message: string } };

const codeMap: Record<string, Exclude<IpcError['code'], 'validation'>> = {
  forbidden: 'forbidden',
  not_found: 'not_found',
  storage: 'storage',
  last_admin: 'conflict',
  builtin_role: 'conflict',
  role_in_use: 'conflict',
  active_profile: 'conflict',
};

export function toIpcError(failure: CoreFailure): IpcError {
  if ('fieldErrors' in failure) {
    const first = Object.values(failure.fieldErrors)[0];
    return { code: 'validation', message: first ?? 'Some fields need attention.', fieldErrors: failure.fieldErrors };
  }
  const { code, message } = failure.error;
  if (code === 'passphrase_required' || code === 'wrong_passphrase' || code === 'throttled') return { code: 'validation', message, fieldErrors: { passphrase: message } };
  return { code: codeMap[code] ?? 'internal', message };
}

/** `{ ok: true, [key]: value }` from the core → `{ ok: true, value }`. */
export function mapResult<R extends { ok: true } | CoreFailure, T>(result: R, pick: (ok: Extract<R, { ok: true }>) => T): IpcResult<T> {
  if (result.ok) return { ok: true, value: pick(result as Extract<R, { ok: true }>) };
  return { ok: false, error: toIpcError(result as CoreFailure) };
}
