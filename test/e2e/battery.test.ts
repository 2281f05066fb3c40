// Battery in the built app: the adb fake answers `dumpsys battery`, the usbmuxd fake the lockdown battery
// domain; the rows show level, charging, temperature and Android's health word; a low battery not charging
// notifies once.
import { describe, expect, it } from 'vitest';
import { launchApp } from './harness';

describe('Device battery', () => {
  it('rows show the battery of an Android phone and an iPhone; a low one notifies once', async () => {
    const app = await launchApp();
    const { page } = app;
    await page.getByRole('heading', { name: 'Devices', level: 1 }).waitFor();
    app.adb.setDevices([
      {
        serial: 'R58M42ABCDE',
        state: 'device',
        usb: '1-1',
        model: 'SM-N950F',
        settings: { global: { device_name: 'Galaxy Note 8' } },
        battery: { level: 12, status: 3, usbPowered: false, temperatureTenths: 461, health: 3 },
      },
    ]);
    app.usbmux.attach({ udid: '00008030-001A35E11A88002E', name: 'QA iPhone', battery: { BatteryCurrentCapacity: 88, BatteryIsCharging: true } });

    const android = page.getByRole('row', { name: 'Galaxy Note 8' });
    await android.getByText('12 % · not charging · 46.1 °C').waitFor({ timeout: 15_000 });
    await android.getByText('Overheat').waitFor();
    await page.getByRole('row', { name: 'QA iPhone' }).getByText('88 % · charging').waitFor({ timeout: 15_000 });

    await app.waitForReport('notification', (r) => r.title === 'Device battery' && String(r.body) === 'Galaxy Note 8 (R58M42ABCDE) battery low: 12 %, not charging', 10_000);
    await app.screenshot('devices-battery');
    // Unplug and replug: read again on connect, but no second notification within the hour.
    app.adb.setDevices([]);
    await page.getByRole('row', { name: 'Galaxy Note 8' }).getByTestId('status').getByText('Unplugged').waitFor({ timeout: 10_000 });
    app.adb.setDevices([{ serial: 'R58M42ABCDE', state: 'device', usb: '1-1', settings: { global: { device_name: 'Galaxy Note 8' } }, battery: { level: 11, status: 3, usbPowered: false } }]);
    await android.getByText('11 % · not charging · 25 °C').waitFor({ timeout: 15_000 });
    expect(app.reports.filter((r) => r.type === 'notification' && r.title === 'Device battery' && String(r.body).includes('battery low'))).toHaveLength(1);
  }, 60_000);
});
