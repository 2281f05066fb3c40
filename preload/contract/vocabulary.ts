// The words main, the preload and the renderer share, each once: a tuple at run time (zod enums, select
// options, loops) and the type derived from it.

/** A device's committed status. */
export const DEVICE_STATUSES = ['Online', 'Offline', 'Utilizing', 'Unplugged'] as const;
export type DeviceStatus = (typeof DEVICE_STATUSES)[number];

export const DEVICE_PLATFORMS = ['android', 'ios', 'other'] as const;
export type DevicePlatform = (typeof DEVICE_PLATFORMS)[number];

export const DEVICE_VISIBILITIES = ['Local', 'Private', 'Public'] as const;
export type DeviceVisibility = (typeof DEVICE_VISIBILITIES)[number];

/**
 * Where a device is seen: node-usb, the adb server, usbmuxd. The order is the tracker's: it merges the
 * sources' lists in this order and lists a device's sources in it (main/devices/identity.ts).
 */
export const DEVICE_SOURCES = ['usb', 'adb', 'usbmux'] as const;
export type DeviceSourceId = (typeof DEVICE_SOURCES)[number];
/** Each source in words, as the Devices view's source strip shows it. */
export const DEVICE_SOURCE_LABELS: Readonly<Record<DeviceSourceId, string>> = { usb: 'USB', adb: 'Android (adb)', usbmux: 'iOS (usbmuxd)' };

export const DEVICE_CONNECTIONS = ['usb', 'network'] as const;
export type DeviceConnection = (typeof DEVICE_CONNECTIONS)[number];

export const SOURCE_HEALTH_STATES = ['starting', 'ok', 'down'] as const;
export type SourceHealthState = (typeof SOURCE_HEALTH_STATES)[number];

/** `not-running` (never answered: neutral), `refused` (session discovery off), `down` (stopped answering). */
export const APPIUM_SERVER_STATES = ['not-running', 'ok', 'refused', 'down'] as const;
export type AppiumServerState = (typeof APPIUM_SERVER_STATES)[number];

/** The events a webhook subscribes to, one per status. */
export const WEBHOOK_EVENT_KEYS = ['online', 'offline', 'utilizing', 'unplugged'] as const;
export type WebhookEventKey = (typeof WEBHOOK_EVENT_KEYS)[number];
/** The status an event is about; its word is also the event's label. */
export const EVENT_STATUS: Readonly<Record<WebhookEventKey, DeviceStatus>> = { online: 'Online', offline: 'Offline', utilizing: 'Utilizing', unplugged: 'Unplugged' };
/** The event a move into a status is (EVENT_STATUS turned round). */
export const STATUS_EVENT = Object.fromEntries(WEBHOOK_EVENT_KEYS.map((key) => [EVENT_STATUS[key], key])) as Readonly<Record<DeviceStatus, WebhookEventKey>>;

/** `skipped`: nothing was sent (the webhook no longer subscribes to it, or was deleted); errorLabel says which. */
export const DELIVERY_OUTCOMES = ['succeeded', 'retrying', 'failed', 'dead', 'paused', 'test', 'skipped'] as const;
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];

export const DELIVERY_RESULTS = ['success', 'failure', 'skipped'] as const;
export type DeliveryResult = (typeof DELIVERY_RESULTS)[number];

export const DELIVERY_ERROR_CLASSES = ['dns', 'refused', 'tls', 'timeout', 'http', 'reset', 'other'] as const;
export type DeliveryErrorClass = (typeof DELIVERY_ERROR_CLASSES)[number];

export const NOTICE_LEVELS = ['info', 'warning', 'error'] as const;
export type NoticeLevel = (typeof NOTICE_LEVELS)[number];

/** What the active profile must hold for a channel or a tray action: 'none' (any profile), or a role permission. */
export const CHANNEL_PERMISSIONS = ['none', 'org_setting.view', 'org_setting.modify', 'device.reserve', 'device.visibility.modify'] as const;
/** What a role may hold (Settings › Profiles): every channel permission but 'none'. */
export const ROLE_PERMISSIONS = CHANNEL_PERMISSIONS.filter((p): p is Exclude<ChannelPermission, 'none'> => p !== 'none');
export type RolePermission = Exclude<ChannelPermission, 'none'>;
export type ChannelPermission = (typeof CHANNEL_PERMISSIONS)[number];

export const IPC_ERROR_CODES = ['validation', 'forbidden', 'not_found', 'conflict', 'storage', 'bad_sender', 'internal'] as const;
