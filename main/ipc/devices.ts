// devices:* and localApi:* channels: thin handlers over the tracker, reservations and the local API
// host, with the active profile's permission checked here (devices/ knows nothing of profiles).
import type { AppiumServerInfo, Device, DeviceEventInfo, DevicesState, LocalApiInfo } from '../../preload/contract';
import { newApiToken } from '../devices/deviceState';
import type { LocalApiHost } from '../devices/localApiHost';
import { ADMIN, ReservationError } from '../devices/reservations';
import type { Reservations } from '../devices/reservations';
import type { DeviceTracker } from '../devices/tracker';
import type { Permission } from '../profiles/permissions';
import { privilegedPortProblem } from '../base/schemas';
import { fail, ok } from './register';
import type { Handlers } from './register';

interface DeviceHandlerDeps {
  tracker: DeviceTracker;
  reservations: Reservations;
  localApi: LocalApiHost;
  /** The active profile holds this permission. */
  can: (permission: Permission) => boolean;
  activeProfileName: () => string;
  recentEvents: () => DeviceEventInfo[];
  trackedUsb: () => readonly string[];
  /** The watched Appium servers (for the source strip). */
  appium?: () => AppiumServerInfo[];
  /** The last battery reading of a device. */
  battery?: (udid: string) => Device['battery'];
  setTrackedUsb: (udids: string[]) => Promise<void>;
}


export function devicesState(deps: Pick<DeviceHandlerDeps, 'tracker' | 'can' | 'trackedUsb' | 'appium' | 'battery'>): DevicesState {
  const tracked = new Set(deps.trackedUsb());
  const listed = new Set(deps.tracker.list().map((d) => d.udid));
  return {
    devices: deps.tracker.list().map((d) => {
      const battery = deps.battery?.(d.udid);
      return battery ? { ...d, battery } : d;
    }),
    ports: deps.tracker.portStats(),
    health: deps.tracker.sourceHealth(),
    ...(deps.appium ? { appium: deps.appium() } : {}),
    otherUsb: deps.tracker
      .otherUsb()
      .filter((o) => !listed.has(o.udid))
      .map((o) => ({
        udid: o.udid,
        ...(o.name ? { name: o.name } : {}),
        ...(o.vendorId !== undefined ? { vendorId: o.vendorId } : {}),
        ...(o.productId !== undefined ? { productId: o.productId } : {}),
        tracked: tracked.has(o.udid),
      })),
    canReserve: deps.can('device.reserve'),
    canChangeVisibility: deps.can('device.visibility.modify'),
    canManage: deps.can('org_setting.modify'),
  };
}

export function localApiInfo(deps: Pick<DeviceHandlerDeps, 'localApi' | 'can'>): LocalApiInfo {
  const canManage = deps.can('org_setting.modify');
  const info = deps.localApi.info();
  // The token is a credential: only those who may manage settings see it.
  return { ...info, token: canManage ? info.token : '', canManage };
}

function reservationFailure(error: unknown) {
  if (error instanceof ReservationError) {
    const code = error.code === 'unknown_device' || error.code === 'not_reserved' ? 'not_found' : 'conflict';
    return fail({ code, message: error.message });
  }
  throw error;
}

export function deviceHandlers(deps: DeviceHandlerDeps) {
  const forbidden = (what: string) => fail({ code: 'forbidden', message: `${deps.activeProfileName()} cannot ${what}: ask an admin for a role that allows it.` });
  return {
    'devices:state': { handle: () => ok(devicesState(deps)) },
    'devices:events': { handle: () => ok(deps.recentEvents()) },
    'devices:markInUse': {
      handle: ({ udid: id, by, note: why }) => {
        if (!deps.can('device.reserve')) return forbidden('mark devices in use');
        try {
          deps.reservations.markInUse(id, { origin: 'admin', by: by || deps.activeProfileName(), ...(why ? { note: why } : {}) });
          return ok(null);
        } catch (error) {
          return reservationFailure(error);
        }
      },
    },
    'devices:release': {
      handle: ({ udid: id }) => {
        if (!deps.can('device.reserve')) return forbidden('release devices');
        try {
          deps.reservations.release(id, ADMIN);
          return ok(null);
        } catch (error) {
          return reservationFailure(error);
        }
      },
    },
    'devices:setVisibility': {
      handle: ({ udid: id, visibility }) => {
        if (!deps.can('device.visibility.modify')) return forbidden('change device visibility');
        if (!deps.tracker.get(id)) return fail({ code: 'not_found', message: `No device ${id} is known.` });
        deps.tracker.setVisibility(id, visibility);
        return ok(null);
      },
    },
    'devices:trackUsb': {
      handle: async ({ udid: id, tracked }) => {
        if (!deps.can('org_setting.modify')) return forbidden('choose which USB devices are tracked');
        const next = new Set(deps.trackedUsb());
        if (tracked) next.add(id);
        else next.delete(id);
        await deps.setTrackedUsb([...next]);
        deps.tracker.setTrackedUsb(next);
        return ok(null);
      },
    },
    'devices:forget': {
      handle: ({ udid: id }) => {
        if (!deps.can('org_setting.modify')) return forbidden('forget devices');
        const result = deps.tracker.forget(id);
        if (result === 'unknown') return fail({ code: 'not_found', message: `No device ${id} is known.` });
        if (result === 'present') return fail({ code: 'conflict', message: 'This device is still connected; only an unplugged device can be forgotten.' });
        return ok(null);
      },
    },
    'localApi:state': { handle: () => ok(localApiInfo(deps)) },
    'localApi:setPort': {
      handle: async ({ port }) => {
        if (!deps.can('org_setting.modify')) return forbidden('change the local API');
        const problem = privilegedPortProblem(port);
        if (problem) return fail({ code: 'validation', message: problem, fieldErrors: { port: problem } });
        await deps.localApi.update({ port });
        return ok(localApiInfo(deps));
      },
    },
    'localApi:newToken': {
      handle: async () => {
        if (!deps.can('org_setting.modify')) return forbidden('change the local API');
        await deps.localApi.update({ token: newApiToken() });
        return ok(localApiInfo(deps));
      },
    },
  } satisfies Partial<Handlers>;
}
