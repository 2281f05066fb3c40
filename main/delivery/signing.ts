// Standard Webhooks signatures (https://www.standardwebhooks.com/): HMAC-SHA256 over
// `${id}.${timestamp}.${body}` keyed with the base64-decoded secret, sent as `v1,<base64>`.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { cryptoRandom } from './types';
import type { RandomSource } from './types';

const SECRET_PREFIX = 'whsec_';
export const DEFAULT_TOLERANCE_SEC = 5 * 60;

/** `whsec_` + base64 of 32 random bytes. */
export function generateSecret(random: RandomSource = cryptoRandom): string {
  return SECRET_PREFIX + Buffer.from(random.bytes(32)).toString('base64');
}

/** The HMAC key: the bytes after `whsec_`, base64-decoded. Throws on anything that is not a usable secret. */
export function decodeSecret(secret: string): Buffer {
  const b64 = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) throw new TypeError('webhook secret is not valid base64');
  const key = Buffer.from(b64, 'base64');
  if (key.length === 0) throw new TypeError('webhook secret is empty');
  return key;
}

interface SignInput {
  id: string;
  /** unix seconds */
  timestamp: number;
  body: string;
  secret: string;
}

function digest(key: Buffer, id: string, timestamp: number | string, body: string): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestamp}.${body}`, 'utf8').digest();
}

/** `v1,<base64 HMAC-SHA256>` */
export function sign({ id, timestamp, body, secret }: SignInput): string {
  if (!Number.isSafeInteger(timestamp)) throw new TypeError('timestamp must be whole unix seconds');
  return `v1,${digest(decodeSecret(secret), id, timestamp, body).toString('base64')}`;
}

/** The three Standard Webhooks headers for one attempt. */
export function signatureHeaders(input: SignInput): Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string> {
  return { 'webhook-id': input.id, 'webhook-timestamp': String(input.timestamp), 'webhook-signature': sign(input) };
}

export type VerifyResult =
  | { ok: true; id: string; timestamp: number; /** which of the given secrets matched */ secretIndex: number }
  | { ok: false; reason: 'missing-headers' | 'bad-timestamp' | 'too-old' | 'too-new' | 'no-secret' | 'no-match' };

type HeaderBag = Record<string, string | string[] | undefined> | Headers;

function header(headers: HeaderBag, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const bag = headers as Record<string, string | string[] | undefined>;
  for (const [key, value] of Object.entries(bag)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value.join(' ') : value;
  }
  return undefined;
}

/**
 * Checks `webhook-signature` (one or more space-separated `v1,<sig>`) against every secret (rotation),
 * and that `webhook-timestamp` is within toleranceSec of now. Unknown versions (`v1a,…`) are ignored.
 */
export function verify(
  headers: HeaderBag,
  body: string,
  secrets: readonly string[],
  toleranceSec: number = DEFAULT_TOLERANCE_SEC,
  nowMs: number = Date.now(),
): VerifyResult {
  const id = header(headers, 'webhook-id');
  const ts = header(headers, 'webhook-timestamp');
  const sigs = header(headers, 'webhook-signature');
  if (!id || !ts || !sigs) return { ok: false, reason: 'missing-headers' };
  if (!/^\d{1,15}$/.test(ts.trim())) return { ok: false, reason: 'bad-timestamp' };
  const timestamp = Number(ts.trim());
  const nowSec = Math.floor(nowMs / 1000);
  if (timestamp < nowSec - toleranceSec) return { ok: false, reason: 'too-old' };
  if (timestamp > nowSec + toleranceSec) return { ok: false, reason: 'too-new' };
  if (secrets.length === 0) return { ok: false, reason: 'no-secret' };
  const given: Buffer[] = [];
  for (const part of sigs.split(' ')) {
    const comma = part.indexOf(',');
    if (comma < 0 || part.slice(0, comma) !== 'v1') continue;
    given.push(Buffer.from(part.slice(comma + 1), 'base64'));
  }
  for (let i = 0; i < secrets.length; i++) {
    let key: Buffer;
    try {
      key = decodeSecret(secrets[i] as string);
    } catch {
      continue;
    }
    const expected = digest(key, id, ts.trim(), body);
    if (given.some((g) => g.length === expected.length && timingSafeEqual(g, expected))) return { ok: true, id, timestamp, secretIndex: i };
  }
  return { ok: false, reason: 'no-match' };
}
