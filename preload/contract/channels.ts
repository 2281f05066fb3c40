// Every channel between the renderer and main, each once: its request and response schemas (or push
// payload) and the permission the active profile must hold, side by side. The channel lists, the
// preload's window.api, main's handler types and its one permission check are all derived from these
// two tables (a channel missing a schema or a permission does not compile: test/types/contract.types.ts).
import { z } from 'zod';
import {
  appInfoSchema,
  deliveryAttemptSchema,
  deviceEventInfoSchema,
  devicesStateSchema,
  exportOutcomeSchema,
  importOutcomeSchema,
  localApiInfoSchema,
  noticeSchema,
  orgSchema,
  orphanInfoSchema,
  profileSchema,
  profilesStateSchema,
  receivedCallbackSchema,
  receiverInfoSchema,
  revealedSchema,
  roleSchema,
  utilizationReportSchema,
  webhookDeliveryHealthSchema,
  webhookSchema,
  webhooksStateSchema,
} from './dtos';
import type { WebhookForm } from './dtos';
import { idSchema, listenPortSchema } from './fields';
import { generalInfoSchema } from './settings';
import type { GeneralSettings } from './settings';
import { DELIVERY_RESULTS, DEVICE_VISIBILITIES, WEBHOOK_EVENT_KEYS } from './vocabulary';
import type { ChannelPermission } from './vocabulary';

/** One renderer → main request/response channel. */
export interface InvokeSpec {
  /** Parsed by main's one IPC wrapper before the handler runs (the renderer is untrusted). */
  request: z.ZodType;
  /** What the handler answers (inside an IpcResult). */
  response: z.ZodType;
  permission: ChannelPermission;
}

/** One main → renderer push. */
export interface PushSpec {
  payload: z.ZodType;
  permission: ChannelPermission;
}

/**
 * A value whose rules main's own core applies (the webhook store, the profile store, the settings
 * store: each answers field errors keyed by the field). The envelope passes it on as it is; the type
 * says what the renderer sends.
 */
function checkedByMain<T>() {
  return z.custom<T>(() => true);
}
/** A form object whose fields main's core checks (see checkedByMain): anything but an object is refused here. */
function formCheckedByMain<T>() {
  return z.custom<T>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), { error: 'Expected an object' });
}

const nothing = z.undefined();
const done = z.null();
/** A webhook's or a profile's id. */
const id = idSchema;
const udid = z.string().min(1).max(256);
const note = z.string().trim().max(200);
const roleId = z.string().min(1).max(64);
const text = z.string().max(10_000);
/** At most the kept 90 days (and a day's slack), `from` before `to`. */
const reportRange = z
  .strictObject({ from: z.number().int().nonnegative(), to: z.number().int().nonnegative() })
  .refine((r) => r.from < r.to, { message: 'The start of the range must be before its end.' })
  .refine((r) => r.to - r.from <= 91 * 24 * 60 * 60 * 1000, { message: 'A range is at most 90 days.' });

/** Renderer → main request/response channels, named `domain:action`. */
export const invokeContract = {
  'app:info': { request: nothing, response: appInfoSchema, permission: 'none' },
  'app:notices': { request: nothing, response: z.array(noticeSchema), permission: 'none' },
  'app:dismissNotice': { request: z.strictObject({ id: z.string().min(1).max(100) }), response: done, permission: 'none' },
  'app:openExternal': { request: z.strictObject({ url: z.string().max(2048) }), response: done, permission: 'none' },
  // The state itself is filtered (no webhooks without org_setting.view) and says what the profile may do.
  'webhooks:state': { request: nothing, response: webhooksStateSchema, permission: 'none' },
  'webhooks:create': { request: z.strictObject({ webhook: formCheckedByMain<WebhookForm>() }), response: webhookSchema, permission: 'org_setting.modify' },
  'webhooks:update': { request: z.strictObject({ id, webhook: formCheckedByMain<WebhookForm>() }), response: webhookSchema, permission: 'org_setting.modify' },
  'webhooks:remove': { request: z.strictObject({ id }), response: done, permission: 'org_setting.modify' },
  'webhooks:export': { request: nothing, response: exportOutcomeSchema, permission: 'org_setting.view' },
  'webhooks:import': { request: nothing, response: importOutcomeSchema, permission: 'org_setting.modify' },
  // id as typed: main decides whether it is a positive whole number.
  'org:update': {
    request: z.strictObject({ id: checkedByMain<number | string>(), name: checkedByMain<string>() }),
    response: orgSchema,
    permission: 'org_setting.modify',
  },
  'profiles:state': { request: nothing, response: profilesStateSchema, permission: 'none' },
  // Anyone may switch (a passphrase guards the profile); a profile may set its own passphrase (the store checks whose).
  'profiles:switch': { request: z.strictObject({ id, passphrase: text.optional() }), response: profilesStateSchema, permission: 'none' },
  'profiles:create': {
    request: z.strictObject({ name: checkedByMain<string>(), roleId: checkedByMain<string>(), passphrase: checkedByMain<string>().optional() }),
    response: profileSchema,
    permission: 'org_setting.modify',
  },
  'profiles:rename': { request: z.strictObject({ id, name: checkedByMain<string>() }), response: profileSchema, permission: 'org_setting.modify' },
  'profiles:setRole': { request: z.strictObject({ id, roleId: checkedByMain<string>() }), response: profileSchema, permission: 'org_setting.modify' },
  'profiles:setPassphrase': { request: z.strictObject({ id, passphrase: text.nullable() }), response: profileSchema, permission: 'none' },
  'profiles:remove': { request: z.strictObject({ id }), response: done, permission: 'org_setting.modify' },
  'roles:create': {
    request: z.strictObject({ name: checkedByMain<string>(), permissions: checkedByMain<string[]>() }),
    response: roleSchema,
    permission: 'org_setting.modify',
  },
  'roles:update': {
    request: z.strictObject({ id: roleId, name: checkedByMain<string>(), permissions: checkedByMain<string[]>() }),
    response: roleSchema,
    permission: 'org_setting.modify',
  },
  'roles:remove': { request: z.strictObject({ id: roleId }), response: done, permission: 'org_setting.modify' },
  'devices:state': { request: nothing, response: devicesStateSchema, permission: 'none' },
  // Everyone sees the devices, so everyone may read and save their utilization report.
  'devices:report': { request: reportRange, response: utilizationReportSchema, permission: 'none' },
  'devices:exportReport': { request: reportRange, response: exportOutcomeSchema, permission: 'none' },
  'devices:events': { request: nothing, response: z.array(deviceEventInfoSchema), permission: 'none' },
  'devices:markInUse': { request: z.strictObject({ udid, by: note.optional(), note: note.optional() }), response: done, permission: 'device.reserve' },
  'devices:release': { request: z.strictObject({ udid }), response: done, permission: 'device.reserve' },
  'devices:setVisibility': {
    request: z.strictObject({ udid, visibility: z.enum(DEVICE_VISIBILITIES).nullable() }),
    response: done,
    permission: 'device.visibility.modify',
  },
  'devices:trackUsb': { request: z.strictObject({ udid, tracked: z.boolean() }), response: done, permission: 'org_setting.modify' },
  'devices:forget': { request: z.strictObject({ udid }), response: done, permission: 'org_setting.modify' },
  // The token is blanked for profiles without org_setting.modify.
  'localApi:state': { request: nothing, response: localApiInfoSchema, permission: 'none' },
  'localApi:setPort': {
    request: z.strictObject({ port: listenPortSchema }),
    response: localApiInfoSchema,
    permission: 'org_setting.modify',
  },
  'localApi:newToken': { request: nothing, response: localApiInfoSchema, permission: 'org_setting.modify' },
  'deliveries:list': {
    request: z.strictObject({
      webhookId: id,
      result: z.enum(DELIVERY_RESULTS).optional(),
      before: z.number().int().positive().optional(),
      limit: z.number().int().min(1).max(1000).optional(),
    }),
    response: z.array(deliveryAttemptSchema),
    permission: 'org_setting.view',
  },
  'deliveries:health': { request: nothing, response: z.array(webhookDeliveryHealthSchema), permission: 'org_setting.view' },
  'deliveries:redeliver': { request: z.strictObject({ deliveryId: z.string().min(1).max(100) }), response: done, permission: 'org_setting.modify' },
  'deliveries:sendTest': { request: z.strictObject({ webhookId: id, event: z.enum(WEBHOOK_EVENT_KEYS) }), response: deliveryAttemptSchema, permission: 'org_setting.modify' },
  'deliveries:orphans': { request: nothing, response: orphanInfoSchema, permission: 'org_setting.view' },
  'deliveries:restoreOrphans': { request: nothing, response: z.object({ restored: z.number(), message: z.string() }), permission: 'org_setting.modify' },
  'deliveries:discardOrphans': { request: nothing, response: z.object({ discarded: z.number() }), permission: 'org_setting.modify' },
  'webhooks:resume': { request: z.strictObject({ id }), response: done, permission: 'org_setting.modify' },
  'webhooks:setEnabled': { request: z.strictObject({ id, enabled: z.boolean() }), response: done, permission: 'org_setting.modify' },
  'webhooks:reveal': { request: z.strictObject({ id }), response: revealedSchema, permission: 'org_setting.modify' },
  'webhooks:rotateSecret': { request: z.strictObject({ id }), response: z.object({ secret: z.string() }), permission: 'org_setting.modify' },
  // The Test receiver shows captured requests word for word and can answer 410: modify only.
  'receiver:state': { request: nothing, response: receiverInfoSchema, permission: 'org_setting.modify' },
  'receiver:requests': { request: nothing, response: z.array(receivedCallbackSchema), permission: 'org_setting.modify' },
  'receiver:start': { request: z.strictObject({ port: listenPortSchema }), response: receiverInfoSchema, permission: 'org_setting.modify' },
  'receiver:stop': { request: nothing, response: receiverInfoSchema, permission: 'org_setting.modify' },
  'receiver:setReply': {
    request: z.strictObject({
      status: z.number().int().min(100, 'A status is 100–599').max(599, 'A status is 100–599'),
      delayMs: z.number().int().min(0).max(60_000, 'At most 60000 ms'),
    }),
    response: receiverInfoSchema,
    permission: 'org_setting.modify',
  },
  'receiver:clear': { request: nothing, response: done, permission: 'org_setting.modify' },
  'settings:general': { request: nothing, response: generalInfoSchema, permission: 'none' },
  // The settings store applies the one rule set (generalSettingsForm) and answers field errors.
  'settings:updateGeneral': { request: checkedByMain<GeneralSettings>(), response: generalInfoSchema, permission: 'org_setting.modify' },
} as const satisfies Record<`${string}:${string}`, InvokeSpec>;

/** Main → renderer pushes, named `domain:event`. A push reaches the window only with its permission. */
export const pushContract = {
  'app:notice': { payload: noticeSchema, permission: 'none' },
  'webhooks:changed': { payload: webhooksStateSchema, permission: 'none' },
  'profiles:changed': { payload: profilesStateSchema, permission: 'none' },
  'devices:changed': { payload: devicesStateSchema, permission: 'none' },
  'devices:event': { payload: deviceEventInfoSchema, permission: 'none' },
  'localApi:changed': { payload: localApiInfoSchema, permission: 'none' },
  'deliveries:attempt': { payload: deliveryAttemptSchema, permission: 'org_setting.view' },
  'receiver:changed': { payload: receiverInfoSchema, permission: 'org_setting.modify' },
  'receiver:request': { payload: receivedCallbackSchema, permission: 'org_setting.modify' },
  'settings:changed': { payload: generalInfoSchema, permission: 'none' },
} as const satisfies Record<`${string}:${string}`, PushSpec>;
