// Settings › General: the one schema, with a default for every field. It crosses the IPC boundary (the
// renderer edits it) and describes settings.json (main stores it), so it lives in the contract.
//
// Additive by default: a settings.json without a field opens with that field's default, so adding a
// setting is this schema, its GeneralTab field and its line in the docs; no version bump. A version bump
// and a migration (main/services/settings.ts) stay for a field whose meaning changes.
// From the renderer the form is strict (every field, nothing unknown: `generalSettingsForm`); in the
// file an unknown field is kept as it is and ignored (`generalSettingsFile`), so a settings.json written
// by a newer DeviceHooks keeps its extra fields and loses none of the others.
import { z } from 'zod';

export const DEFAULT_APPIUM_URL = 'http://127.0.0.1:4723';

/** Checks one configured URL: http(s), a host, no query; returns it without a trailing slash, or an error sentence. */
export function normalizeAppiumUrl(input: string): { ok: true; url: string } | { ok: false; error: string } {
  let parsed: URL;
  try {
    parsed = new URL(input.trim());
  } catch {
    return { ok: false, error: 'Enter a URL such as http://127.0.0.1:4723' };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return { ok: false, error: 'Use an http:// or https:// URL' };
  if (parsed.search !== '' || parsed.hash !== '' || parsed.username !== '' || parsed.password !== '') return { ok: false, error: 'Leave out the query, fragment and credentials' };
  return { ok: true, url: `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}` };
}

const ms = () => z.number({ error: 'Enter milliseconds' }).int('Whole milliseconds').min(0, 'At least 0').max(60_000, 'At most 60000 ms');

/** The General settings with their defaults (unknown fields are dropped when parsing with this one). */
export const generalSettingsSchema = z.object({
  startAtLogin: z.boolean().default(false),
  startHidden: z.boolean().default(false),
  notifications: z
    .object({
      deviceOffline: z.boolean().default(false),
      deviceUnplugged: z.boolean().default(true),
      webhookPaused: z.boolean().default(true),
      deliveryFailed: z.boolean().default(true),
      /** A battery low and not charging, or hot (battery.lowPercent / battery.hotC). */
      deviceBattery: z.boolean().default(true),
    })
    .prefault({}),
  /** How long a new status must hold before it counts (a replug or hub reset sends nothing). */
  debounce: z
    .object({
      onlineMs: ms().default(500),
      offlineMs: ms().default(2000),
      unpluggedMs: ms().default(3000),
      /** After adb or usbmuxd (re)connects, Offline and Unplugged wait this long (it lists phones offline while it reconnects). */
      settleMs: ms().default(5000),
    })
    .prefault({}),
  /** Devices Unplugged for longer than this are forgotten (their row and state go; sequence numbers continue). */
  deviceRetentionDays: z.number({ error: 'Enter a number of days' }).int('Whole days').min(1, 'At least 1 day').max(3650, 'At most 3650 days').default(30),
  /** Battery alerts: low (at or below, not charging) and hot (at or above). */
  battery: z
    .object({
      lowPercent: z.number({ error: 'Enter a percentage' }).int('A whole percentage').min(1, 'At least 1 %').max(99, 'At most 99 %').default(15),
      hotC: z.number({ error: 'Enter degrees Celsius' }).int('Whole degrees').min(30, 'At least 30 °C').max(80, 'At most 80 °C').default(45),
    })
    .prefault({}),
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
    .max(20, 'At most 20 servers')
    .default(() => [DEFAULT_APPIUM_URL]),
  delivery: z
    .object({
      timeoutSeconds: z.number({ error: 'Enter a number of seconds' }).int('Whole seconds').min(1, 'At least 1 second').max(120, 'At most 120 seconds').default(10),
      pauseAfterFailures: z.number({ error: 'Enter a number' }).int('A whole number').min(1, 'At least 1').max(1000, 'At most 1000').default(20),
      maxQueued: z.number({ error: 'Enter a number' }).int('A whole number').min(100, 'At least 100').max(1_000_000, 'At most 1,000,000').default(100_000),
      historyEntries: z.number({ error: 'Enter a number' }).int('A whole number').min(100, 'At least 100').max(500_000, 'At most 500,000').default(50_000),
      /** The history's files together stay under this many megabytes (MiB). */
      historyMegabytes: z.number({ error: 'Enter a number of megabytes' }).int('Whole megabytes').min(1, 'At least 1 MB').max(1_048_576, 'At most 1,048,576 MB').default(256),
      /** How long a callback is retried, in hours the webhook could send (paused or waiting time does not count). */
      retryHorizonHours: z.number({ error: 'Enter a number of hours' }).int('Whole hours').min(1, 'At least 1 hour').max(720, 'At most 720 hours (30 days)').default(72),
    })
    .prefault({}),
});
export type GeneralSettings = z.output<typeof generalSettingsSchema>;

/** Every field at its default. */
export function defaultGeneralSettings(): GeneralSettings {
  return generalSettingsSchema.parse({});
}

/** The same schema, every object strict or loose, with or without the defaults (checked at run time by a test). */
function reshape(schema: z.ZodType, mode: 'form' | 'file'): z.ZodType {
  if (schema instanceof z.ZodDefault || schema instanceof z.ZodPrefault) {
    const inner = reshape(schema.unwrap() as z.ZodType, mode);
    if (mode === 'form') return inner;
    return schema instanceof z.ZodDefault ? inner.default(schema.def.defaultValue as never) : inner.prefault(schema.def.defaultValue as never);
  }
  if (schema instanceof z.ZodObject) {
    const shape = Object.fromEntries(Object.entries(schema.shape as Record<string, z.ZodType>).map(([key, field]) => [key, reshape(field, mode)]));
    return mode === 'form' ? z.strictObject(shape) : z.looseObject(shape);
  }
  return schema;
}

/** What the renderer sends: every field, nothing unknown (an unknown field is a field error naming it). */
export const generalSettingsForm = reshape(generalSettingsSchema, 'form') as z.ZodType<GeneralSettings>;
/**
 * What settings.json holds: the General settings and the file's own fields (`extra`). A missing field
 * gets its default; an unknown one, at any depth, is kept as it is (and not used).
 */
export function generalSettingsFileSchema<S extends z.ZodRawShape>(extra: S): z.ZodType<GeneralSettings & z.output<z.ZodObject<S>>> {
  return reshape(generalSettingsSchema.extend(extra), 'file') as z.ZodType<GeneralSettings & z.output<z.ZodObject<S>>>;
}

export const generalInfoSchema = z.object({
  settings: generalSettingsSchema,
  canManage: z.boolean(),
  /** Debounce times and delivery limits are read at launch: true when the saved ones differ from those in use. */
  restartNeeded: z.boolean(),
});
export type GeneralInfo = z.infer<typeof generalInfoSchema>;
