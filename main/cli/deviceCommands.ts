// The `devices` command: the devices the runner tracks, and sources that are down.
import { CLI_EXIT } from './types';
import type { CliResponse } from './types';
import type { Call } from './commands';
import { batteryText, deviceJson, duration, inUseText, table } from './output';

/** Runs `devices`. */
export async function deviceCommand(call: Call): Promise<CliResponse> {
  const { ctx, o, json } = call;
  const { devices, health } = await ctx.devices();
  const now = ctx.now();
  if (json) o.line(JSON.stringify(devices.map(deviceJson), null, 2));
  else {
    for (const h of health) if (h.state === 'down') o.warn(`${h.source}: ${h.message ?? 'not reachable'}`);
    if (devices.length === 0) o.line('No devices.');
    else
      o.out += table(
        ['STATUS', 'FOR', 'NAME', 'PLATFORM', 'CONNECTION', 'BATTERY', 'IN USE BY', 'UDID'],
        devices.map((d) => [d.status ?? `(${d.pending?.to ?? 'new'})`, duration(now - d.since), d.name, d.platform, d.connection, batteryText(d.battery), inUseText(d), d.udid]),
      );
  }
  return o.done(CLI_EXIT.ok);
}
