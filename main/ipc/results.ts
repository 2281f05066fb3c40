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
  return isOk(result) ? { ok: true, value: pick(result) } : { ok: false, error: toIpcError(failureOf(result)) };
}

function isOk<R extends { ok: boolean }>(result: R): result is Extract<R, { ok: true }> {
  return result.ok;
}

function failureOf<R extends { ok: true } | CoreFailure>(result: R): CoreFailure {
  if ('fieldErrors' in result) return { ok: false, fieldErrors: result.fieldErrors };
  if ('error' in result) return { ok: false, error: result.error };
  return { ok: false, error: { code: 'internal', message: 'Something went wrong in DeviceHooks.' } };
}

/** A thrown value's message, for a sentence. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
