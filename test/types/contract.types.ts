// Type tests, compiled by `npm run typecheck` (never run): each `@ts-expect-error` line must fail to
// compile, or the type check fails ("unused directive"). They prove the recipe "add an IPC channel" in
// docs/architecture.md is guarded: an entry needs its schemas and its permission, a handler must answer
// its channel's response type, and every channel needs a handler.
import { z } from 'zod';
import { invokeContract, pushContract } from '../../preload/contract';
import type { Api, InvokeSpec, PushSpec } from '../../preload/contract';
import { ok } from '../../main/ipc/register';
import type { HandlerDef, Handlers } from '../../main/ipc/register';

type Table<Spec> = Record<`${string}:${string}`, Spec>;

// The real tables, as they are, satisfy their rule.
export const invokeTable = invokeContract satisfies Table<InvokeSpec>;
export const pushTable = pushContract satisfies Table<PushSpec>;

export const withoutResponse = {
  ...invokeContract,
  // @ts-expect-error a channel without a response schema does not compile
  'tests:noResponse': { request: z.undefined(), permission: 'none' },
} satisfies Table<InvokeSpec>;

export const withoutRequest = {
  ...invokeContract,
  // @ts-expect-error a channel without a request schema does not compile
  'tests:noRequest': { response: z.null(), permission: 'none' },
} satisfies Table<InvokeSpec>;

export const withoutPermission = {
  ...invokeContract,
  // @ts-expect-error a channel without a permission does not compile
  'tests:noPermission': { request: z.undefined(), response: z.null() },
} satisfies Table<InvokeSpec>;

export const unknownPermission = {
  ...invokeContract,
  // @ts-expect-error a permission that is not one of the roles' does not compile
  'tests:badPermission': { request: z.undefined(), response: z.null(), permission: 'root' },
} satisfies Table<InvokeSpec>;

export const pushWithoutPermission = {
  ...pushContract,
  // @ts-expect-error a push without a permission does not compile
  'tests:noPermission': { payload: z.null() },
} satisfies Table<PushSpec>;

export const rightAnswer: HandlerDef<'app:dismissNotice'> = { handle: ({ id }) => (id.length > 0 ? ok(null) : ok(null)) };

export const wrongAnswer: HandlerDef<'app:info'> = {
  // @ts-expect-error a handler answering something else than its channel's response does not compile
  handle: () => ok({ name: 'DeviceHooks', version: 1 }),
};

export const wrongRequest: HandlerDef<'devices:release'> = {
  // @ts-expect-error a handler reading a field its channel's request does not have does not compile
  handle: ({ serial }) => ok(serial),
};

// @ts-expect-error a handler map missing a channel does not compile
export const missingHandler: Handlers = { 'app:info': { handle: () => ok({ name: '', version: '', dataDir: '', logFile: '', osUser: '', platform: '' }) } };

export function rendererCalls(api: Api): void {
  void api.devicesRelease({ udid: 'R58M123' });
  // @ts-expect-error the renderer's call is typed by the same request schema
  void api.devicesRelease({ serial: 'R58M123' });
}
