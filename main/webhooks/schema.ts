// The webhook rules, in one place: main's IPC handlers, the store and the import all use these, and
// the renderer shows the field errors they produce (the header rows' rules are in headerRules.ts). Every
// message is what a person reads next to the field: one plain sentence, no trailing period (like the
// form's own hints).
//
// Lengths are counted in Unicode code points (`[...s].length`): an emoji such as 😀 is 1, not 2 as in
// UTF-16 `.length`. A ZWJ sequence such as 👨‍👩‍👧 (man, ZWJ, woman, ZWJ, girl) is 5 code points even
// though it shows as one picture: the product rule says code points, and code points are what every
// other system (databases, the receiver) can count the same way; grapheme clusters change with the
// Unicode version of whoever counts.
import { z } from 'zod';
import { reservedHeaderReason } from '../delivery/request';
import { DEVICE_PLATFORMS, WEBHOOK_EVENT_KEYS } from '../../preload/contract/vocabulary';
import type { DevicePlatform, WebhookEventKey } from '../../preload/contract/vocabulary';
import type { WebhookEvents } from '../../preload/contract';
import { fieldErrorsFromZod } from '../base/schemas';
import type { FieldErrors } from '../base/schemas';
import { checkWebhookHeaders } from './headerRules';
import type { HeaderCheckOptions, MultiCheck } from './headerRules';

// The words come from the contract's vocabulary (the renderer shows the same ones).
export { WEBHOOK_EVENT_KEYS };
export type { WebhookEventKey };
export type { WebhookEvents };

export const WEBHOOK_PLATFORMS = DEVICE_PLATFORMS;
export type WebhookPlatform = DevicePlatform;

export const WEBHOOK_LIMITS = {
  nameMax: 50,
  urlMax: 512,
  descriptionMax: 512,
  /** One device ID (UDID or adb serial), in code points. */
  udidMax: 256,
  /** Distinct device IDs in one webhook's scope. */
  udidsMax: 500,
  headersMax: 20,
  headerNameMax: 100,
  headerValueMax: 4096,
  /** A disabled or paused webhook's reason. */
  reasonMax: 512,
} as const;

/** Which devices a webhook hears about. Empty lists mean every device; both filled means both must match. */
export interface WebhookScope {
  udids: string[];
  platforms: WebhookPlatform[];
}

export interface WebhookHeader {
  name: string;
  value: string;
}

/**
 * An edit form's header row whose value was not shown (the OS keyring could not open it): keep the value
 * stored under the header named `keepValueOf`, under the row's (possibly new) name.
 */
export interface KeptHeader {
  name: string;
  keepValueOf: string;
}

export type WebhookHeaderInput = WebhookHeader | KeptHeader;

export function isKeptHeader(h: WebhookHeaderInput): h is KeptHeader {
  return 'keepValueOf' in h;
}

/**
 * What a person submits for a webhook, after validation (trimmed, NFC-normalized name).
 * `scope`, `headers` and `signing` are optional: absent on create means none (every device, no extra
 * headers, unsigned); absent on update means "keep as is". `signing: true` makes the store generate a
 * secret when the webhook has none; `false` drops the secret.
 */
export interface WebhookInput {
  name: string;
  url: string;
  description?: string;
  events: WebhookEvents;
  scope?: WebhookScope;
  /** Kept rows only from the edit form (webhookInputSchema); an import's rows always carry a value. */
  headers?: WebhookHeaderInput[];
  signing?: boolean;
}

/** An entry of an import file: the form, plus whether the webhook is enabled (absent = enabled). */
export interface WebhookImportEntry extends WebhookInput {
  enabled?: boolean;
}

/**
 * Field name → one plain sentence. `_` is for a problem with the request as a whole. Most keys are the
 * form field (`name`, `url`, `description`, `events`, `scope`, `signing`). Headers are keyed by row so
 * the form can show the message next to the right box: `headers` for the list as a whole (not a list,
 * more than 20), `headers.N` for a row that is not a name/value pair, `headers.N.name` and
 * `headers.N.value` (N counted from 0) for one row's name or value.
 */
export type { FieldErrors };

export type ValidationOutcome<T> = { ok: true; value: T } | { ok: false; fieldErrors: FieldErrors };

export function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

// C0/C1 controls, DEL, and the Unicode line/paragraph separators: never part of a one-line name.
const LINE_BREAKS_OR_CONTROLS = /[\p{Cc}\u2028\u2029]/u;
// In a description, tabs and line breaks are fine; other controls are not.
const CONTROLS_EXCEPT_WHITESPACE = /(?![\t\n\r])\p{Cc}/u;

function hasLineBreaksOrControls(s: string): boolean {
  return LINE_BREAKS_OR_CONTROLS.test(s);
}

export type Check<T> = { ok: true; value: T } | { ok: false; message: string };

/**
 * A one-line name (webhook, profile, role): trimmed, NFC-normalized (so "é" typed two ways is one
 * name), required, at most `max` code points, no line breaks or control characters.
 */
export function checkName(raw: unknown, max: number, what = 'Name'): Check<string> {
  if (raw === undefined || raw === null) return { ok: false, message: `Enter a ${what.toLowerCase()}` };
  if (typeof raw !== 'string') return { ok: false, message: `${what} must be text` };
  const value = raw.trim().normalize('NFC');
  if (value === '') return { ok: false, message: `Enter a ${what.toLowerCase()}` };
  const length = codePointLength(value);
  if (length > max) return { ok: false, message: `${what} must be at most ${max} characters (this one has ${length})` };
  if (hasLineBreaksOrControls(value)) return { ok: false, message: `${what} cannot contain line breaks or control characters` };
  return { ok: true, value };
}

export function checkWebhookName(raw: unknown): Check<string> {
  return checkName(raw, WEBHOOK_LIMITS.nameMax, 'Name');
}

const EXAMPLE = 'e.g. https://example.com/hook';

/**
 * Absolute http(s) URL with a host, parsed by the WHATWG URL parser (the one Node and axios use).
 * Returns the trimmed text as typed: that is what the person sees in the list, and it parses to the
 * same address the dispatcher will call.
 */
export function checkWebhookUrl(raw: unknown): Check<string> {
  if (raw === undefined || raw === null) return { ok: false, message: 'Enter a URL' };
  if (typeof raw !== 'string') return { ok: false, message: 'URL must be text' };
  const value = raw.trim();
  if (value === '') return { ok: false, message: 'Enter a URL' };
  const length = codePointLength(value);
  if (length > WEBHOOK_LIMITS.urlMax) return { ok: false, message: `URL must be at most ${WEBHOOK_LIMITS.urlMax} characters (this one has ${length})` };
  // The WHATWG parser silently drops tabs and line breaks inside a URL; refuse them instead of guessing.
  if (/[\s\p{Cc}]/u.test(value)) return { ok: false, message: 'URL cannot contain spaces or line breaks: write a space as %20' };

  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value);
  if (!scheme) {
    return URL.canParse(value, 'https://example.invalid/')
      ? { ok: false, message: `URL must be absolute, ${EXAMPLE}` }
      : { ok: false, message: `Enter a valid URL, ${EXAMPLE}` };
  }
  const protocol = (scheme[1] ?? '').toLowerCase();
  // `http:example.com` parses (the parser repairs it) but is not what the message promises: ask for the slashes.
  if ((protocol !== 'http' && protocol !== 'https') || !/^https?:\/\//i.test(value)) {
    return { ok: false, message: 'URL must start with http:// or https://' };
  }

  const afterSlashes = value.slice(scheme[0].length + 2);
  const authority = afterSlashes.split(/[/?#]/, 1)[0] ?? '';
  const hostAndPort = authority.slice(authority.lastIndexOf('@') + 1);
  const [, host = '', port] = /^(\[[^\]]*\]|\[.*|[^:]*)(?::(.*))?$/.exec(hostAndPort) ?? [];
  if (host === '') return { ok: false, message: `URL must include a host, ${EXAMPLE}` };

  let url: URL;
  try {
    url = new URL(value);
  } catch {
    if (port !== undefined && (!/^\d{0,5}$/.test(port) || Number(port) > 65535)) {
      return { ok: false, message: 'URL has an invalid port: use a number from 1 to 65535' };
    }
    return { ok: false, message: `URL has an invalid host name (${host})` };
  }
  // (An http(s) URL that parses always has a host: the WHATWG parser refuses an empty one.)
  if (url.port === '0') return { ok: false, message: 'URL has an invalid port: use a number from 1 to 65535' };
  return { ok: true, value };
}

export function checkWebhookDescription(raw: unknown): Check<string | undefined> {
  if (raw === undefined || raw === null) return { ok: true, value: undefined };
  if (typeof raw !== 'string') return { ok: false, message: 'Description must be text' };
  const value = raw.trim();
  if (value === '') return { ok: true, value: undefined };
  const length = codePointLength(value);
  if (length > WEBHOOK_LIMITS.descriptionMax) {
    return { ok: false, message: `Description must be at most ${WEBHOOK_LIMITS.descriptionMax} characters (this one has ${length})` };
  }
  if (CONTROLS_EXCEPT_WHITESPACE.test(value)) return { ok: false, message: 'Description cannot contain control characters' };
  return { ok: true, value };
}

/** A missing switch counts as off; anything but true/false is refused. */
function checkWebhookEvents(raw: unknown): Check<WebhookEvents> {
  if (raw === undefined || raw === null) return { ok: false, message: 'Choose at least one event' };
  if (typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, message: 'Events must be a set of on/off switches' };
  const source = raw as Record<string, unknown>;
  const events = {} as WebhookEvents;
  for (const key of WEBHOOK_EVENT_KEYS) {
    const v = source[key];
    if (v === undefined) events[key] = false;
    else if (typeof v === 'boolean') events[key] = v;
    else return { ok: false, message: `The ${key} event must be on or off` };
  }
  if (!WEBHOOK_EVENT_KEYS.some((key) => events[key])) return { ok: false, message: 'Choose at least one event' };
  return { ok: true, value: events };
}

export const isPlainObject = (raw: unknown): raw is Record<string, unknown> => typeof raw === 'object' && raw !== null && !Array.isArray(raw);

/**
 * Optional. `{ udids?, platforms? }`: device IDs trimmed, each non-empty, at most 256 characters and on
 * one line, duplicates removed, at most 500 distinct; platforms among android, ios and other (in that
 * order, duplicates removed). Absent or null: no scope given (undefined).
 */
function checkWebhookScope(raw: unknown): Check<WebhookScope | undefined> {
  if (raw === undefined || raw === null) return { ok: true, value: undefined };
  if (!isPlainObject(raw)) return { ok: false, message: 'Scope must be a list of device IDs and a list of platforms' };
  const { udids: rawUdids, platforms: rawPlatforms } = raw;

  const udids: string[] = [];
  if (rawUdids !== undefined && rawUdids !== null) {
    if (!Array.isArray(rawUdids)) return { ok: false, message: 'The device IDs in the scope must be a list' };
    const seen = new Set<string>();
    for (const [i, item] of rawUdids.entries()) {
      const n = i + 1;
      if (typeof item !== 'string') return { ok: false, message: `Device ID ${n} in the scope must be text` };
      const udid = item.trim();
      if (udid === '') return { ok: false, message: `Device ID ${n} in the scope is empty` };
      const length = codePointLength(udid);
      if (length > WEBHOOK_LIMITS.udidMax) {
        return { ok: false, message: `Device ID ${n} in the scope must be at most ${WEBHOOK_LIMITS.udidMax} characters (this one has ${length})` };
      }
      if (hasLineBreaksOrControls(udid)) return { ok: false, message: `Device ID ${n} in the scope cannot contain line breaks or control characters` };
      if (!seen.has(udid)) {
        seen.add(udid);
        udids.push(udid);
      }
    }
    if (udids.length > WEBHOOK_LIMITS.udidsMax) {
      return { ok: false, message: `A scope can list at most ${WEBHOOK_LIMITS.udidsMax} device IDs (this one has ${udids.length})` };
    }
  }

  const chosen = new Set<WebhookPlatform>();
  if (rawPlatforms !== undefined && rawPlatforms !== null) {
    if (!Array.isArray(rawPlatforms)) return { ok: false, message: 'The platforms in the scope must be a list' };
    for (const item of rawPlatforms) {
      if (typeof item !== 'string' || !(WEBHOOK_PLATFORMS as readonly string[]).includes(item)) {
        const shown = typeof item === 'string' ? `"${item}"` : String(item);
        return { ok: false, message: `Unknown platform ${shown}: choose android, ios or other` };
      }
      chosen.add(item as WebhookPlatform);
    }
  }
  return { ok: true, value: { udids, platforms: WEBHOOK_PLATFORMS.filter((p) => chosen.has(p)) } };
}

// One rule for the names a webhook may not set, shared with what the dispatcher sends.
export { reservedHeaderReason };
export type { FieldIssue, HeaderCheckOptions } from './headerRules';

function checkWebhookSigning(raw: unknown): Check<boolean | undefined> {
  if (raw === undefined || raw === null) return { ok: true, value: undefined };
  if (typeof raw !== 'boolean') return { ok: false, message: 'Signing must be on or off' };
  return { ok: true, value: raw };
}

/** Import only: absent or null = enabled. */
function checkWebhookEnabled(raw: unknown): Check<boolean> {
  if (raw === undefined || raw === null) return { ok: true, value: true };
  if (typeof raw !== 'boolean') return { ok: false, message: 'Enabled must be on or off' };
  return { ok: true, value: raw };
}

/**
 * Why a webhook is disabled or paused: optional, trimmed, one line, at most 512 characters. Blank or
 * absent = no reason.
 */
export function checkReason(raw: unknown): Check<string | undefined> {
  if (raw === undefined || raw === null) return { ok: true, value: undefined };
  if (typeof raw !== 'string') return { ok: false, message: 'Reason must be text' };
  const value = raw.trim();
  if (value === '') return { ok: true, value: undefined };
  const length = codePointLength(value);
  if (length > WEBHOOK_LIMITS.reasonMax) return { ok: false, message: `Reason must be at most ${WEBHOOK_LIMITS.reasonMax} characters (this one has ${length})` };
  if (hasLineBreaksOrControls(value)) return { ok: false, message: 'Reason cannot contain line breaks or control characters' };
  return { ok: true, value };
}

/** Wraps a field check as a zod schema whose issue sits on that field (path = the field name). */
function field<T>(check: (raw: unknown) => Check<T>) {
  return z.unknown().transform((raw, ctx): T => {
    const result = check(raw);
    if (result.ok) return result.value;
    ctx.addIssue({ code: 'custom', message: result.message, input: raw });
    return z.NEVER;
  });
}

/** Like field(), for a check that reports several issues below the field (`headers.2.name`). */
function fieldWithIssues<T>(check: (raw: unknown) => MultiCheck<T>) {
  return z.unknown().transform((raw, ctx): T => {
    const result = check(raw);
    if (result.ok) return result.value;
    for (const issue of result.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path, input: raw });
    return z.NEVER;
  });
}

const NOT_AN_OBJECT = 'Send the webhook as an object with a name, a URL and events';

function formShape(headerOptions: HeaderCheckOptions = {}) {
  return {
    name: field(checkWebhookName),
    url: field(checkWebhookUrl),
    // optional(): zod 4 refuses an undefined output for an absent key unless the key is declared optional.
    description: field(checkWebhookDescription).optional(),
    events: field(checkWebhookEvents),
    scope: field(checkWebhookScope).optional(),
    headers: fieldWithIssues((raw) => checkWebhookHeaders(raw, headerOptions)).optional(),
    signing: field(checkWebhookSigning).optional(),
  };
}

function toInput(v: {
  name: string;
  url: string;
  description?: string | undefined;
  events: WebhookEvents;
  scope?: WebhookScope | undefined;
  headers?: WebhookHeaderInput[] | undefined;
  signing?: boolean | undefined;
}): WebhookInput {
  const out: WebhookInput = { name: v.name, url: v.url, events: v.events };
  if (v.description !== undefined) out.description = v.description;
  if (v.scope !== undefined) out.scope = v.scope;
  if (v.headers !== undefined) out.headers = v.headers;
  if (v.signing !== undefined) out.signing = v.signing;
  return out;
}

/**
 * The zod schema of a webhook form. Every issue it raises has the field's name as its path (`name`,
 * `url`, `description`, `events`, `scope`, `signing`; `headers` or `headers.N.name|value`: see
 * FieldErrors), or the empty path for a non-object, so `{ [path]: message }` is the field map.
 * Unknown keys are dropped.
 */
export const webhookInputSchema = z.object(formShape({ allowKeep: true }), { error: NOT_AN_OBJECT }).transform(toInput);

/** Exports leave header values out; an import names the header and says what to do. */
function importMissingHeaderValueMessage(name: string): string {
  return `Header "${name}" has no value: exports leave header values out. Write the value into the file, or remove the header and add it after the import`;
}

/** An import file's entry: the same rules as the form, plus `enabled`; a header without a value says why. */
const webhookImportEntrySchema = z
  .object({ ...formShape({ missingValue: importMissingHeaderValueMessage }), enabled: field(checkWebhookEnabled).optional() }, { error: NOT_AN_OBJECT })
  .transform((v): WebhookImportEntry => {
    const out: WebhookImportEntry = toInput(v);
    if (v.enabled !== undefined) out.enabled = v.enabled;
    return out;
  });

export function validateWebhookInput(raw: unknown): ValidationOutcome<WebhookInput> {
  const parsed = webhookInputSchema.safeParse(raw);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, fieldErrors: fieldErrorsFromZod(parsed.error) };
}

export function validateWebhookImportEntry(raw: unknown): ValidationOutcome<WebhookImportEntry> {
  const parsed = webhookImportEntrySchema.safeParse(raw);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, fieldErrors: fieldErrorsFromZod(parsed.error) };
}

/** The uniqueness rule's message (checked by the store against the org's other webhooks, exact match). */
export function duplicateNameMessage(name: string): string {
  return `Another webhook in this organization is already named "${name}"`;
}
