// The renderer's only door to main: window.api, built by the preload from the contract.
import type { Api, IpcResult } from '../../preload/contract';

export const api: Api = window.api;

/** Unwrap a result for places that only need the value; the error's sentence becomes the thrown message. */
export async function unwrap<T>(pending: Promise<IpcResult<T>>): Promise<T> {
  const result = await pending;
  if (result.ok) return result.value;
  throw new Error(result.error.message);
}
