// Keeps the fake usbmuxd honest: libimobiledevice's real tools (Debian's libimobiledevice-utils) must accept it.
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { startFakeUsbmuxd } from '../fakes/usbmuxd';
import type { FakeUsbmuxd } from '../fakes/usbmuxd';
import { runTool } from '../support/runTool';
import type { ToolResult } from '../support/runTool';

const hasTools = ['idevice_id', 'ideviceinfo'].every((tool) => spawnSync(tool, ['--help'], { stdio: 'ignore' }).error === undefined);

const IPHONE = '00008030-001A35E11A88002E';
const OLD_IPAD = 'abcdef0123456789abcdef0123456789abcdef01';

let mux: FakeUsbmuxd | undefined;
afterEach(async () => {
  await mux?.close();
  mux = undefined;
});

async function tool(name: string, ...args: string[]): Promise<ToolResult> {
  if (!mux) throw new Error('no fake');
  const env = { ...process.env, USBMUXD_SOCKET_ADDRESS: `UNIX:${mux.socketPath}` };
  return runTool(name, args, { env });
}

describe.skipIf(!hasTools)('libimobiledevice tools against the fake usbmuxd (skipped: idevice_id/ideviceinfo not installed)', () => {
  it('idevice_id lists USB phones with -l, network ones with -n, both without flags', async () => {
    mux = await startFakeUsbmuxd();
    mux.attach({ udid: IPHONE, name: 'QA iPhone 12' });
    mux.attach({ udid: IPHONE, name: 'QA iPhone 12', connectionType: 'Network' });
    mux.attach({ udid: OLD_IPAD, name: 'Old iPad', connectionType: 'Network' });
    expect((await tool('idevice_id', '-l')).stdout).toBe(`${IPHONE}\n`);
    expect((await tool('idevice_id', '-n')).stdout).toBe(`${IPHONE}\n${OLD_IPAD}\n`);
    expect((await tool('idevice_id')).stdout).toBe(`${IPHONE} (USB)\n${IPHONE} (Network)\n${OLD_IPAD} (Network)\n`);
    mux.detach(IPHONE);
    expect((await tool('idevice_id', '-l')).stdout).toBe('');
  });

  it('ideviceinfo -s reads DeviceName and other values through the lockdown tunnel', async () => {
    mux = await startFakeUsbmuxd();
    mux.attach({ udid: IPHONE, name: 'QA iPhone 12', productType: 'iPhone13,2', productVersion: '17.5.1' });
    const name = await tool('ideviceinfo', '-u', IPHONE, '-s', '-k', 'DeviceName');
    expect(name).toMatchObject({ stdout: 'QA iPhone 12\n', code: 0 });
    expect((await tool('ideviceinfo', '-u', IPHONE, '-s', '-k', 'ProductType')).stdout).toBe('iPhone13,2\n');
    const all = await tool('ideviceinfo', '-u', IPHONE, '-s');
    expect(all.stdout).toContain('DeviceName: QA iPhone 12\n');
    expect(all.stdout).toContain(`UniqueDeviceID: ${IPHONE}\n`);
    expect(all.stdout).toContain('ProductVersion: 17.5.1\n');
    // The tool used the byte-swapped lockdownd port, like our client.
    expect(mux.requests).toContainEqual(expect.objectContaining({ MessageType: 'Connect', PortNumber: 32498 }));
  });

  it('ideviceinfo -q com.apple.mobile.battery reads the battery domain', async () => {
    mux = await startFakeUsbmuxd();
    mux.attach({ udid: IPHONE, name: 'QA iPhone 12', battery: { BatteryCurrentCapacity: 12, BatteryIsCharging: false } });
    const battery = await tool('ideviceinfo', '-u', IPHONE, '-s', '-q', 'com.apple.mobile.battery');
    expect(battery.code).toBe(0);
    expect(battery.stdout).toContain('BatteryCurrentCapacity: 12\n');
    expect(battery.stdout).toContain('BatteryIsCharging: false\n');
    const level = await tool('ideviceinfo', '-u', IPHONE, '-s', '-q', 'com.apple.mobile.battery', '-k', 'BatteryCurrentCapacity');
    expect(level.stdout).toBe('12\n');
  });

  it('ideviceinfo fails for a phone whose lockdown refuses, and for an unknown UDID', async () => {
    mux = await startFakeUsbmuxd();
    mux.attach({ udid: IPHONE, name: 'QA iPhone 12' });
    mux.refuseLockdown(IPHONE);
    const refused = await tool('ideviceinfo', '-u', IPHONE, '-s', '-k', 'DeviceName');
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).toBe('');
    const unknown = await tool('ideviceinfo', '-u', OLD_IPAD, '-s', '-k', 'DeviceName');
    expect(unknown.code).not.toBe(0);
    expect(`${unknown.stdout}${unknown.stderr}`).toContain(`Device ${OLD_IPAD} not found`);
  });
});
