// The shapes the delivery layer works with. Plain Node: the composition root adapts the tracker's
// events and the webhook store's records to these, so delivery/ depends on nothing above or beside it
// except the Clock type and the logger (main/base/clock.ts, main/base/log.ts).
import { randomBytes } from 'node:crypto';
import { realTimers } from '../base/clock';
import type { Clock } from '../base/clock';

export type { Clock, Timers } from '../base/clock';
export { realTimers } from '../base/clock';
export type { LogLevel, Logger } from '../base/log';
export { silentLogger } from '../base/log';

import { DEVICE_STATUSES } from '../../preload/contract/vocabulary';
import type { DevicePlatform, DeviceStatus, WebhookEventKey } from '../../preload/contract/vocabulary';

export type Status = DeviceStatus;
export const STATUSES: readonly Status[] = DEVICE_STATUSES;
export type { DevicePlatform };

/** One status transition of one device, as the dispatcher receives it. */
export interface DeliveryEvent {
  udid: string;
  name: string;
  platform: DevicePlatform;
  /** The status the device moved into. */
  to: Status;
  /** epoch ms of the transition */
  at: number;
  /** Per-device sequence number from the tracker (increasing). */
  seq: number;
}

/**
 * What a queued callback keeps of its event, so its body is composed when each try is sent. `platform`
 * is absent only in records carried over from the outbox format that stored a finished body.
 */
export type QueuedEvent = Omit<DeliveryEvent, 'platform'> & { platform?: DevicePlatform };

/** Which events a webhook subscribes to: one switch per event of the contract's vocabulary. */
export type DeliveryWebhookEvents = Readonly<Record<WebhookEventKey, boolean>>;

/** The minimum the dispatcher needs to know about a webhook. */
export interface DeliveryWebhook {
  id: number;
  orgId: number;
  name: string;
  url: string;
  events: DeliveryWebhookEvents;
  /** absent = enabled */
  enabled?: boolean;
  /** true = new events are queued, nothing is sent */
  paused?: boolean;
  /** absent or empty lists = every device */
  scope?: { udids?: string[]; platforms?: string[] };
  /** Standard Webhooks secret, `whsec_` + base64. Absent = requests are not signed. */
  secret?: string;
  /** Extra request headers. Content-Type, User-Agent and the webhook-* headers cannot be overridden. */
  headers?: Record<string, string>;
  /**
   * Set when its secret or a header value cannot be opened now (the OS keyring is locked): its callbacks
   * queue and wait, nothing is sent (never unsigned or without its headers). The reason, in a sentence.
   */
  unavailable?: string;
}

/** The one source of randomness: `float()` in [0, 1) for jitter, `bytes(n)` for ids and secrets. */
export interface RandomSource {
  float(): number;
  bytes(n: number): Uint8Array;
}

// Random bytes are drawn from a pool refilled 4 KiB at a time: one randomBytes() call per ~100
// deliveries instead of three per delivery (two ids and the jitter). Every byte is handed out once.
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let poolAt = 0;

function pooled(n: number): Buffer {
  if (n > POOL_BYTES / 8) return randomBytes(n);
  if (poolAt + n > pool.length) {
    pool = randomBytes(POOL_BYTES);
    poolAt = 0;
  }
  const start = poolAt;
  poolAt += n;
  // A copy: the caller owns its bytes, and nothing else ever sees them.
  return Buffer.from(pool.subarray(start, poolAt));
}

export const cryptoRandom: RandomSource = {
  float: () => pooled(4).readUInt32BE(0) / 0x1_0000_0000,
  bytes: (n) => pooled(n),
};

/** The real clock (same as devices/types' systemClock; kept here so delivery/ imports only the Clock type). */
export const systemClock: Clock = {
  now: () => Date.now(),
  ...realTimers,
};

/** `prefix_` + 22 characters: base64url of 16 random bytes (128 bits; header- and URL-safe). */
export function randomId(prefix: string, random: RandomSource): string {
  const bytes = random.bytes(16);
  return `${prefix}_${(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes)).toString('base64url')}`;
}
