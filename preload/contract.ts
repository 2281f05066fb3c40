// The IPC contract: every channel between the renderer and main, in one place.
// Types only plus two constant lists: the preload builds window.api from the lists, main registers a
// handler for every invoke channel (a test checks both), and the renderer imports only the types.

/** What the renderer learns about the running app (About panel). */
export interface AppInfo {
  name: string;
  version: string;
  /** The user-data folder where every data file lives. */
  dataDir: string;
  /** The log file main writes to. */
  logFile: string;
  /** The OS user the first profile is named after. */
  osUser: string;
  platform: string;
}

/** A sentence main wants the user to read (a banner in the window). */
export interface Notice {
  id: string;
  level: 'info' | 'warning' | 'error';
  message: string;
  /** epoch ms */
  at: number;
}

export type WebhookEventKey = 'online' | 'offline' | 'utilizing' | 'unplugged';
export type WebhookEvents = Record<WebhookEventKey, boolean>;

export type DevicePlatform = 'android' | 'ios' | 'other';

export interface WebhookScope {
  /** Empty: every device. */
  udids: string[];
  /** Empty: every platform. */
  platforms: DevicePlatform[];
}

export interface Webhook {
  id: number;
  orgId: number;
  name: string;
  url: string;
  description?: string;
  events: WebhookEvents;
  enabled: boolean;
  disabledReason?: string;
  paused: boolean;
  pausedReason?: string;
  scope: WebhookScope;
  /** Signs its requests (Standard Webhooks); the secret itself only through webhooks:reveal. */
  hasSecret: boolean;
  /** Custom header names; their values only through webhooks:reveal. */
  headers: { name: string }[];
  /** ISO-8601 UTC */
  createdAt: string;
  updatedAt: string;
}

/** What the webhook dialog sends; main trims and validates it with the product's rules. */
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

export interface Org {
  id: number;
  name: string;
}

export interface WebhooksState {
  org: Org;
  webhooks: Webhook[];
  /** Signing secrets and header values are encrypted by the OS keyring (false: stored in plain text). */
  secretsEncrypted: boolean;
  /** The OS keyring sealed values here but is locked now: they cannot be read, new ones cannot be saved. */
  keyringLocked: boolean;
  canView: boolean;
  canModify: boolean;
  /** Why the active profile sees Webhook Settings read-only, in a sentence; null when it may change them. */
  readOnlyReason: string | null;
}

export interface ImportProblem {
  /** 0-based entry in the file; null for the file as a whole. */
  index: number | null;
  field: string;
  message: string;
}
export type ImportOutcome =
  | { status: 'imported'; count: number; file: string }
  | { status: 'refused'; problems: ImportProblem[]; file: string }
  | { status: 'cancelled' };
export type ExportOutcome = { status: 'saved'; file: string; count: number } | { status: 'cancelled' };

export interface PermissionInfo {
  id: string;
  label: string;
}
export interface Role {
  id: string;
  name: string;
  permissions: string[];
  builtIn: boolean;
}
export interface Profile {
  id: number;
  name: string;
  roleId: string;
  roleName: string;
  permissions: string[];
  hasPassphrase: boolean;
}
export interface ProfilesState {
  activeProfileId: number;
  active: Profile;
  profiles: Profile[];
  roles: Role[];
  permissions: PermissionInfo[];
  /** The active profile may create, change and remove profiles and roles. */
  canManage: boolean;
}

export type DeviceStatus = 'Online' | 'Offline' | 'Utilizing' | 'Unplugged';
export type DeviceVisibility = 'Local' | 'Private' | 'Public';
export type DeviceSourceId = 'usb' | 'adb' | 'usbmux';

export interface DeviceTransition {
  from: DeviceStatus | null;
  to: DeviceStatus;
  /** epoch ms */
  at: number;
}

export interface Device {
  udid: string;
  name: string;
  platform: 'android' | 'ios' | 'other';
  connection: 'usb' | 'network';
  /** null while a newly seen device's first status is still settling */
  status: DeviceStatus | null;
  /** epoch ms the status was committed */
  since: number;
  pending?: { to: DeviceStatus; since: number };
  visibility: DeviceVisibility;
  visibilityOverride?: DeviceVisibility;
  /** Who holds it: a reservation (by, note, until; `reserved`) and/or a test session on an Appium server. */
  inUse?: { by?: string; note?: string; until?: number; reserved?: true; session?: { id: string; server: string; since: number } };
  sources: DeviceSourceId[];
  /** How it is connected now, USB first (a phone on a cable and on Wi-Fi has both); empty when gone. */
  transports?: ('usb' | 'network')[];
  rawStates: Partial<Record<DeviceSourceId, string>>;
  /** The last day's committed transitions, oldest first. */
  history: DeviceTransition[];
  /** Set while it flaps (more than 6 status changes in 10 minutes): its USB port and hub where known. */
  flapping?: { port?: string; hub?: string; changes: number };
  /** The last battery reading (Android: level, charging, temperature, health; iOS: level, charging). */
  battery?: { level: number | null; charging: boolean | null; temperatureC: number | null; health: string | null; at: number };
}

/** A USB port's disconnects in the last hour. */
export interface UsbPortStat {
  port: string;
  hub?: string;
  disconnects: number;
  devices: string[];
  flapping: boolean;
}

export interface SourceHealthInfo {
  source: DeviceSourceId;
  state: 'starting' | 'ok' | 'down';
  message?: string;
  since: number;
}

/** A watched Appium server: `not-running` (never answered: neutral), `refused` (session discovery off), `down` (stopped answering). */
export interface AppiumServerInfo {
  url: string;
  state: 'not-running' | 'ok' | 'refused' | 'down';
  message: string;
  since: number;
}

/** One device's time in each status over a range (seconds); `not_watched_s`: DeviceHooks was not running. */
export interface UtilizationRow {
  udid: string;
  name: string;
  platform: 'android' | 'ios' | 'other';
  online_s: number;
  utilizing_s: number;
  offline_s: number;
  unplugged_s: number;
  not_watched_s: number;
}

export interface UtilizationReport {
  /** epoch ms; `to` is clipped to now */
  from: number;
  to: number;
  rows: UtilizationRow[];
}

export interface OtherUsbDevice {
  udid: string;
  name?: string;
  vendorId?: number;
  productId?: number;
  tracked: boolean;
}

export interface DevicesState {
  devices: Device[];
  /** USB ports with disconnects in the last hour, most first. */
  ports?: UsbPortStat[];
  health: SourceHealthInfo[];
  /** The Appium servers watched for sessions. */
  appium?: AppiumServerInfo[];
  otherUsb: OtherUsbDevice[];
  canReserve: boolean;
  canChangeVisibility: boolean;
  canManage: boolean;
}

/** A committed transition that fires an event (what a webhook receives, before delivery). */
export interface DeviceEventInfo {
  udid: string;
  name: string;
  platform: 'android' | 'ios' | 'other';
  visibility: DeviceVisibility;
  from: DeviceStatus | null;
  to: DeviceStatus;
  at: number;
  seq: number;
}

export interface LocalApiInfo {
  running: boolean;
  /** http://127.0.0.1:PORT while running */
  url: string | null;
  /** The port in use (0 when not running). */
  port: number;
  /** The port asked for in settings; 0 = any free port. */
  configuredPort: number;
  token: string;
  error: string | null;
  canManage: boolean;
}

/** `skipped`: nothing was sent (the webhook no longer subscribes to it, or was deleted); errorLabel says which. */
export type DeliveryOutcome = 'succeeded' | 'retrying' | 'failed' | 'dead' | 'paused' | 'test' | 'skipped';
export type DeliveryResult = 'success' | 'failure' | 'skipped';

/** One attempt to deliver a callback, exactly as sent and as answered. */
export interface DeliveryAttempt {
  id: number;
  deliveryId: string;
  /** The `webhook-id` header: the same for every attempt and redelivery of one message. */
  messageId: string;
  webhookId: number;
  udid: string;
  seq: number;
  attempt: number;
  at: number;
  latencyMs: number;
  result: DeliveryResult;
  errorClass?: 'dns' | 'refused' | 'tls' | 'timeout' | 'http' | 'reset' | 'other';
  /** "DNS", "Connection refused", "TLS", "Timeout", "HTTP 503"… */
  errorLabel?: string;
  errorDetail?: string;
  outcome: DeliveryOutcome;
  nextAttemptAt?: number;
  test?: boolean;
  redeliveryOf?: string;
  /** The event announced; `at` is when the status changed (the body's creationTime is when the try was sent). */
  event?: { udid: string; name: string; platform?: 'android' | 'ios' | 'other'; to: 'Online' | 'Offline' | 'Utilizing' | 'Unplugged'; at: number; seq: number };
  request: { method: 'POST'; url: string; headers: Record<string, string>; body: string };
  response?: { status: number; headers: Record<string, string>; body: string; truncated: boolean };
}

/** Callbacks held for webhook ids that are neither defined nor recorded as deleted. */
export interface OrphanInfo {
  count: number;
  webhookIds: number[];
  /** The newest set-aside webhooks.json (Restore reads it), or null. */
  setAside: string | null;
}

/** At a glance, per webhook: its last attempts (oldest first), what waits, whether it is held. */
export interface WebhookDeliveryHealth {
  webhookId: number;
  recent: ('success' | 'failure')[];
  pending: number;
  consecutiveFailures: number;
  /** Set while its secret or a header value cannot be opened (OS keyring locked): the reason. Callbacks wait. */
  secretUnavailable?: string;
  /** New callbacks refused since its queue became full (absent: not full). */
  refused?: number;
}

export interface ReceivedCallback {
  n: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  bodyTruncated: boolean;
  receivedAt: number;
  signature: { status: 'valid'; secretIndex: number } | { status: 'invalid'; reason: string } | { status: 'no-secret' };
  answeredStatus?: number;
}

export interface ReceiverInfo {
  running: boolean;
  url: string | null;
  port: number;
  /** The port asked for; 0 = any free port. */
  configuredPort: number;
  reply: { status: number; delayMs: number };
  error: string | null;
}

export interface GeneralSettings {
  startAtLogin: boolean;
  startHidden: boolean;
  notifications: { deviceOffline: boolean; deviceUnplugged: boolean; webhookPaused: boolean; deliveryFailed: boolean; deviceBattery: boolean };
  /** Battery alerts: low (at or below, not charging) and hot (at or above). */
  battery: { lowPercent: number; hotC: number };
  debounce: { onlineMs: number; offlineMs: number; unpluggedMs: number; settleMs: number };
  /** Devices Unplugged for longer than this many days are forgotten. */
  deviceRetentionDays: number;
  /** Appium servers whose sessions make their devices Utilizing. */
  appiumUrls: string[];
  delivery: { timeoutSeconds: number; pauseAfterFailures: number; maxQueued: number; historyEntries: number; historyMegabytes: number; retryHorizonHours: number };
}

export interface GeneralInfo {
  settings: GeneralSettings;
  canManage: boolean;
  /** Debounce times and delivery limits are read at launch: true when the saved ones differ from those in use. */
  restartNeeded: boolean;
}

/** Structured errors: a form shows `fieldErrors` next to each field; everything else is a plain sentence. */
export type IpcError =
  | { code: 'validation'; message: string; fieldErrors: Record<string, string> }
  | { code: 'forbidden' | 'not_found' | 'conflict' | 'storage' | 'bad_sender' | 'internal'; message: string };

export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: IpcError };

/** Renderer → main request/response channels, named `domain:action`. */
export interface InvokeContract {
  'app:info': { request: undefined; response: AppInfo };
  'app:notices': { request: undefined; response: Notice[] };
  'app:dismissNotice': { request: { id: string }; response: null };
  'app:openExternal': { request: { url: string }; response: null };
  'webhooks:state': { request: undefined; response: WebhooksState };
  'webhooks:create': { request: { webhook: WebhookForm }; response: Webhook };
  'webhooks:update': { request: { id: number; webhook: WebhookForm }; response: Webhook };
  'webhooks:remove': { request: { id: number }; response: null };
  'webhooks:export': { request: undefined; response: ExportOutcome };
  'webhooks:import': { request: undefined; response: ImportOutcome };
  // id as typed: main decides whether it is a positive whole number.
  'org:update': { request: { id: number | string; name: string }; response: Org };
  'profiles:state': { request: undefined; response: ProfilesState };
  'profiles:switch': { request: { id: number; passphrase?: string }; response: ProfilesState };
  'profiles:create': { request: { name: string; roleId: string; passphrase?: string }; response: Profile };
  'profiles:rename': { request: { id: number; name: string }; response: Profile };
  'profiles:setRole': { request: { id: number; roleId: string }; response: Profile };
  'profiles:setPassphrase': { request: { id: number; passphrase: string | null }; response: Profile };
  'profiles:remove': { request: { id: number }; response: null };
  'roles:create': { request: { name: string; permissions: string[] }; response: Role };
  'roles:update': { request: { id: string; name: string; permissions: string[] }; response: Role };
  'roles:remove': { request: { id: string }; response: null };
  'devices:state': { request: undefined; response: DevicesState };
  'devices:report': { request: { from: number; to: number }; response: UtilizationReport };
  'devices:exportReport': { request: { from: number; to: number }; response: ExportOutcome };
  'devices:events': { request: undefined; response: DeviceEventInfo[] };
  'devices:markInUse': { request: { udid: string; by?: string; note?: string }; response: null };
  'devices:release': { request: { udid: string }; response: null };
  'devices:setVisibility': { request: { udid: string; visibility: DeviceVisibility | null }; response: null };
  'devices:trackUsb': { request: { udid: string; tracked: boolean }; response: null };
  'devices:forget': { request: { udid: string }; response: null };
  'localApi:state': { request: undefined; response: LocalApiInfo };
  'localApi:setPort': { request: { port: number }; response: LocalApiInfo };
  'localApi:newToken': { request: undefined; response: LocalApiInfo };
  'deliveries:list': { request: { webhookId: number; result?: DeliveryResult; before?: number; limit?: number }; response: DeliveryAttempt[] };
  'deliveries:health': { request: undefined; response: WebhookDeliveryHealth[] };
  'deliveries:redeliver': { request: { deliveryId: string }; response: null };
  'deliveries:sendTest': { request: { webhookId: number; event: WebhookEventKey }; response: DeliveryAttempt };
  'deliveries:orphans': { request: undefined; response: OrphanInfo };
  'deliveries:restoreOrphans': { request: undefined; response: { restored: number; message: string } };
  'deliveries:discardOrphans': { request: undefined; response: { discarded: number } };
  'webhooks:resume': { request: { id: number }; response: null };
  'webhooks:setEnabled': { request: { id: number; enabled: boolean }; response: null };
  'webhooks:reveal': {
    request: { id: number };
    /**
     * A value that cannot be opened has no value but `unreadable`/`secretUnreadable`: why, in a sentence.
     * `url`: the whole URL, user name and password included, when it has them and they open (elsewhere they show as ***).
     */
    response: { secret?: string; secretUnreadable?: string; headers: { name: string; value?: string; unreadable?: string }[]; url?: string };
  };
  'webhooks:rotateSecret': { request: { id: number }; response: { secret: string } };
  'receiver:state': { request: undefined; response: ReceiverInfo };
  'receiver:requests': { request: undefined; response: ReceivedCallback[] };
  'receiver:start': { request: { port: number }; response: ReceiverInfo };
  'receiver:stop': { request: undefined; response: ReceiverInfo };
  'receiver:setReply': { request: { status: number; delayMs: number }; response: ReceiverInfo };
  'receiver:clear': { request: undefined; response: null };
  'settings:general': { request: undefined; response: GeneralInfo };
  'settings:updateGeneral': { request: GeneralSettings; response: GeneralInfo };
}

/** Main → renderer pushes, named `domain:event`. */
export interface PushContract {
  'app:notice': Notice;
  'webhooks:changed': WebhooksState;
  'profiles:changed': ProfilesState;
  'devices:changed': DevicesState;
  'devices:event': DeviceEventInfo;
  'localApi:changed': LocalApiInfo;
  'deliveries:attempt': DeliveryAttempt;
  'receiver:changed': ReceiverInfo;
  'receiver:request': ReceivedCallback;
  'settings:changed': GeneralInfo;
}

export type InvokeChannel = keyof InvokeContract;
export type PushChannel = keyof PushContract;
export type RequestOf<C extends InvokeChannel> = InvokeContract[C]['request'];
export type ResponseOf<C extends InvokeChannel> = InvokeContract[C]['response'];

/** Every invoke channel, at run time. `satisfies` plus the exhaustiveness type below keep it in step. */
export const invokeChannels = [
  'app:info',
  'app:notices',
  'app:dismissNotice',
  'app:openExternal',
  'webhooks:state',
  'webhooks:create',
  'webhooks:update',
  'webhooks:remove',
  'webhooks:export',
  'webhooks:import',
  'org:update',
  'profiles:state',
  'profiles:switch',
  'profiles:create',
  'profiles:rename',
  'profiles:setRole',
  'profiles:setPassphrase',
  'profiles:remove',
  'roles:create',
  'roles:update',
  'roles:remove',
  'devices:state',
  'devices:report',
  'devices:exportReport',
  'devices:events',
  'devices:markInUse',
  'devices:release',
  'devices:setVisibility',
  'devices:trackUsb',
  'devices:forget',
  'localApi:state',
  'localApi:setPort',
  'localApi:newToken',
  'deliveries:list',
  'deliveries:health',
  'deliveries:redeliver',
  'deliveries:sendTest',
  'deliveries:orphans',
  'deliveries:restoreOrphans',
  'deliveries:discardOrphans',
  'webhooks:resume',
  'webhooks:setEnabled',
  'webhooks:reveal',
  'webhooks:rotateSecret',
  'receiver:state',
  'receiver:requests',
  'receiver:start',
  'receiver:stop',
  'receiver:setReply',
  'receiver:clear',
  'settings:general',
  'settings:updateGeneral',
] as const satisfies readonly InvokeChannel[];

export const pushChannels = [
  'app:notice',
  'webhooks:changed',
  'profiles:changed',
  'devices:changed',
  'devices:event',
  'localApi:changed',
  'deliveries:attempt',
  'receiver:changed',
  'receiver:request',
  'settings:changed',
] as const satisfies readonly PushChannel[];

/**
 * What the active profile must hold for a channel: 'none' (any profile), or one of the role permissions.
 * Main's one IPC wrapper refuses a request before its handler runs, and a push reaches the window only
 * when the active profile holds the push channel's permission. `satisfies Record<…>` makes a channel
 * without a declared permission a type error; a unit test checks the same at run time.
 */
export type ChannelPermission = 'none' | 'org_setting.view' | 'org_setting.modify' | 'device.reserve' | 'device.visibility.modify';

export const invokePermissions = {
  'app:info': 'none',
  'app:notices': 'none',
  'app:dismissNotice': 'none',
  'app:openExternal': 'none',
  // The state itself is filtered (no webhooks without org_setting.view) and says what the profile may do.
  'webhooks:state': 'none',
  'webhooks:create': 'org_setting.modify',
  'webhooks:update': 'org_setting.modify',
  'webhooks:remove': 'org_setting.modify',
  'webhooks:export': 'org_setting.view',
  'webhooks:import': 'org_setting.modify',
  'org:update': 'org_setting.modify',
  'profiles:state': 'none',
  // Anyone may switch (a passphrase guards the profile); a profile may set its own passphrase (the store checks whose).
  'profiles:switch': 'none',
  'profiles:create': 'org_setting.modify',
  'profiles:rename': 'org_setting.modify',
  'profiles:setRole': 'org_setting.modify',
  'profiles:setPassphrase': 'none',
  'profiles:remove': 'org_setting.modify',
  'roles:create': 'org_setting.modify',
  'roles:update': 'org_setting.modify',
  'roles:remove': 'org_setting.modify',
  'devices:state': 'none',
  'devices:events': 'none',
  'devices:markInUse': 'device.reserve',
  'devices:release': 'device.reserve',
  'devices:setVisibility': 'device.visibility.modify',
  'devices:trackUsb': 'org_setting.modify',
  'devices:forget': 'org_setting.modify',
  // Everyone sees the devices, so everyone may read and save their utilization report.
  'devices:report': 'none',
  'devices:exportReport': 'none',
  // The token is blanked for profiles without org_setting.modify.
  'localApi:state': 'none',
  'localApi:setPort': 'org_setting.modify',
  'localApi:newToken': 'org_setting.modify',
  'deliveries:list': 'org_setting.view',
  'deliveries:health': 'org_setting.view',
  'deliveries:redeliver': 'org_setting.modify',
  'deliveries:sendTest': 'org_setting.modify',
  'deliveries:orphans': 'org_setting.view',
  'deliveries:restoreOrphans': 'org_setting.modify',
  'deliveries:discardOrphans': 'org_setting.modify',
  'webhooks:resume': 'org_setting.modify',
  'webhooks:setEnabled': 'org_setting.modify',
  'webhooks:reveal': 'org_setting.modify',
  'webhooks:rotateSecret': 'org_setting.modify',
  // The Test receiver shows captured requests word for word and can answer 410: modify only.
  'receiver:state': 'org_setting.modify',
  'receiver:requests': 'org_setting.modify',
  'receiver:start': 'org_setting.modify',
  'receiver:stop': 'org_setting.modify',
  'receiver:setReply': 'org_setting.modify',
  'receiver:clear': 'org_setting.modify',
  'settings:general': 'none',
  'settings:updateGeneral': 'org_setting.modify',
} as const satisfies Record<InvokeChannel, ChannelPermission>;

export const pushPermissions = {
  'app:notice': 'none',
  'webhooks:changed': 'none',
  'profiles:changed': 'none',
  'devices:changed': 'none',
  'devices:event': 'none',
  'localApi:changed': 'none',
  'deliveries:attempt': 'org_setting.view',
  'receiver:changed': 'org_setting.modify',
  'receiver:request': 'org_setting.modify',
  'settings:changed': 'none',
} as const satisfies Record<PushChannel, ChannelPermission>;

/** The one answer to a request the active profile's role does not allow. */
export const NOT_ALLOWED_MESSAGE = 'Your profile’s role does not allow this: ask an Admin.';

type Missing<All, Listed> = Exclude<All, Listed>;
// If a channel is added to a contract but not to its list, these lines stop compiling.
export const invokeListIsComplete: Missing<InvokeChannel, (typeof invokeChannels)[number]> extends never ? true : never = true;
export const pushListIsComplete: Missing<PushChannel, (typeof pushChannels)[number]> extends never ? true : never = true;

/** `webhooks:create` → `webhooksCreate`; the preload and the types agree on this one rule. */
type MethodName<C extends string> = C extends `${infer D}:${infer A}` ? `${D}${Capitalize<A>}` : never;
type ListenerName<C extends string> = C extends `${infer D}:${infer E}` ? `on${Capitalize<D>}${Capitalize<E>}` : never;

export function methodName(channel: string): string {
  const [domain = '', action = ''] = channel.split(':');
  return domain + action.charAt(0).toUpperCase() + action.slice(1);
}
export function listenerName(channel: string): string {
  const [domain = '', event = ''] = channel.split(':');
  return 'on' + domain.charAt(0).toUpperCase() + domain.slice(1) + event.charAt(0).toUpperCase() + event.slice(1);
}

/** window.api: one function per channel, nothing raw. */
export type Api = {
  [C in InvokeChannel as MethodName<C>]: RequestOf<C> extends undefined
    ? () => Promise<IpcResult<ResponseOf<C>>>
    : (request: RequestOf<C>) => Promise<IpcResult<ResponseOf<C>>>;
} & {
  [C in PushChannel as ListenerName<C>]: (listener: (payload: PushContract[C]) => void) => () => void;
};
