// The webhook rules, in one place: main's IPC handlers, the store and the import all use these, and
// the renderer shows the field errors they produce. Every message is what a person reads next to the
// field: one plain sentence, no trailing period (like the form's own hints).
//
// Lengths are counted in Unicode code points (`[...s].length`): an emoji such as 😀 is 1, not 2 as in
// UTF-16 `.length`. A ZWJ sequence such as 👨‍👩‍👧 (man, ZWJ, woman, ZWJ, girl) is 5 code points even
// though it shows as one picture: the product rule says code points, and code points are what every
// other system (databases, the receiver) can count the same way; grapheme clusters change with the
// Unicode version of whoever counts.
import { z } from 'zod';

export const WEBHOOK_EVENT_KEYS = ['online', 'offline', 'utilizing', 'unplugged'] as const;
export type WebhookEventKey = (typeof WEBHOOK_EVENT_KEYS)[number];
export type WebhookEvents = Record<WebhookEventKey, boolean>;

export const WEBHOOK_LIMITS = {
  nameMax: 50,
  urlMax: 512,
  descriptionMax: 512,
} as const;

/** What a person submits for a webhook, after validation (trimmed, NFC-normalized name). */
export interface WebhookInput {
  name: string;
  url: string;
  description?: string;
  events: WebhookEvents;
}

/** Field name → one plain sentence. `_` is for a problem with the request as a whole. */
export type FieldErrors = Record<string, string>;

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

export function hasLineBreaksOrControls(s: string): boolean {
  return LINE_BREAKS_OR_CONTROLS.test(s);
}

type Check<T> = { ok: true; value: T } | { ok: false; message: string };

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
export function checkWebhookEvents(raw: unknown): Check<WebhookEvents> {
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

/** Wraps a field check as a zod schema whose issue sits on that field (path = the field name). */
function field<T>(check: (raw: unknown) => Check<T>) {
  return z.unknown().transform((raw, ctx): T => {
    const result = check(raw);
    if (result.ok) return result.value;
    ctx.addIssue({ code: 'custom', message: result.message, input: raw });
    return z.NEVER;
  });
}

/**
 * The zod schema of a webhook form. Every issue it raises has a one-segment path (`name`, `url`,
 * `description`, `events`) or the empty path for a non-object, so `{ [path]: message }` is the field map.
 * Unknown keys are dropped.
 */
export const webhookInputSchema = z
  .object(
    {
      name: field(checkWebhookName),
      url: field(checkWebhookUrl),
      // optional(): zod 4 refuses an undefined output for an absent key unless the key is declared optional.
      description: field(checkWebhookDescription).optional(),
      events: field(checkWebhookEvents),
    },
    { error: 'Send the webhook as an object with a name, a URL and events' },
  )
  .transform((v): WebhookInput => {
    const out: WebhookInput = { name: v.name, url: v.url, events: v.events };
    if (v.description !== undefined) out.description = v.description;
    return out;
  });

/** zod issues → the first message for each field; the empty path becomes `_`. */
export function fieldErrorsFromZod(error: z.ZodError): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of error.issues) {
    const key = issue.path.length > 0 ? issue.path.map(String).join('.') : '_';
    errors[key] ??= issue.message;
  }
  return errors;
}

export function validateWebhookInput(raw: unknown): ValidationOutcome<WebhookInput> {
  const parsed = webhookInputSchema.safeParse(raw);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, fieldErrors: fieldErrorsFromZod(parsed.error) };
}

/** The uniqueness rule's message (checked by the store against the org's other webhooks, exact match). */
export function duplicateNameMessage(name: string): string {
  return `Another webhook in this organization is already named "${name}"`;
}
