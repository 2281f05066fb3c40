// Every IPC handler goes through this one wrapper: it refuses senders that are not our own page, refuses
// a profile whose role lacks the channel's declared permission (preload/contract/channels.ts) before the handler
// runs, parses the request with the channel's schema from the same entry (the renderer is untrusted), and always answers an
// IpcResult.
import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import type { z } from 'zod';
import { invokeChannels, invokePermission, NOT_ALLOWED_MESSAGE, requestSchemaOf } from '../../preload/contract';
import type { ChannelPermission, InvokeChannel, IpcError, IpcResult, RequestOf, ResponseOf } from '../../preload/contract';
import type { Logger } from '../base/log';
import { fieldErrorsFromZod } from '../base/schemas';

/**
 * One channel's handler: it receives what the channel's request schema (preload/contract/channels.ts)
 * yields and must answer the channel's response type, so a handler cannot drift from the contract.
 */
export interface HandlerDef<C extends InvokeChannel> {
  handle: (request: RequestOf<C>) => IpcResult<ResponseOf<C>> | Promise<IpcResult<ResponseOf<C>>>;
}

/** A handler with the schema its request is parsed with; absent: the channel's own from the contract. */
export interface CheckedHandler<C extends InvokeChannel> extends HandlerDef<C> {
  schema?: z.ZodType<RequestOf<C>>;
}

export type Handlers = { [C in InvokeChannel]: HandlerDef<C> };

export function ok<T>(value: T): IpcResult<T> {
  return { ok: true, value };
}

export function fail<T = never>(error: IpcError): IpcResult<T> {
  return { ok: false, error };
}

/** Whether the active profile holds a permission a channel declares ('none' always holds). */
export type Holds = (permission: ChannelPermission) => boolean;

/** The one "not allowed" answer, for IPC, the tray and the app menu alike. */
function notAllowed<T = never>(): IpcResult<T> {
  return fail({ code: 'forbidden', message: NOT_ALLOWED_MESSAGE });
}

/** The permission a channel declares; a name that is not a channel is never allowed. */
export function channelPermission(channel: string): ChannelPermission | undefined {
  return invokePermission(channel);
}

function senderUrl(event: Pick<IpcMainInvokeEvent, 'senderFrame'>): string {
  return event.senderFrame?.url ?? '';
}

export async function runHandler<C extends InvokeChannel>(
  channel: C,
  def: CheckedHandler<C>,
  event: Pick<IpcMainInvokeEvent, 'senderFrame'>,
  raw: unknown,
  isTrustedSender: (url: string) => boolean,
  log: Logger,
  holds: Holds,
): Promise<IpcResult<ResponseOf<C>>> {
  const url = senderUrl(event);
  if (!isTrustedSender(url)) {
    log('warn', `ipc ${channel}: refused a sender that is not our page (${url || 'no frame'})`);
    return fail({ code: 'bad_sender', message: 'This request did not come from the DeviceHooks window.' });
  }
  const required = channelPermission(channel);
  if (required === undefined || !holds(required)) {
    log('warn', `ipc ${channel}: refused, the active profile lacks ${required ?? 'a declared permission'}`);
    return notAllowed();
  }
  const parsed = (def.schema ?? requestSchemaOf(channel)).safeParse(raw);
  if (!parsed.success) {
    return fail({ code: 'validation', message: 'Some fields need attention.', fieldErrors: fieldErrorsFromZod(parsed.error) });
  }
  try {
    return await def.handle(parsed.data);
  } catch (error) {
    log('error', `ipc ${channel} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return fail({ code: 'internal', message: error instanceof Error ? error.message : 'Something went wrong in DeviceHooks.' });
  }
}

export function registerIpc(ipcMain: IpcMain, handlers: Handlers, isTrustedSender: (url: string) => boolean, log: Logger, holds: Holds): void {
  const register = <C extends InvokeChannel>(channel: C) => {
    const def: HandlerDef<C> = handlers[channel];
    ipcMain.handle(channel, (event, raw: unknown) => runHandler(channel, def, event, raw, isTrustedSender, log, holds));
  };
  for (const channel of invokeChannels) register(channel);
}
