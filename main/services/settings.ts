// settings.json: how this workstation runs DeviceHooks (start at login, tray, notifications) and the
// delivery limits. Plain Node; the desktop app and the headless runner read the same file.
import { join } from 'node:path';
import { z } from 'zod';
import { defaultGeneralSettings, generalSettingsFileSchema, generalSettingsForm, generalSettingsSchema } from '../../preload/contract';
import type { GeneralSettings } from '../../preload/contract';
import { openJsonStore, refuse, zodValidator } from '../storage/jsonStore';
import { fieldErrorsFromZod } from '../base/schemas';
import type { JsonStore, Recovery } from '../storage/jsonStore';
import type { Logger } from '../base/log';

export type { GeneralSettings };

const SETTINGS_FILE = 'settings.json';
/**
 * 2: debounce times. 3: settle window, device retention. 4: history megabytes. 5: delivery.retryHorizonHours.
 * 6: Appium servers, battery thresholds and their notification switch.
 * Since 6 a new field needs no bump: the schema (preload/contract/settings.ts) gives every field a
 * default. Bump it, with a migration below, only when a field's meaning changes.
 */
export const SETTINGS_SCHEMA_VERSION = 6;

/** Every General setting at its default (the defaults live in the contract's schema). */
export const DEFAULT_SETTINGS: GeneralSettings = defaultGeneralSettings();

interface SettingsFile extends GeneralSettings {
  schemaVersion: number;
  /** The "closing hides the window" sentence was shown once. */
  closeHintShown: boolean;
}

const fileSchema = generalSettingsFileSchema({ schemaVersion: z.number().int(), closeHintShown: z.boolean().default(false) });

export interface SettingsStore {
  store: JsonStore<SettingsFile>;
  recovered?: Recovery;
  general(): GeneralSettings;
  /** Validated with the contract's strict form (every field, nothing unknown); field errors keyed like `delivery.timeoutSeconds`. */
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
  // Unknown fields in the file (a newer DeviceHooks wrote them) stay in the file but are not handed out.
  const general = (): GeneralSettings => generalSettingsSchema.parse(structuredClone(store.data));
  return {
    store,
    ...(opened.recovered ? { recovered: opened.recovered } : {}),
    general,
    async update(change) {
      const saved = await store.change((draft) => {
        const parsed = generalSettingsForm.safeParse(change);
        if (!parsed.success) return refuse({ ok: false as const, fieldErrors: fieldErrorsFromZod(parsed.error) });
        mergeInto(draft, parsed.data);
        return { ok: true as const };
      });
      return saved.ok ? { ok: true, value: general() } : saved;
    },
  };
}

/** Copies `source` into `target`, object by object, so fields `source` does not know of are kept. */
function mergeInto<T extends object>(target: T, source: object): T {
  const into = target as Record<string, unknown>;
  for (const [key, value] of Object.entries(source)) {
    const current = into[key];
    if (isPlainObject(value) && isPlainObject(current)) mergeInto(current, value);
    else into[key] = value;
  }
  return target;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
