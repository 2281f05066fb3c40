// The outbox's records: a delivery and a device's committed status as the outbox keeps them, the
// journal and snapshot record shapes, the file names, and which record versions are written and read.
// The layout on disk and how the records are written and recovered: outbox.ts.
//
// Record versions: 5 (the snapshot header's `version`): every journal record is framed (length and
// CRC-32, framing.ts), a device's committed status (`dev`) and a webhook's failure count (`fails`) too;
// up to version 4 those two were plain JSON lines (still read), so a byte changed on disk that still
// parsed was taken as it was.
// 4: an attempt writes one journal line, its outcome
// `upd` with the attempt count; the start of an attempt (in_flight) is kept in memory only. Versions 1 to
// 3 wrote an `upd` with state in_flight and the new count before each attempt: still read (in_flight
// becomes pending at open, the count kept). A crash during an attempt finds the delivery pending in
// either case, and it is sent again; since version 4 without that attempt counted.
// 3: the outbox does not own pause state, the
// webhook store does (webhooks.json `paused`); no delivery is in the `paused` state, and the header's
// `paused` lists only pauses carried over from data written by version 2 or 1 that have not yet been
// handed to the webhook store (see carriedPauses(); normally empty). Versions 2 and 1 wrote
// {"t":"pause"} / {"t":"resume"} journal records, a `paused` header list and `paused` deliveries: they
// are still read (a resume record makes the webhook's parked deliveries due at its time, as it did), the
// webhooks still paused at the end become carried pauses, and their deliveries pending.
// 2 keeps a delivery's event (`event`), and the body is composed when each try is sent. 1 kept the
// finished body (`body`); such records, in a version 1 snapshot or a journal written by that version,
// are read back into their event when the body is one of our callbacks (upgradeDelivery), otherwise
// kept and sent as they are.
import { eventFromBody } from './payload';
import type { DevicePlatform, QueuedEvent, Status } from './types';

/** The status a device last committed (its transition was admitted), as the outbox keeps it. */
export interface CommittedDevice {
  udid: string;
  name: string;
  platform?: DevicePlatform;
  to: Status;
  seq: number;
  /** epoch ms of the transition */
  at: number;
}

/**
 * `skipped`: not sent because the webhook no longer wants it (unsubscribed, out of scope, deleted).
 * `paused`: only in data written by record versions 1 and 2 (read back as `pending`).
 */
export type DeliveryState = 'pending' | 'in_flight' | 'succeeded' | 'failed' | 'dead' | 'paused' | 'skipped';
export const SETTLED_STATES: readonly DeliveryState[] = ['succeeded', 'failed', 'dead', 'skipped'];
export function isSettled(state: DeliveryState): boolean {
  return state === 'succeeded' || state === 'failed' || state === 'dead' || state === 'skipped';
}

/** The snapshot format written now; versions 1 to 5 are read. */
export const OUTBOX_RECORD_VERSION = 5;
export const READABLE_SNAPSHOT_VERSIONS: readonly number[] = [1, 2, 3, 4, 5];

/** A record of version 1 (a finished `body`) as version 2 (its `event`), when the body is one of our callbacks. */
export function upgradeDelivery(d: Delivery): Delivery {
  if (d.event !== undefined || typeof d.body !== 'string') return d;
  const event = eventFromBody(d.body, d.seq);
  if (!event) return d;
  const { body: _body, ...rest } = d;
  return { ...rest, event };
}

export interface Delivery {
  /** This delivery (`dlv_…`). A redelivery is a new delivery with a new id. */
  id: string;
  /** The Standard Webhooks message id sent as `webhook-id` (`msg_…`): same for every attempt, and kept by a redelivery. */
  messageId: string;
  webhookId: number;
  udid: string;
  seq: number;
  /** The event the callback announces; its body is composed from it (and the webhook as it is) at each try. */
  event?: QueuedEvent;
  /** Only in records of version 1 whose body was not recognised: the JSON text sent as is. */
  body?: string;
  createdAt: number;
  attempts: number;
  /** Wall-clock epoch ms of the next try. */
  nextAttemptAt: number;
  /** Waiting time counted towards the retry horizon so far (absent = 0). */
  retriedMs?: number;
  state: DeliveryState;
  /** Enqueue order, increasing across restarts: the order within one (webhook, device) lane. */
  n: number;
  updatedAt?: number;
  /** Plain label of the last failure ("HTTP 503", "Timeout"). */
  lastError?: string;
  /** The delivery this one re-sends. */
  redeliveryOf?: string;
}

/**
 * What enqueue() takes: a delivery's own fields. One of `event` (what the dispatcher queues) and `body`
 * (a finished text sent as is). `nextAttemptAt` defaults to createdAt (send at once), `id` to a fresh
 * `dlv_…`, `messageId` to a fresh `msg_…`.
 */
export type EnqueueInput = Pick<Delivery, 'webhookId' | 'udid' | 'seq' | 'event' | 'body' | 'createdAt' | 'redeliveryOf'> &
  Partial<Pick<Delivery, 'nextAttemptAt' | 'id' | 'messageId'>>;

export interface DeliveryPatch {
  state?: DeliveryState;
  attempts?: number;
  nextAttemptAt?: number;
  retriedMs?: number;
  lastError?: string;
  updatedAt?: number;
}

export type JournalRecord =
  | { t: 'enq'; d: Delivery }
  | { t: 'upd'; id: string; p: DeliveryPatch }
  // Written only by record versions 1 and 2; still replayed.
  | { t: 'pause'; w: number; at: number }
  | { t: 'resume'; w: number; at: number }
  | { t: 'handed'; w: number }
  | { t: 'fails'; w: number; n: number }
  | { t: 'dev'; d: CommittedDevice };

export interface SnapshotHeader {
  kind: 'outbox-snapshot';
  version: number;
  gen: number;
  nextN: number;
  /** Versions 1, 2: the paused webhooks. Version 3: pauses carried over from those, not yet handed over. */
  paused: number[];
  /** [webhookId, consecutive failed attempts] for the webhooks with a count above 0 (version 2). */
  failures?: [number, number][];
  /** Every device's committed status (version 2). */
  devices?: CommittedDevice[];
  /** base64 of 32 random bytes: the key of the message ids (version 2). A fresh outbox gets a new one. */
  secret?: string;
  count: number;
}

export const SNAPSHOT_FILE = 'outbox-snapshot.jsonl';
export const JOURNAL_PATTERN = /^outbox-journal-(\d{6,})\.jsonl$/;
export function journalFile(gen: number): string {
  return `outbox-journal-${String(gen).padStart(6, '0')}.jsonl`;
}

export function isDeliveryRecord(r: Record<string, unknown>): r is Record<string, unknown> & Delivery {
  return typeof r.id === 'string' && typeof r.webhookId === 'number' && typeof r.n === 'number' && typeof r.state === 'string';
}
