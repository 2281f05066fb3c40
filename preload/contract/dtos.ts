// Every shape that crosses the IPC boundary: a zod schema each, the type derived from it. Main builds
// these values (its stores import the types rather than keeping twins); the renderer reads them.
// One cohesive thing (a list of schemas, one per shape), a little over 400 lines.
import { z } from 'zod';
import {
  APPIUM_SERVER_STATES,
  DELIVERY_ERROR_CLASSES,
  DELIVERY_OUTCOMES,
  DELIVERY_RESULTS,
  DEVICE_CONNECTIONS,
  DEVICE_PLATFORMS,
  DEVICE_SOURCES,
  DEVICE_STATUSES,
  DEVICE_VISIBILITIES,
  IPC_ERROR_CODES,
  NOTICE_LEVELS,
  ROLE_PERMISSIONS,
  SOURCE_HEALTH_STATES,
  WEBHOOK_EVENT_KEYS,
} from './vocabulary';

const epochMs = z.number();
const status = z.enum(DEVICE_STATUSES);
const platform = z.enum(DEVICE_PLATFORMS);
const visibility = z.enum(DEVICE_VISIBILITIES);
const source = z.enum(DEVICE_SOURCES);
const stringMap = z.record(z.string(), z.string());

/** What the renderer learns about the running app (About panel). */
export const appInfoSchema = z.object({
  name: z.string(),
  version: z.string(),
  /** The user-data folder where every data file lives. */
  dataDir: z.string(),
  /** The log file main writes to. */
  logFile: z.string(),
  /** The OS user the first profile is named after. */
  osUser: z.string(),
  platform: z.string(),
});
export type AppInfo = z.infer<typeof appInfoSchema>;

/** A sentence main wants the user to read (a banner in the window). */
export const noticeSchema = z.object({ id: z.string(), level: z.enum(NOTICE_LEVELS), message: z.string(), at: epochMs });
export type Notice = z.infer<typeof noticeSchema>;

export const webhookEventsSchema = z.object(Object.fromEntries(WEBHOOK_EVENT_KEYS.map((k) => [k, z.boolean()])) as Record<(typeof WEBHOOK_EVENT_KEYS)[number], z.ZodBoolean>);
export type WebhookEvents = z.infer<typeof webhookEventsSchema>;

const webhookScopeSchema = z.object({
  /** Empty: every device. */
  udids: z.array(z.string()),
  /** Empty: every platform. */
  platforms: z.array(platform),
});

/** A webhook as main hands it out: no secret material (that only through webhooks:reveal). */
export const webhookSchema = z.object({
  id: z.number(),
  orgId: z.number(),
  name: z.string(),
  url: z.string(),
  description: z.string().optional(),
  events: webhookEventsSchema,
  /** false: nothing is queued or sent (an admin turned it off, or the receiver answered 410 Gone). */
  enabled: z.boolean(),
  /** Why it is disabled, in a sentence; only while disabled. */
  disabledReason: z.string().optional(),
  /** true: new events are queued, nothing is sent until it is resumed. */
  paused: z.boolean(),
  /** Why it is paused, in a sentence; only while paused. */
  pausedReason: z.string().optional(),
  scope: webhookScopeSchema,
  /** Signs its requests (Standard Webhooks); the secret itself only through webhooks:reveal. */
  hasSecret: z.boolean(),
  /** Custom header names, in order; their values only through webhooks:reveal. */
  headers: z.array(z.object({ name: z.string() })),
  /** ISO-8601 UTC */
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Webhook = z.infer<typeof webhookSchema>;

/**
 * What the webhook dialog sends: the form's fields as the renderer fills them in. Main's webhook store
 * applies the product's rules to every field (and answers field errors keyed like `name`).
 */
export interface WebhookForm {
  name: string;
  url: string;
  description?: string;
  events: WebhookEvents;
  scope?: { udids?: string[]; platforms?: string[] };
  /** A row the dialog could not show the value of keeps the stored one: `keepValueOf` names that header. */
  headers?: ({ name: string; value: string } | { name: string; keepValueOf: string })[];
  /** true: sign requests (a secret is made the first time); false: no signing; absent: unchanged. */
  signing?: boolean;
}

export const orgSchema = z.object({
  /** A positive whole number; sent as `orgId` in every callback. */
  id: z.number(),
  name: z.string(),
});
export type Org = z.infer<typeof orgSchema>;

export const webhooksStateSchema = z.object({
  org: orgSchema,
  webhooks: z.array(webhookSchema),
  /** Signing secrets and header values are encrypted by the OS keyring (false: stored in plain text). */
  secretsEncrypted: z.boolean(),
  /** The OS keyring sealed values here but is locked now: they cannot be read, new ones cannot be saved. */
  keyringLocked: z.boolean(),
  canView: z.boolean(),
  canModify: z.boolean(),
  /** Why the active profile sees Webhook Settings read-only, in a sentence; null when it may change them. */
  readOnlyReason: z.string().nullable(),
});
export type WebhooksState = z.infer<typeof webhooksStateSchema>;

export const importProblemSchema = z.object({
  /** 0-based entry in the file; null for the file as a whole. */
  index: z.number().nullable(),
  field: z.string(),
  message: z.string(),
});
export type ImportProblem = z.infer<typeof importProblemSchema>;

export const importOutcomeSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('imported'), count: z.number(), file: z.string() }),
  z.object({ status: z.literal('refused'), problems: z.array(importProblemSchema), file: z.string() }),
  z.object({ status: z.literal('cancelled') }),
]);

export const exportOutcomeSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('saved'), file: z.string(), count: z.number() }),
  z.object({ status: z.literal('cancelled') }),
]);

const permissionInfoSchema = z.object({ id: z.enum(ROLE_PERMISSIONS), label: z.string() });

export const roleSchema = z.object({ id: z.string(), name: z.string(), permissions: z.array(z.enum(ROLE_PERMISSIONS)), builtIn: z.boolean() });
export type Role = z.infer<typeof roleSchema>;

export const profileSchema = z.object({
  id: z.number(),
  name: z.string(),
  roleId: z.string(),
  roleName: z.string(),
  permissions: z.array(z.enum(ROLE_PERMISSIONS)),
  hasPassphrase: z.boolean(),
});
export type Profile = z.infer<typeof profileSchema>;

export const profilesStateSchema = z.object({
  activeProfileId: z.number(),
  active: profileSchema,
  profiles: z.array(profileSchema),
  roles: z.array(roleSchema),
  permissions: z.array(permissionInfoSchema),
  /** The active profile may create, change and remove profiles and roles. */
  canManage: z.boolean(),
});
export type ProfilesState = z.infer<typeof profilesStateSchema>;

export const deviceTransitionSchema = z.object({
  from: status.nullable(),
  to: status,
  /** epoch ms */
  at: epochMs,
});
export type DeviceTransition = z.infer<typeof deviceTransitionSchema>;

export const deviceSchema = z.object({
  udid: z.string(),
  name: z.string(),
  platform,
  connection: z.enum(DEVICE_CONNECTIONS),
  /** null while a newly seen device's first status is still settling */
  status: status.nullable(),
  /** epoch ms the status was committed */
  since: epochMs,
  pending: z.object({ to: status, since: epochMs }).optional(),
  visibility,
  visibilityOverride: visibility.optional(),
  /** Who holds it: a reservation (by, note, until; `reserved`) and/or a test session on an Appium server. */
  inUse: z
    .object({
      by: z.string().optional(),
      note: z.string().optional(),
      until: epochMs.optional(),
      reserved: z.literal(true).optional(),
      session: z.object({ id: z.string(), server: z.string(), since: epochMs }).optional(),
    })
    .optional(),
  sources: z.array(source),
  /** How it is connected now, USB first (a phone on a cable and on Wi-Fi has both); empty when gone. */
  transports: z.array(z.enum(DEVICE_CONNECTIONS)).optional(),
  rawStates: z.partialRecord(source, z.string()),
  /** The last day's committed transitions, oldest first. */
  history: z.array(deviceTransitionSchema),
  /** Set while it flaps (more than 6 status changes in 10 minutes): its USB port and hub where known. */
  flapping: z.object({ port: z.string().optional(), hub: z.string().optional(), changes: z.number() }).optional(),
  /** The last battery reading (Android: level, charging, temperature, health; iOS: level, charging). */
  battery: z
    .object({ level: z.number().nullable(), charging: z.boolean().nullable(), temperatureC: z.number().nullable(), health: z.string().nullable(), at: epochMs })
    .optional(),
});
export type Device = z.infer<typeof deviceSchema>;

/** A USB port's disconnects in the last hour. */
export const usbPortStatSchema = z.object({
  port: z.string(),
  hub: z.string().optional(),
  disconnects: z.number(),
  devices: z.array(z.string()),
  flapping: z.boolean(),
});
export type UsbPortStat = z.infer<typeof usbPortStatSchema>;

export const sourceHealthInfoSchema = z.object({ source, state: z.enum(SOURCE_HEALTH_STATES), message: z.string().optional(), since: epochMs });
export type SourceHealthInfo = z.infer<typeof sourceHealthInfoSchema>;

/** A watched Appium server: `not-running` (never answered: neutral), `refused` (session discovery off), `down` (stopped answering). */
export const appiumServerInfoSchema = z.object({ url: z.string(), state: z.enum(APPIUM_SERVER_STATES), message: z.string(), since: epochMs });
export type AppiumServerInfo = z.infer<typeof appiumServerInfoSchema>;

/** One device's time in each status over a range (seconds); `not_watched_s`: DeviceHooks was not running. */
export const utilizationRowSchema = z.object({
  udid: z.string(),
  name: z.string(),
  platform,
  online_s: z.number(),
  utilizing_s: z.number(),
  offline_s: z.number(),
  unplugged_s: z.number(),
  not_watched_s: z.number(),
});
export type UtilizationRow = z.infer<typeof utilizationRowSchema>;

export const utilizationReportSchema = z.object({
  /** epoch ms; `to` is clipped to now */
  from: epochMs,
  to: epochMs,
  rows: z.array(utilizationRowSchema),
});
export type UtilizationReport = z.infer<typeof utilizationReportSchema>;

const otherUsbDeviceSchema = z.object({
  udid: z.string(),
  name: z.string().optional(),
  vendorId: z.number().optional(),
  productId: z.number().optional(),
  tracked: z.boolean(),
});

export const devicesStateSchema = z.object({
  devices: z.array(deviceSchema),
  /** USB ports with disconnects in the last hour, most first. */
  ports: z.array(usbPortStatSchema).optional(),
  health: z.array(sourceHealthInfoSchema),
  /** The Appium servers watched for sessions. */
  appium: z.array(appiumServerInfoSchema).optional(),
  otherUsb: z.array(otherUsbDeviceSchema),
  canReserve: z.boolean(),
  canChangeVisibility: z.boolean(),
  canManage: z.boolean(),
});
export type DevicesState = z.infer<typeof devicesStateSchema>;

/** A committed transition that fires an event (what a webhook receives, before delivery). */
export const deviceEventInfoSchema = z.object({
  udid: z.string(),
  name: z.string(),
  platform,
  visibility,
  from: status.nullable(),
  to: status,
  at: epochMs,
  seq: z.number(),
});
export type DeviceEventInfo = z.infer<typeof deviceEventInfoSchema>;

/** What a small local HTTP server of the app reports: the Local API and the Test receiver. */
const localServerShape = {
  running: z.boolean(),
  /** http://127.0.0.1:PORT while running */
  url: z.string().nullable(),
  /** The port in use (0 when not running). */
  port: z.number(),
  /** The port asked for (in settings, for the Local API); 0 = any free port. */
  configuredPort: z.number(),
  error: z.string().nullable(),
};

export const localApiInfoSchema = z.object({
  ...localServerShape,
  token: z.string(),
  canManage: z.boolean(),
});
export type LocalApiInfo = z.infer<typeof localApiInfoSchema>;

/** The event an attempt announced; `at` is when the status changed (the body's creationTime is when the try was sent). */
const deliveryEventSummarySchema = z.object({ udid: z.string(), name: z.string(), platform: platform.optional(), to: status, at: epochMs, seq: z.number() });

/** One attempt to deliver a callback, exactly as sent and as answered. */
export const deliveryAttemptSchema = z.object({
  /** History entry number, increasing (use it as `before` to page). */
  id: z.number(),
  deliveryId: z.string(),
  /** The `webhook-id` header: the same for every attempt and redelivery of one message. */
  messageId: z.string(),
  webhookId: z.number(),
  udid: z.string(),
  seq: z.number(),
  /** 1-based attempt number of this delivery */
  attempt: z.number(),
  /** epoch ms when the attempt started */
  at: epochMs,
  latencyMs: z.number(),
  result: z.enum(DELIVERY_RESULTS),
  errorClass: z.enum(DELIVERY_ERROR_CLASSES).optional(),
  /** "DNS", "Connection refused", "TLS", "Timeout", "HTTP 503", "Connection reset", "Error" */
  errorLabel: z.string().optional(),
  /** The underlying message, e.g. "connect ECONNREFUSED 127.0.0.1:9" */
  errorDetail: z.string().optional(),
  outcome: z.enum(DELIVERY_OUTCOMES),
  /** When outcome is 'retrying' */
  nextAttemptAt: epochMs.optional(),
  test: z.boolean().optional(),
  redeliveryOf: z.string().optional(),
  event: deliveryEventSummarySchema.optional(),
  request: z.object({ method: z.literal('POST'), url: z.string(), headers: stringMap, body: z.string() }),
  /** The answer: the first 16 KiB of its body, decoded as UTF-8 (`truncated`: the body was longer and was cut). */
  response: z.object({ status: z.number(), headers: stringMap, body: z.string(), truncated: z.boolean() }).optional(),
});
export type DeliveryAttempt = z.infer<typeof deliveryAttemptSchema>;

/** Callbacks held for webhook ids that are neither defined nor recorded as deleted. */
export const orphanInfoSchema = z.object({
  count: z.number(),
  webhookIds: z.array(z.number()),
  /** The newest set-aside webhooks.json (Restore reads it), or null. */
  setAside: z.string().nullable(),
});
export type OrphanInfo = z.infer<typeof orphanInfoSchema>;

/** At a glance, per webhook: its last attempts (oldest first), what waits, whether it is held. */
export const webhookDeliveryHealthSchema = z.object({
  webhookId: z.number(),
  recent: z.array(z.enum(['success', 'failure'])),
  pending: z.number(),
  consecutiveFailures: z.number(),
  /** Set while its secret or a header value cannot be opened (OS keyring locked): the reason. Callbacks wait. */
  secretUnavailable: z.string().optional(),
  /** New callbacks refused since its queue became full (absent: not full). */
  refused: z.number().optional(),
});
export type WebhookDeliveryHealth = z.infer<typeof webhookDeliveryHealthSchema>;

const signatureCheckSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('valid'), secretIndex: z.number() }),
  z.object({ status: z.literal('invalid'), reason: z.string() }),
  z.object({ status: z.literal('no-secret') }),
]);

/** One request the Test receiver captured, word for word. */
export const receivedCallbackSchema = z.object({
  /** 1, 2, 3… in arrival order */
  n: z.number(),
  method: z.string(),
  /** path and query, e.g. /hooks/a?x=1 */
  path: z.string(),
  headers: stringMap,
  body: z.string(),
  bodyTruncated: z.boolean(),
  receivedAt: epochMs,
  signature: signatureCheckSchema,
  /** What the receiver answered */
  answeredStatus: z.number().optional(),
});
export type ReceivedCallback = z.infer<typeof receivedCallbackSchema>;

const receiverReplySchema = z.object({ status: z.number(), delayMs: z.number() });

export const receiverInfoSchema = z.object({ ...localServerShape, reply: receiverReplySchema });
export type ReceiverInfo = z.infer<typeof receiverInfoSchema>;

/** A value that cannot be opened has no value but `unreadable`/`secretUnreadable`: why, in a sentence. */
export const revealedSchema = z.object({
  secret: z.string().optional(),
  secretUnreadable: z.string().optional(),
  headers: z.array(z.object({ name: z.string(), value: z.string().optional(), unreadable: z.string().optional() })),
  /** The whole URL, user name and password included, when it has them and they open (elsewhere they show as ***). */
  url: z.string().optional(),
});

/** Structured errors: a form shows `fieldErrors` next to each field; everything else is a plain sentence. */
export const ipcErrorSchema = z.union([
  z.object({ code: z.literal('validation'), message: z.string(), fieldErrors: stringMap }),
  z.object({ code: z.enum(IPC_ERROR_CODES.filter((c) => c !== 'validation') as [Exclude<(typeof IPC_ERROR_CODES)[number], 'validation'>]), message: z.string() }),
]);
export type IpcError = z.infer<typeof ipcErrorSchema>;

export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: IpcError };
