// devices.json: what the tracker needs back at the next launch (statuses, seq numbers, names, history,
// visibility overrides), the USB devices an admin chose to track, and the local API's port and token.
// Written in batches: devices change often, the file stays small.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { openJsonStore, zodValidator } from '../storage/jsonStore';
import type { JsonStore, Recovery } from '../storage/jsonStore';
import { listenPortSchema } from '../base/schemas';
import type { Logger } from '../base/log';
import type { ForgottenDevice, SavedDeviceState } from './tracker';

const DEVICES_FILE = 'devices.json';
const DEVICES_SCHEMA_VERSION = 2;
export const DEFAULT_LOCAL_API_PORT = 47_615;

export interface LocalApiSettings {
  /** 0: any free port (chosen at each launch). */
  port: number;
  /** Bearer token test runners send; shown in Settings › Local API. */
  token: string;
}

interface DevicesFile {
  schemaVersion: number;
  /** The tracker's exportState(); the tracker validates each entry itself. */
  devices: unknown[];
  /** Devices forgotten (by an admin or the retention): their sequence numbers continue if they come back. */
  forgotten: unknown[];
  trackedUsb: string[];
  localApi: LocalApiSettings;
}

export function newApiToken(): string {
  return `dh_${randomBytes(24).toString('base64url')}`;
}

const schema = z.object({
  schemaVersion: z.number().int(),
  devices: z.array(z.unknown()),
  forgotten: z.array(z.unknown()),
  trackedUsb: z.array(z.string()),
  localApi: z.object({ port: listenPortSchema, token: z.string().min(16) }),
});

export interface DeviceStateStore {
  store: JsonStore<DevicesFile>;
  recovered?: Recovery;
  saved(): SavedDeviceState[];
  forgotten(): ForgottenDevice[];
  saveDevices(devices: SavedDeviceState[], forgotten?: ForgottenDevice[]): Promise<void>;
  /** The USB devices an admin chose to track (by udid). */
  setTrackedUsb(udids: string[]): Promise<void>;
  saveLocalApi(settings: LocalApiSettings): Promise<void>;
}

export async function openDeviceStateStore({
  dataDir,
  logger,
  now,
}: {
  dataDir: string;
  logger: Logger;
  now?: () => number;
}): Promise<DeviceStateStore> {
  const opened = await openJsonStore<DevicesFile>({
    file: join(dataDir, DEVICES_FILE),
    label: 'device states',
    defaults: () => ({
      schemaVersion: DEVICES_SCHEMA_VERSION,
      devices: [],
      forgotten: [],
      trackedUsb: [],
      localApi: { port: DEFAULT_LOCAL_API_PORT, token: newApiToken() },
    }),
    version: DEVICES_SCHEMA_VERSION,
    migrations: {
      // v2: forgotten devices (sequence numbers kept for a comeback).
      2: (old) => ({ ...(old as object), forgotten: [] }),
    },
    validate: zodValidator(schema),
    logger,
    batchMs: 500,
    ...(now ? { now } : {}),
  });
  const { store } = opened;
  // A fresh file gets its token written now, so the one shown is the one that stays.
  if (opened.created) await store.update(() => undefined);
  return {
    store,
    ...(opened.recovered ? { recovered: opened.recovered } : {}),
    saved: () => store.data.devices as unknown as SavedDeviceState[],
    forgotten: () => store.data.forgotten as unknown as ForgottenDevice[],
    saveDevices: (devices, forgotten) =>
      store.change((draft) => {
        draft.devices = devices;
        if (forgotten) draft.forgotten = forgotten;
      }),
    setTrackedUsb: (udids) =>
      store.change((draft) => {
        draft.trackedUsb = [...udids];
      }),
    saveLocalApi: (settings) =>
      store.change((draft) => {
        draft.localApi = { ...settings };
      }),
  };
}
