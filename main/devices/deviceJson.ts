// The fields every JSON view of a device starts with, in this order: the CLI's `devices` output
// (main/cli/output.ts) and the local API's device list (localApi.ts) both begin with them.
import type { DeviceView } from './tracker';

type DeviceHead = Pick<DeviceView, 'udid' | 'name' | 'platform' | 'connection' | 'status' | 'since'>;

/** udid, name, platform, connection, status, and `since` as an ISO 8601 string. */
export function deviceHeadJson<D extends DeviceHead>(d: D): Omit<Pick<D, keyof DeviceHead>, 'since'> & { since: string } {
  return { udid: d.udid, name: d.name, platform: d.platform, connection: d.connection, status: d.status, since: new Date(d.since).toISOString() };
}
