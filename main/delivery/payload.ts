// The callback body, exactly as ARCHITECTURE.md lists it: these nine keys and nothing else.
import type { DeliveryEvent, DeliveryWebhook, Status } from './types';

export type EventActivity = 'device.status.online' | 'device.status.offline' | 'device.state.utilizing' | 'device.state.unplugged';

export interface CallbackBody {
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

export const ACTIVITY_BY_STATUS: Readonly<Record<Status, EventActivity>> = {
  Online: 'device.status.online',
  Offline: 'device.status.offline',
  Utilizing: 'device.state.utilizing',
  Unplugged: 'device.state.unplugged',
};

export interface BuildPayloadInput {
  event: DeliveryEvent;
  webhook: Pick<DeliveryWebhook, 'id' | 'name'>;
  org: { id: number };
  /** epoch ms written as creationTime. The dispatcher passes the event's own time (event.at). */
  at: number;
}

/** ISO-8601 UTC with exactly three fraction digits and `Z`; refuses times outside years 0000–9999. */
export function isoUtcMillis(at: number): string {
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

/** The exact bytes sent: serialized once, stored in the outbox, signed and posted as-is. */
export function serializePayload(body: CallbackBody): string {
  return JSON.stringify(body);
}
