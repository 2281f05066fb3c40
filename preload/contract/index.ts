// The IPC contract: one pure module (no node: or electron imports: a lint rule keeps it so) that every
// shape crossing the renderer/main boundary comes from. vocabulary.ts: the shared words; dtos.ts and
// settings.ts: a zod schema per shape, its type derived; channels.ts: every channel with its schemas and
// permission. The preload builds window.api from the channel tables, main registers a handler for every
// invoke channel (typed from its schemas), and the renderer may import values from here too.
import type { z } from 'zod';
import { invokeContract, pushContract } from './channels';
import type { IpcResult } from './dtos';
import type { ListenerName, MethodName } from './names';
import type { ChannelPermission } from './vocabulary';

export * from './vocabulary';
export * from './dtos';
export * from './settings';
export { invokeContract, pushContract } from './channels';
export type { InvokeSpec, PushSpec } from './channels';
import type { InvokeSpec } from './channels';

export type InvokeChannel = keyof typeof invokeContract;
export type PushChannel = keyof typeof pushContract;
/** What a channel's request schema yields: what the handler receives and the renderer sends. */
export type RequestOf<C extends InvokeChannel> = z.output<(typeof invokeContract)[C]['request']>;
export type ResponseOf<C extends InvokeChannel> = z.output<(typeof invokeContract)[C]['response']>;
export type PushPayloadOf<C extends PushChannel> = z.output<(typeof pushContract)[C]['payload']>;
/** Main → renderer pushes and their payloads. */
export type PushContract = { [C in PushChannel]: PushPayloadOf<C> };

function keysOf<T extends object>(table: T): readonly (keyof T & string)[] {
  return Object.freeze(Object.keys(table) as (keyof T & string)[]);
}

/** Every invoke channel, at run time, in the table's order. */
export const invokeChannels = keysOf(invokeContract);
/** Every push channel, at run time, in the table's order. */
export const pushChannels = keysOf(pushContract);

/** Each channel's permission, read from its entry (for the checks and the tests that list them). */
export const invokePermissions = Object.freeze(
  Object.fromEntries(invokeChannels.map((c) => [c, invokeContract[c].permission])) as { [C in InvokeChannel]: (typeof invokeContract)[C]['permission'] },
);
export const pushPermissions = Object.freeze(
  Object.fromEntries(pushChannels.map((c) => [c, pushContract[c].permission])) as { [C in PushChannel]: (typeof pushContract)[C]['permission'] },
);

/** The permission an invoke channel declares; undefined for a name that is not a channel (never allowed). */
export function invokePermission(channel: string): ChannelPermission | undefined {
  return Object.hasOwn(invokeContract, channel) ? invokeContract[channel as InvokeChannel].permission : undefined;
}

/** A channel's request schema, typed by its channel (TypeScript cannot follow a generic key into the table). */
export function requestSchemaOf<C extends InvokeChannel>(channel: C): z.ZodType<RequestOf<C>> {
  const spec: InvokeSpec = invokeContract[channel];
  return spec.request as z.ZodType<RequestOf<C>>;
}

/** The one answer to a request the active profile's role does not allow. */
export const NOT_ALLOWED_MESSAGE = 'Your profile’s role does not allow this: ask an Admin.';

export { listenerName, methodName } from './names';

/** window.api: one function per channel, nothing raw. */
export type Api = {
  [C in InvokeChannel as MethodName<C>]: RequestOf<C> extends undefined
    ? () => Promise<IpcResult<ResponseOf<C>>>
    : (request: RequestOf<C>) => Promise<IpcResult<ResponseOf<C>>>;
} & {
  [C in PushChannel as ListenerName<C>]: (listener: (payload: PushPayloadOf<C>) => void) => () => void;
};
