// The fields every JSON view of a device starts with, in this order: the CLI's `devices` output
// (main/cli/output.ts) and the local API's device list (localApi.ts) both begin with them, and both show
// an Appium session and a battery reading the same way.
import type { Battery } from './battery';
import type { DeviceView, SessionHold } from './tracker';

type DeviceHead = Pick<DeviceView, 'udid' | 'name' | 'platform' | 'connection' | 'status' | 'since'>;

/** udid, name, platform, connection, status, and `since` as an ISO 8601 string. */
export function deviceHeadJson<D extends DeviceHead>(d: D): Omit<Pick<D, keyof DeviceHead>, 'since'> & { since: string } {
  return { udid: d.udid, name: d.name, platform: d.platform, connection: d.connection, status: d.status, since: new Date(d.since).toISOString() };
}

/** An Appium session holding a device: its id, the server's URL as configured, and since when (ISO 8601). */
export function sessionJson(session: SessionHold): { id: string; server: string; since: string } {
  return { id: session.id, server: session.server, since: new Date(session.since).toISOString() };
}

export type BatteryJson = Pick<Battery, 'level' | 'charging' | 'temperatureC'> & { health: string | null };

/** The last battery reading (level, charging, °C, Android's health word); null where there is none. */
export function batteryJson(battery: BatteryJson | undefined): BatteryJson | null {
  return battery ? { level: battery.level, charging: battery.charging, temperatureC: battery.temperatureC, health: battery.health } : null;
}
