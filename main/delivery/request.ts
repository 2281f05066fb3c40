// What one try sends: the body composed now, the headers (ours, the webhook's custom ones, the
// Standard Webhooks id/timestamp/signature), and what the history keeps of it. The dispatcher decides
// when to send; this file decides what. It also owns the one rule for the header names a webhook may
// not set: the webhook form refuses them (main/webhooks/headerRules.ts) and this builder never sends them.
import { createHmac, createSecretKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { AttemptRecord } from './history';
import { composeBody } from './payload';
import type { CallbackContent } from './payload';
import { decodeSecret } from './signing';
import { redactUrl } from '../webhooks/urlCredentials';
import type { DeliveryWebhook, Logger } from './types';

/** Stands in the history for a custom header's value (the value itself was sent). */
export const HIDDEN_HEADER_VALUE = '[sent; value kept only in the webhook]';

/** Headers DeviceHooks or the HTTP connection own, lower case → why a webhook cannot set them. */
const RESERVED_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'DeviceHooks sets Content-Type itself',
  'content-length': 'DeviceHooks sets Content-Length itself',
  host: "the Host header comes from the webhook's URL",
  'user-agent': 'DeviceHooks sets User-Agent itself',
  'transfer-encoding': 'the HTTP connection sets Transfer-Encoding itself',
  connection: 'the HTTP connection sets Connection itself',
};
const RESERVED_PREFIX = 'webhook-';

/**
 * Why a webhook may not set this header, or undefined when it may. Case-insensitive. Every `webhook-*`
 * name is reserved (Standard Webhooks owns the prefix), not only the three DeviceHooks sends today.
 */
export function reservedHeaderReason(name: string): string | undefined {
  const lower = name.toLowerCase();
  if (lower.startsWith(RESERVED_PREFIX)) return 'names starting with webhook- are reserved for Standard Webhooks signing';
  return Object.hasOwn(RESERVED_HEADERS, lower) ? RESERVED_HEADERS[lower] : undefined;
}

// RFC 7230 `token`, and what a header value may not hold.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE_BREAKS = /[\r\n\0]/;

/** Decoded signing keys kept, by secret; past this many the cache starts over. */
const KEY_CACHE_MAX = 64;

export interface BuiltRequest {
  body: string;
  /** What is sent. */
  headers: Record<string, string>;
  /** What the history keeps: custom header values hidden, the URL's credentials redacted. */
  recorded: AttemptRecord['request'];
}

/** The webhook's signing secret cannot be used: the try is not sent (never unsigned what should be signed). */
export class UnusableSecretError extends Error {
  constructor(
    message: string,
    /** What the history keeps of the try that was not sent. */
    readonly recorded: AttemptRecord['request'],
  ) {
    super(message);
    this.name = 'UnusableSecretError';
  }
}

export class RequestBuilder {
  private readonly warned = new Set<string>();
  private readonly keys = new Map<string, KeyObject>();
  private readonly redacted = new Map<string, string>();

  constructor(
    private readonly userAgent: string,
    private readonly logger: Logger,
  ) {}

  /** The request of one try at `at` (epoch ms). Throws UnusableSecretError when the webhook's secret is unusable. */
  build(webhook: DeliveryWebhook, d: { messageId: string } & CallbackContent, at: number): BuiltRequest {
    // Composed for this try: creationTime = now, the webhook's current name and org.
    const body = composeBody(d, webhook, at);
    const headers: Record<string, string> = {};
    // What the history keeps: everything as sent, except custom header values (credentials such as
    // Authorization), which stay encrypted in the webhook and are not copied into plain history files.
    const kept: Record<string, string> = {};
    const custom = webhook.headers;
    if (custom) {
      for (const name of Object.keys(custom)) {
        const value = custom[name];
        if (reservedHeaderReason(name) !== undefined) continue;
        if (!HEADER_NAME.test(name) || typeof value !== 'string' || HEADER_VALUE_BREAKS.test(value)) {
          this.warnOnce(webhook.id, name);
          continue;
        }
        headers[name] = value;
        kept[name] = HIDDEN_HEADER_VALUE;
      }
    }
    headers['Content-Type'] = kept['Content-Type'] = 'application/json';
    headers['User-Agent'] = kept['User-Agent'] = this.userAgent;
    const timestamp = String(Math.floor(at / 1000));
    // Standard Webhooks names webhook-id and webhook-timestamp for every message; the signature only when signing is on.
    headers['webhook-id'] = kept['webhook-id'] = d.messageId;
    headers['webhook-timestamp'] = kept['webhook-timestamp'] = timestamp;
    if (webhook.secret) {
      let key: KeyObject;
      try {
        key = this.key(webhook.secret);
      } catch (error) {
        throw new UnusableSecretError(error instanceof Error ? error.message : String(error), { method: 'POST', url: this.redact(webhook.url), headers: {}, body });
      }
      const mac = createHmac('sha256', key).update(`${d.messageId}.${timestamp}.${body}`, 'utf8').digest('base64');
      headers['webhook-signature'] = kept['webhook-signature'] = `v1,${mac}`;
    }
    return { body, headers, recorded: { method: 'POST', url: this.redact(webhook.url), headers: kept, body } };
  }

  private key(secret: string): KeyObject {
    let key = this.keys.get(secret);
    if (key === undefined) {
      key = createSecretKey(decodeSecret(secret));
      if (this.keys.size >= KEY_CACHE_MAX) this.keys.clear();
      this.keys.set(secret, key);
    }
    return key;
  }

  private redact(url: string): string {
    let redacted = this.redacted.get(url);
    if (redacted === undefined) {
      redacted = redactUrl(url);
      if (this.redacted.size >= KEY_CACHE_MAX) this.redacted.clear();
      this.redacted.set(url, redacted);
    }
    return redacted;
  }

  private warnOnce(webhookId: number, name: string): void {
    const key = `${webhookId}:${name}`;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.logger('warn', `Webhook ${webhookId}: header ${JSON.stringify(name)} is not a valid HTTP header and is not sent`);
  }
}
