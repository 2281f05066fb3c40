// settings.json: how this workstation runs DeviceHooks (start at login, tray, notifications) and the
// delivery limits. Plain Node; the desktop app and the headless runner read the same file.
import { join } from 'node:path';
import { z } from 'zod';
import { openJsonStore, refuse, zodValidator } from './storage/jsonStore';
import type { JsonStore, Recovery } from './storage/jsonStore';
import type { Logger } from './log';
import { DEFAULT_APPIUM_URL, normalizeAppiumUrl } from './devices/appium';

export const SETTINGS_FILE = 'settings.json';
/**
 * 2: debounce times. 3: settle window, device retention. 4: history megabytes. 5: delivery.retryHorizonHours.
 * 6: Appium servers, battery thresholds and their notification switch.
 */
export const SETTINGS_SCHEMA_VERSION = 6;

export const generalSchema = z.strictObject({
  startAtLogin: z.boolean(),
  startHidden: z.boolean(),
  notifications: z.strictObject({
    deviceOffline: z.boolean(),
    deviceUnplugged: z.boolean(),
    webhookPaused: z.boolean(),
    deliveryFailed: z.boolean(),
    /** A battery low and not charging, or hot (battery.lowPercent / battery.hotC). */
    deviceBattery: z.boolean(),
  }),
  /** How long a new status must hold before it counts (a replug or hub reset sends nothing). */
  debounce: z.strictObject({
    onlineMs: z.number({ error: 'Enter milliseconds' }).int('Whole milliseconds').min(0, 'At least 0').max(60_000, 'At most 60000 ms'),
    offlineMs: z.number({ error: 'Enter milliseconds' }).int('Whole milliseconds').min(0, 'At least 0').max(60_000, 'At most 60000 ms'),
    unpluggedMs: z.number({ error: 'Enter milliseconds' }).int('Whole milliseconds').min(0, 'At least 0').max(60_000, 'At most 60000 ms'),
    /** After adb or usbmuxd (re)connects, Offline and Unplugged wait this long (it lists phones offline while it reconnects). */
    settleMs: z.number({ error: 'Enter milliseconds' }).int('Whole milliseconds').min(0, 'At least 0').max(60_000, 'At most 60000 ms'),
  }),
  /** Devices Unplugged for longer than this are forgotten (their row and state go; sequence numbers continue). */
  deviceRetentionDays: z.number({ error: 'Enter a number of days' }).int('Whole days').min(1, 'At least 1 day').max(3650, 'At most 3650 days'),
  battery: z.strictObject({
    lowPercent: z.number({ error: 'Enter a percentage' }).int('A whole percentage').min(1, 'At least 1 %').max(99, 'At most 99 %'),
    hotC: z.number({ error: 'Enter degrees Celsius' }).int('Whole degrees').min(30, 'At least 30 °C').max(80, 'At most 80 °C'),
  }),
  /** Appium servers whose sessions make their devices Utilizing (DEVICEHOOKS_APPIUM_URLS replaces the list at launch). */
  appiumUrls: z
    .array(
      z.string().transform((value, ctx) => {
        const checked = normalizeAppiumUrl(value);
        if (!checked.ok) {
          ctx.addIssue({ code: 'custom', message: checked.error });
          return z.NEVER;
        }
        return checked.url;
      }),
    )
    .max(20, 'At most 20 servers'),
  delivery: z.strictObject({
    timeoutSeconds: z.number({ error: 'Enter a number of seconds' }).int('Whole seconds').min(1, 'At least 1 second').max(120, 'At most 120 seconds'),
    pauseAfterFailures: z.number({ error: 'Enter a number' }).int('A whole number').min(1, 'At least 1').max(1000, 'At most 1000'),
    maxQueued: z.number({ error: 'Enter a number' }).int('A whole number').min(100, 'At least 100').max(1_000_000, 'At most 1,000,000'),
    historyEntries: z.number({ error: 'Enter a number' }).int('A whole number').min(100, 'At least 100').max(500_000, 'At most 500,000'),
    /** The history's files together stay under this many megabytes (MiB). */
    historyMegabytes: z.number({ error: 'Enter a number of megabytes' }).int('Whole megabytes').min(1, 'At least 1 MB').max(1_048_576, 'At most 1,048,576 MB'),
    /** How long a callback is retried, in hours the webhook could send (paused or waiting time does not count). */
    retryHorizonHours: z.number({ error: 'Enter a number of hours' }).int('Whole hours').min(1, 'At least 1 hour').max(720, 'At most 720 hours (30 days)'),
  }),
});
export type GeneralSettings = z.infer<typeof generalSchema>;

export interface SettingsFile extends GeneralSettings {
  schemaVersion: number;
  /** The "closing hides the window" sentence was shown once. */
  closeHintShown: boolean;
}

export const DEFAULT_SETTINGS: GeneralSettings = {
  startAtLogin: false,
  startHidden: false,
  notifications: { deviceOffline: false, deviceUnplugged: true, webhookPaused: true, deliveryFailed: true, deviceBattery: true },
  debounce: { onlineMs: 500, offlineMs: 2000, unpluggedMs: 3000, settleMs: 5000 },
  deviceRetentionDays: 30,
  battery: { lowPercent: 15, hotC: 45 },
  appiumUrls: [DEFAULT_APPIUM_URL],
  delivery: { timeoutSeconds: 10, pauseAfterFailures: 20, maxQueued: 100_000, historyEntries: 50_000, historyMegabytes: 256, retryHorizonHours: 72 },
};

const fileSchema = generalSchema.extend({ schemaVersion: z.number().int(), closeHintShown: z.boolean() });

export interface SettingsStore {
  store: JsonStore<SettingsFile>;
  recovered?: Recovery;
  general(): GeneralSettings;
  /** Validated with generalSchema; field errors keyed like `delivery.timeoutSeconds`. */
  update(change: unknown): Promise<{ ok: true; value: GeneralSettings } | { ok: false; fieldErrors: Record<string, string> }>;
}

/** Migration: adds the history's size bound (default 256 MB) to the delivery limits. */
function withHistoryMegabytes(old: unknown): unknown {
  const doc = old as { delivery?: Record<string, unknown> };
  return { ...doc, delivery: { ...doc.delivery, historyMegabytes: doc.delivery?.historyMegabytes ?? DEFAULT_SETTINGS.delivery.historyMegabytes } };
}

export async function openSettingsStore({ dataDir, logger }: { dataDir: string; logger: Logger }): Promise<SettingsStore> {
  const opened = await openJsonStore<SettingsFile>({
    file: join(dataDir, SETTINGS_FILE),
    label: 'settings',
    defaults: () => ({ schemaVersion: SETTINGS_SCHEMA_VERSION, closeHintShown: false, ...structuredClone(DEFAULT_SETTINGS) }),
    version: SETTINGS_SCHEMA_VERSION,
    migrations: {
      // v2: the status debounce times became settings.
      2: (old) => ({ ...(old as object), debounce: { onlineMs: 500, offlineMs: 2000, unpluggedMs: 3000 } }),
      // v3: the settle window after a device source (re)connects, and how long Unplugged devices are kept.
      3: (old) => {
        const o = old as { debounce?: object };
        return { ...o, debounce: { ...o.debounce, settleMs: DEFAULT_SETTINGS.debounce.settleMs }, deviceRetentionDays: DEFAULT_SETTINGS.deviceRetentionDays };
      },
      // v4: the history is bounded in bytes as well as in entries.
      4: withHistoryMegabytes,
      // v5: the retry horizon became a setting (before, callbacks failed after the 8th attempt, 4 h 47 min).
      5: (old) => {
        const doc = old as { delivery?: object };
        return { ...doc, delivery: { ...doc.delivery, retryHorizonHours: DEFAULT_SETTINGS.delivery.retryHorizonHours } };
      },
      // v6: the Appium servers watched for test sessions; the battery alert thresholds and their notification switch.
      6: (old) => {
        const o = old as { notifications?: object };
        return {
          ...o,
          appiumUrls: [...DEFAULT_SETTINGS.appiumUrls],
          battery: { ...DEFAULT_SETTINGS.battery },
          notifications: { ...o.notifications, deviceBattery: DEFAULT_SETTINGS.notifications.deviceBattery },
        };
      },
    },
    validate: zodValidator(fileSchema),
    logger,
  });
  const { store } = opened;
  const general = (): GeneralSettings => {
    const { schemaVersion: _v, closeHintShown: _c, ...rest } = structuredClone(store.data) as SettingsFile;
    return rest;
  };
  return {
    store,
    ...(opened.recovered ? { recovered: opened.recovered } : {}),
    general,
    async update(change) {
      const saved = await store.change((draft) => {
        const parsed = generalSchema.safeParse(change);
        if (!parsed.success) {
          const fieldErrors: Record<string, string> = {};
          for (const issue of parsed.error.issues) fieldErrors[issue.path.map(String).join('.') || '_'] ??= issue.message;
          return refuse({ ok: false as const, fieldErrors });
        }
        Object.assign(draft, parsed.data);
        return { ok: true as const };
      });
      return saved.ok ? { ok: true, value: general() } : saved;
    },
  };
}
