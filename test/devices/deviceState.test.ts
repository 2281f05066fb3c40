import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDeviceStateStore } from '../../main/devices/deviceState';
import { makeTempDir as tempDir } from '../support/tmp';

const logger = () => {};

describe('devices.json', () => {
  it('migrates a version 1 file: devices kept, no forgotten devices yet; forgotten devices saved and read back', async () => {
    const dataDir = await tempDir();
    const device = { udid: 'A', name: 'A', platform: 'android', connection: 'usb', status: 'Online', since: 1, seq: 4 };
    writeFileSync(join(dataDir, 'devices.json'), JSON.stringify({ schemaVersion: 1, devices: [device], trackedUsb: [], localApi: { port: 0, token: 'dh_0123456789abcdef0123' } }));
    const store = await openDeviceStateStore({ dataDir, logger });
    expect(store.saved()).toEqual([device]);
    expect(store.forgotten()).toEqual([]);
    await store.saveDevices([], [{ udid: 'A', seq: 4, forgottenAt: 5, history: [] }]);
    await store.store.flush();
    const file = JSON.parse(readFileSync(join(dataDir, 'devices.json'), 'utf8'));
    expect(file.schemaVersion).toBe(2);
    expect(file.forgotten).toEqual([{ udid: 'A', seq: 4, forgottenAt: 5, history: [] }]);
    await store.store.close();
  });

  it('saves the tracked USB devices and the local API settings through the store, and reads them back after a reopen', async () => {
    const dataDir = await tempDir();
    const store = await openDeviceStateStore({ dataDir, logger });
    await store.setTrackedUsb(['usb-1', 'usb-2']);
    await store.saveLocalApi({ port: 0, token: 'dh_abcdefabcdefabcdefabcdef' });
    await store.store.close();
    const again = await openDeviceStateStore({ dataDir, logger });
    expect(again.store.data.trackedUsb).toEqual(['usb-1', 'usb-2']);
    expect(again.store.data.localApi).toEqual({ port: 0, token: 'dh_abcdefabcdefabcdefabcdef' });
    await again.store.close();
  });
});
