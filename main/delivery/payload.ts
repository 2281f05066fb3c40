// The callback body, exactly as docs/delivery.md shows it: these nine keys and nothing else.
import { STATUSES } from './types';
import type { DeliveryWebhook, QueuedEvent, Status } from './types';

type EventActivity = 'device.status.online' | 'device.status.offline' | 'device.state.utilizing' | 'device.state.unplugged';

interface CallbackBody {
  /** ISO-8601 UTC with milliseconds, e.g. 2026-11-27T10:15:00.123Z */
  creationTime: string;
  eventType: 'DEVICE';
  eventActivity: EventActivity;
  eventDescription: Status;
  deviceUdid: string;
  deviceName: string;
  orgId: number;
  webhookId: number;
  webhookName: string;
}

/** The body's keys in the order they are serialized. */
export const CALLBACK_KEYS = [
  'creationTime',
  'eventType',
  'eventActivity',
  'eventDescription',
  'deviceUdid',
  'deviceName',
  'orgId',
  'webhookId',
  'webhookName',
] as const satisfies readonly (keyof CallbackBody)[];

const ACTIVITY_BY_STATUS: Readonly<Record<Status, EventActivity>> = {
  Online: 'device.status.online',
  Offline: 'device.status.offline',
  Utilizing: 'device.state.utilizing',
  Unplugged: 'device.state.unplugged',
};

interface BuildPayloadInput {
  event: Pick<QueuedEvent, 'udid' | 'name' | 'to'>;
  webhook: Pick<DeliveryWebhook, 'id' | 'name'>;
  org: { id: number };
  /** epoch ms written as creationTime: the time this try is sent. */
  at: number;
}

/** ISO-8601 UTC with exactly three fraction digits and `Z`; refuses times outside years 0000–9999. */
function isoUtcMillis(at: number): string {
  const date = new Date(at);
  if (!Number.isFinite(at) || Number.isNaN(date.getTime())) throw new RangeError(`not a valid time: ${String(at)}`);
  const iso = date.toISOString();
  // toISOString() gives ±YYYYYY for years outside 0–9999: not the format receivers expect.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(iso)) throw new RangeError(`time out of range: ${iso}`);
  return iso;
}

export function buildPayload({ event, webhook, org, at }: BuildPayloadInput): CallbackBody {
  const activity = ACTIVITY_BY_STATUS[event.to];
  if (!activity) throw new TypeError(`unknown status: ${String(event.to)}`);
  // Built key by key (not spread from the inputs) so nothing else can ride along.
  return {
    creationTime: isoUtcMillis(at),
    eventType: 'DEVICE',
    eventActivity: activity,
    eventDescription: event.to,
    deviceUdid: String(event.udid),
    deviceName: String(event.name),
    orgId: Number(org.id),
    webhookId: Number(webhook.id),
    webhookName: String(webhook.name),
  };
}

/** The exact bytes sent: serialized once per try, signed and posted as-is. */
export function serializePayload(body: CallbackBody): string {
  return JSON.stringify(body);
}

/** What a queued callback holds: its event (composed at each try), or a finished body kept as is. */
export interface CallbackContent {
  event?: QueuedEvent;
  body?: string;
}

/**
 * The body of one try, composed now: creationTime is `at` (when the try is sent), webhookName and orgId
 * the webhook's current ones. A content without an event (a body no longer recognisable as one of our
 * callbacks) goes out exactly as stored.
 */
export function composeBody(content: CallbackContent, webhook: Pick<DeliveryWebhook, 'id' | 'name' | 'orgId'>, at: number): string {
  if (content.event) return serializePayload(buildPayload({ event: content.event, webhook, org: { id: webhook.orgId }, at }));
  return content.body ?? '';
}

/**
 * Reads a body written by an earlier version (which stored the finished body, with creationTime = the
 * time the status changed) back into the event it was made from. Undefined when it is not such a body.
 */
export function eventFromBody(body: string, seq: number): QueuedEvent | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const b = parsed as Record<string, unknown>;
  const keys = Object.keys(b);
  if (keys.length !== CALLBACK_KEYS.length || !CALLBACK_KEYS.every((k) => k in b)) return undefined;
  const to = b.eventDescription;
  const at = typeof b.creationTime === 'string' ? Date.parse(b.creationTime) : NaN;
  if (!STATUSES.includes(to as Status) || typeof b.deviceUdid !== 'string' || typeof b.deviceName !== 'string' || !Number.isFinite(at)) return undefined;
  return { udid: b.deviceUdid, name: b.deviceName, to: to as Status, at, seq };
}
