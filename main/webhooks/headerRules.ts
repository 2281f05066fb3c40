// The rules for a webhook's extra HTTP headers: names (an RFC 7230 token, not one DeviceHooks sets),
// values (one line, nothing Node's HTTP client refuses), at most 20 rows, every bad row reported. Part of
// the webhook rules in schema.ts, which uses them in the form and import schemas.
import { reservedHeaderReason } from '../delivery/request';
import { WEBHOOK_LIMITS, codePointLength, isPlainObject } from './schema';
import type { Check, WebhookHeaderInput } from './schema';

// RFC 7230 `token`: the characters a header name may have.
const HEADER_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE_BREAKS = /[\r\n\0]/;
// Control characters other than tab (HTTP allows a tab inside a value), C1 controls included.
const HEADER_VALUE_CONTROLS = /(?!\t)\p{Cc}/u;
// Node's HTTP client refuses anything above U+00FF in a header value (ERR_INVALID_CHAR).
const HEADER_VALUE_NOT_LATIN1 = /[\u0100-\u{10FFFF}]/u;

/** One problem inside a field that has rows: `path` is relative to the field (`[2, 'name']`). */
export interface FieldIssue {
  path: (string | number)[];
  message: string;
}
export type MultiCheck<T> = { ok: true; value: T } | { ok: false; issues: FieldIssue[] };

export interface HeaderCheckOptions {
  /** The message for a row without a value (the import says why exports have none). */
  missingValue?: (name: string) => string;
  /** The edit form: a row may carry `keepValueOf` (a stored header's name) instead of a value. */
  allowKeep?: boolean;
}

const defaultMissingValue = (name: string) => `Enter a value for the header "${name}"`;

/**
 * Optional. At most 20 `{ name, value }` rows. Name: trimmed, an RFC 7230 token of at most 100
 * characters, not one DeviceHooks sets itself, unique ignoring case. Value: trimmed, at most 4096
 * characters, no CR, LF or NUL (no header injection), no other control characters, nothing Node's HTTP
 * client would refuse (above U+00FF); not empty. With `allowKeep`, a row without a value may instead
 * name the stored header whose value it keeps (`keepValueOf`): a kept value is not "empty". Every bad
 * row is reported.
 */
export function checkWebhookHeaders(raw: unknown, options: HeaderCheckOptions = {}): MultiCheck<WebhookHeaderInput[] | undefined> {
  if (raw === undefined || raw === null) return { ok: true, value: undefined };
  if (!Array.isArray(raw)) return { ok: false, issues: [{ path: [], message: 'Headers must be a list of names and values' }] };
  if (raw.length > WEBHOOK_LIMITS.headersMax) {
    return { ok: false, issues: [{ path: [], message: `A webhook can have at most ${WEBHOOK_LIMITS.headersMax} headers (this one has ${raw.length})` }] };
  }
  const missingValue = options.missingValue ?? defaultMissingValue;
  const issues: FieldIssue[] = [];
  const headers: WebhookHeaderInput[] = [];
  const seen = new Set<string>();
  for (const [i, row] of raw.entries()) {
    if (!isPlainObject(row)) {
      issues.push({ path: [i], message: `Header ${i + 1} needs a name and a value` });
      continue;
    }
    const name = checkHeaderName(row['name']);
    if (name.ok) {
      const key = name.value.toLowerCase();
      if (seen.has(key)) issues.push({ path: [i, 'name'], message: `The header "${name.value}" is already in the list (header names ignore case)` });
      seen.add(key);
    } else {
      issues.push({ path: [i, 'name'], message: name.message });
    }
    const keep = row['keepValueOf'];
    if (options.allowKeep === true && row['value'] === undefined && typeof keep === 'string' && keep !== '') {
      if (name.ok) headers.push({ name: name.value, keepValueOf: keep });
      continue;
    }
    const label = name.ok ? `the header "${name.value}"` : `header ${i + 1}`;
    const value = checkHeaderValue(row['value'], label, () => missingValue(name.ok ? name.value : `${i + 1}`));
    if (!value.ok) issues.push({ path: [i, 'value'], message: value.message });
    if (name.ok && value.ok) headers.push({ name: name.value, value: value.value });
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: headers };
}

function checkHeaderName(raw: unknown): Check<string> {
  if (raw === undefined || raw === null) return { ok: false, message: 'Enter a header name' };
  if (typeof raw !== 'string') return { ok: false, message: 'Header name must be text' };
  const name = raw.trim();
  if (name === '') return { ok: false, message: 'Enter a header name' };
  const length = codePointLength(name);
  if (length > WEBHOOK_LIMITS.headerNameMax) {
    return { ok: false, message: `Header name must be at most ${WEBHOOK_LIMITS.headerNameMax} characters (this one has ${length})` };
  }
  if (!HEADER_TOKEN.test(name)) {
    return { ok: false, message: "Header name can only contain letters, digits and ! # $ % & ' * + - . ^ _ ` | ~ (no spaces or colons)" };
  }
  const reserved = reservedHeaderReason(name);
  if (reserved) return { ok: false, message: `The header "${name}" cannot be set here: ${reserved}` };
  return { ok: true, value: name };
}

function checkHeaderValue(raw: unknown, label: string, missing: () => string): Check<string> {
  if (raw === undefined || raw === null) return { ok: false, message: missing() };
  const What = label.charAt(0).toUpperCase() + label.slice(1);
  if (typeof raw !== 'string') return { ok: false, message: `The value of ${label} must be text` };
  const value = raw.trim();
  if (value === '') return { ok: false, message: missing() };
  const length = codePointLength(value);
  if (length > WEBHOOK_LIMITS.headerValueMax) {
    return { ok: false, message: `The value of ${label} must be at most ${WEBHOOK_LIMITS.headerValueMax} characters (this one has ${length})` };
  }
  if (HEADER_VALUE_BREAKS.test(value)) return { ok: false, message: `The value of ${label} cannot contain line breaks or NUL characters` };
  if (HEADER_VALUE_CONTROLS.test(value)) return { ok: false, message: `The value of ${label} cannot contain control characters` };
  const wide = HEADER_VALUE_NOT_LATIN1.exec(value);
  if (wide) return { ok: false, message: `${What} cannot be sent: "${wide[0]}" is not allowed in an HTTP header value (use plain ASCII text)` };
  return { ok: true, value };
}

/** Optional on/off: true = sign requests (Standard Webhooks), false = unsigned. Absent or null: not given. */
