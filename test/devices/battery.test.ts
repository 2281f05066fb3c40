import { describe, expect, it } from 'vitest';
import { BatteryMonitor, parseDumpsysBattery, parseIosBattery } from '../../main/devices/battery';
import type { Battery, BatteryAlert, BatteryDevice } from '../../main/devices/battery';
import { FakeClock } from '../support/fakeClock';

// As Android 13 prints it.
const DUMPSYS = `Current Battery Service state:
  AC powered: false
  USB powered: true
  Wireless powered: false
  Dock powered: false
  Max charging current: 500000
  Max charging voltage: 5000000
  Charge counter: 2748000
  status: 2
  health: 2
  present: true
  level: 67
  scale: 100
  voltage: 4012
  temperature: 312
  technology: Li-ion
`;

describe('battery parsers', () => {
  it('reads dumpsys battery: level, charging, tenths of a degree, health word', () => {
    expect(parseDumpsysBattery(DUMPSYS, 5)).toEqual({ level: 67, charging: true, temperatureC: 31.2, health: 'Good', at: 5 });
    const hotUnplugged = DUMPSYS.replace('USB powered: true', 'USB powered: false').replace('status: 2', 'status: 3').replace('health: 2', 'health: 3').replace('temperature: 312', 'temperature: 471');
    expect(parseDumpsysBattery(hotUnplugged, 5)).toEqual({ level: 67, charging: false, temperatureC: 47.1, health: 'Overheat', at: 5 });
    expect(parseDumpsysBattery(DUMPSYS.replace('status: 2', 'status: 5'), 5)?.charging).toBe(true);
    expect(parseDumpsysBattery(DUMPSYS.replace('health: 2', 'health: 7'), 5)?.health).toBe('Cold');
    expect(parseDumpsysBattery("Can't find service: battery\n", 5)).toBeUndefined();
  });

  it('reads the lockdown battery domain', () => {
    expect(parseIosBattery({ BatteryCurrentCapacity: 88, BatteryIsCharging: false, ExternalConnected: false }, 9)).toEqual({ level: 88, charging: false, temperatureC: null, health: null, at: 9 });
    expect(parseIosBattery({}, 9)).toBeUndefined();
    expect(parseIosBattery(undefined, 9)).toBeUndefined();
  });
});

describe('BatteryMonitor', () => {
  function setup() {
    const clock = new FakeClock();
    const devices: BatteryDevice[] = [{ udid: 'A', name: 'Pixel', platform: 'android', status: 'Online' }];
    let reading: Omit<Battery, 'at'> | undefined = { level: 50, charging: true, temperatureC: 30, health: 'Good' };
    const probes: string[] = [];
    const monitor = new BatteryMonitor({
      clock,
      devices: () => devices,
      probe: (d) => {
        probes.push(d.udid);
        return Promise.resolve(reading ? { ...reading, at: clock.now() } : undefined);
      },
      thresholds: () => ({ lowPercent: 15, hotC: 45 }),
    });
    const alerts: BatteryAlert[] = [];
    monitor.onAlert((a) => alerts.push(a));
    const flush = () => new Promise((r) => setTimeout(r, 0));
    return { clock, devices, monitor, probes, alerts, flush, set: (r: typeof reading) => (reading = r) };
  }

  it('reads a device on connect and once a minute, never one that is not usable', async () => {
    const { clock, devices, monitor, probes, flush } = setup();
    monitor.start();
    await flush();
    expect(probes).toEqual(['A']);
    expect(monitor.get('A')).toMatchObject({ level: 50, charging: true });
    clock.advance(59_999);
    await flush();
    expect(probes).toEqual(['A']);
    clock.advance(1);
    await flush();
    expect(probes).toEqual(['A', 'A']);
    devices.push({ udid: 'B', name: 'Off', platform: 'android', status: 'Offline' });
    await monitor.devicesChanged();
    expect(probes).toEqual(['A', 'A']);
    (devices[1] as BatteryDevice).status = 'Online';
    await monitor.devicesChanged();
    expect(probes).toEqual(['A', 'A', 'B']);
    (devices[0] as BatteryDevice).status = 'Unplugged';
    await monitor.devicesChanged();
    expect(monitor.get('A')).toBeUndefined();
  });

  it('a low battery not charging alerts once; again only after it cleared and an hour passed; hot too', async () => {
    const { clock, monitor, alerts, flush, set } = setup();
    set({ level: 14, charging: false, temperatureC: 30, health: 'Good' });
    monitor.start();
    await flush();
    await monitor.pollAll();
    await monitor.pollAll();
    expect(alerts.map((a) => a.message)).toEqual(['Pixel (A) battery low: 14 %, not charging']);
    set({ level: 14, charging: true, temperatureC: 30, health: 'Good' });
    await monitor.pollAll();
    set({ level: 13, charging: false, temperatureC: 30, health: 'Good' });
    clock.advance(30 * 60_000);
    await monitor.pollAll();
    expect(alerts).toHaveLength(1);
    clock.advance(31 * 60_000);
    set({ level: 12, charging: true, temperatureC: 30, health: 'Good' });
    await monitor.pollAll();
    set({ level: 12, charging: false, temperatureC: 45, health: 'Good' });
    await monitor.pollAll();
    expect(alerts.map((a) => a.kind)).toEqual(['low', 'low', 'hot']);
    expect(alerts[2]?.message).toBe('Pixel (A) battery hot: 45 °C');
  });

  it('a device that does not answer shows nothing', async () => {
    const { monitor, flush, set } = setup();
    set(undefined);
    monitor.start();
    await flush();
    expect(monitor.get('A')).toBeUndefined();
  });
});
