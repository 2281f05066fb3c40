// Which webhooks an event goes to: enabled, subscribed to the status the device moved into, and the
// device within the webhook's scope; and whether a waiting callback is still wanted when it is due.
// Paused webhooks DO match: their deliveries queue and wait.
import { STATUS_EVENT } from '../../preload/contract/vocabulary';
import type { DeliveryEvent, DeliveryWebhook, DeliveryWebhookEvents, QueuedEvent, Status } from './types';

const EVENT_KEY_BY_STATUS: Readonly<Record<Status, keyof DeliveryWebhookEvents>> = STATUS_EVENT;

export function isEnabled(webhook: DeliveryWebhook): boolean {
  return webhook.enabled !== false;
}

/** Absent or empty lists mean every device; when both lists are given, the device must be in both. */
function inScope(webhook: DeliveryWebhook, event: Pick<DeliveryEvent, 'udid' | 'platform'>): boolean {
  const udids = webhook.scope?.udids;
  const platforms = webhook.scope?.platforms;
  if (udids && udids.length > 0 && !udids.includes(event.udid)) return false;
  if (platforms && platforms.length > 0 && !platforms.includes(event.platform)) return false;
  return true;
}

export function wants(webhook: DeliveryWebhook, event: DeliveryEvent): boolean {
  const key = EVENT_KEY_BY_STATUS[event.to];
  return key !== undefined && isEnabled(webhook) && webhook.events?.[key] === true && inScope(webhook, event);
}

export function matchWebhooks(event: DeliveryEvent, webhooks: readonly DeliveryWebhook[]): DeliveryWebhook[] {
  return webhooks.filter((w) => wants(w, event));
}

/**
 * The webhook still subscribes to the event and the device is still in its scope. A record carried
 * over from the old format has no platform: only its UDID is checked against the scope.
 */
export function stillWanted(webhook: DeliveryWebhook, event: QueuedEvent): boolean {
  const key = EVENT_KEY_BY_STATUS[event.to];
  if (key === undefined || webhook.events?.[key] !== true) return false;
  const udids = webhook.scope?.udids;
  if (udids && udids.length > 0 && !udids.includes(event.udid)) return false;
  const platforms = webhook.scope?.platforms;
  if (platforms && platforms.length > 0 && event.platform !== undefined && !platforms.includes(event.platform)) return false;
  return true;
}
