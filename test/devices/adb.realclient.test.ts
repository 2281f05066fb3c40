// Keeps the fake adb server honest: Debian's real `adb` client (1.0.41) must accept it. Always with -P: a
// client that finds no server on the port it asks starts one of its own.
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { parseDumpsysBattery } from '../../main/devices/battery';
import { startFakeAdb } from '../fakes/adbServer';
import type { FakeAdb } from '../fakes/adbServer';
import { runTool } from '../support/runTool';
import type { ToolResult } from '../support/runTool';

const hasAdb = spawnSync('adb', ['version'], { stdio: 'ignore' }).status === 0;

let adb: FakeAdb | undefined;
afterEach(async () => {
  await adb?.close();
  adb = undefined;
});

async function client(...args: string[]): Promise<ToolResult> {
  if (!adb) throw new Error('no fake');
  return runTool('adb', ['-P', String(adb.port), ...args]);
}

describe.skipIf(!hasAdb)('the real adb client against the fake server (skipped: no `adb` on PATH)', () => {
  it('lists devices with `adb devices -l` and `adb devices`', async () => {
    adb = await startFakeAdb();
    adb.setDevices([
      { serial: 'R58M42ABCDE', state: 'device', usb: '1-1.4', product: 'greatltexx', model: 'SM-N950F', device: 'greatlte' },
      { serial: '192.168.1.20:5555', state: 'offline' },
      { serial: 'ZY22G7', state: 'unauthorized', usb: '1-2' },
    ]);
    const long = await client('devices', '-l');
    expect(long.code).toBe(0);
    expect(long.stdout).toBe(
      'List of devices attached\n' +
        'R58M42ABCDE            device usb:1-1.4 product:greatltexx model:SM_N950F device:greatlte transport_id:1\n' +
        '192.168.1.20:5555      offline transport_id:2\n' +
        'ZY22G7                 unauthorized usb:1-2 transport_id:3\n\n',
    );
    const short = await client('devices');
    expect(short.stdout).toBe('List of devices attached\nR58M42ABCDE\tdevice\n192.168.1.20:5555\toffline\nZY22G7\tunauthorized\n\n');
    expect(adb.requests).toContain('host:devices-l');
    // The client checked the server version first and was content (no host:kill).
    expect(adb.requests).toContain('host:version');
    expect(adb.requests).not.toContain('host:kill');
  });

  it('runs shell commands on one device: getprop and settings', async () => {
    adb = await startFakeAdb();
    adb.setDevices([
      {
        serial: 'R58M42ABCDE',
        state: 'device',
        props: { 'ro.product.model': 'SM-N950F' },
        settings: { global: { device_name: 'Galaxy Note 8' } },
      },
    ]);
    expect((await client('-s', 'R58M42ABCDE', 'shell', 'getprop', 'ro.product.model')).stdout).toBe('SM-N950F\n');
    expect((await client('-s', 'R58M42ABCDE', 'shell', 'settings', 'get', 'global', 'device_name')).stdout).toBe('Galaxy Note 8\n');
    expect((await client('-s', 'R58M42ABCDE', 'shell', 'getprop', 'ro.product.marketname')).stdout).toBe('\n');
    expect((await client('-s', 'R58M42ABCDE', 'get-state')).stdout).toBe('device\n');
  });

  it('answers `dumpsys battery` as BatteryService prints it', async () => {
    adb = await startFakeAdb();
    adb.setDevices([{ serial: 'R58M42ABCDE', state: 'device', battery: { level: 12, status: 3, usbPowered: false, temperatureTenths: 461, health: 3 } }]);
    const out = (await client('-s', 'R58M42ABCDE', 'shell', 'dumpsys', 'battery')).stdout;
    expect(out).toMatch(/^Current Battery Service state:\n/);
    expect(out).toContain('  level: 12\n');
    expect(out).toContain('  temperature: 461\n');
    expect(parseDumpsysBattery(out, 0)).toEqual({ level: 12, charging: false, temperatureC: 46.1, health: 'Overheat', at: 0 });
  });

  it('answers for unusable and unknown devices the way the real server does', async () => {
    adb = await startFakeAdb();
    adb.setDevices([
      { serial: 'ZY22G7', state: 'unauthorized' },
      { serial: '192.168.1.20:5555', state: 'offline' },
    ]);
    const unauthorized = await client('-s', 'ZY22G7', 'shell', 'getprop');
    expect(unauthorized.code).not.toBe(0);
    expect(unauthorized.stderr).toContain('device unauthorized');
    const offline = await client('-s', '192.168.1.20:5555', 'shell', 'getprop');
    expect(offline.stderr).toContain('device offline');
    const missing = await client('-s', 'NOPE', 'shell', 'getprop');
    expect(missing.stderr).toContain("device 'NOPE' not found");
  });

  it('stops on `adb kill-server`', async () => {
    adb = await startFakeAdb();
    const { code } = await client('kill-server');
    expect(code).toBe(0);
    expect(adb.requests).toContain('host:kill');
    // Nothing listens any more: the port refuses (checked with our own connection, not the client, which would start a server).
    const net = await import('node:net');
    const refused = await new Promise<string | undefined>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port: (adb as FakeAdb).port });
      s.on('connect', () => {
        s.destroy();
        resolve(undefined);
      });
      s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code));
    });
    expect(refused).toBe('ECONNREFUSED');
  });
});
