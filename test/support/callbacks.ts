// What a status callback carries: its keys, and the body the Galaxy Note 8 of the app-level tests sends
// when it comes Online on webhook 1 ("Lab receiver", organization 1).

export const CALLBACK_KEYS = ['creationTime', 'deviceName', 'deviceUdid', 'eventActivity', 'eventDescription', 'eventType', 'orgId', 'webhookId', 'webhookName'];

/** ISO 8601 in UTC with milliseconds, as creationTime is written. */
export const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Every field of that callback but creationTime. */
export function note8Online(serial: string): Record<string, unknown> {
  return {
    eventType: 'DEVICE',
    eventActivity: 'device.status.online',
    eventDescription: 'Online',
    deviceUdid: serial,
    deviceName: 'Galaxy Note 8',
    orgId: 1,
    webhookId: 1,
    webhookName: 'Lab receiver',
  };
}
