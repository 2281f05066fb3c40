// The built headless runner watching a fake Appium server (DEVICEHOOKS_APPIUM_URLS): a session on the adb
// fake's phone makes it Utilizing (one callback); the session's end returns it to Online with no callback;
// a server that stops answering keeps its sessions 30 s (nothing at 10 s) and releases them after.
import { afterEach, describe, expect, it } from 'vitest';
import type { ReceivedRequest } from '../../main/delivery/receiver';
import { startFakeAppium } from '../fakes/appium';
import type { FakeAppium } from '../fakes/appium';
import { STARTED, prepareDataDir, receiver, runCli, runHeadless, startFakes, stopAll, tempDataDir } from './runner';

let appium: FakeAppium | null = null;
afterEach(async () => {
  await appium?.close();
  appium = null;
  await stopAll();
});

const note8 = { serial: 'ce0917193a6e4f2b05', state: 'device', usb: '1-1', model: 'SM-N950F', settings: { global: { device_name: 'Galaxy Note 8' } } };
const activity = (r: ReceivedRequest) => (JSON.parse(r.body) as { eventActivity: string }).eventActivity;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface ApiDevice {
  udid: string;
  status: string;
  inUse: { session?: { id: string; server: string } } | null;
  battery: { level: number | null; charging: boolean | null; temperatureC: number | null; health: string | null } | null;
}

describe('headless runner with an Appium server', () => {
  it('the local API shows the phone battery; a session holds the phone (Utilizing callback), its end frees it silently, an outage releases only after 30 s', async () => {
    const dataDir = await tempDataDir();
    const fakes = await startFakes();
    appium = await startFakeAppium({ generation: 3, sessionDiscovery: true });
    const hooks = await receiver();
    const { apiToken } = await prepareDataDir(dataDir, [{ name: 'Lab', url: `${hooks.url}/hooks`, events: { online: true, utilizing: true } }]);
    const runner = runHeadless(dataDir, fakes, [], { DEVICEHOOKS_APPIUM_URLS: appium.url });
    const apiUrl = (await runner.waitFor(STARTED))[4];
    const device = async (): Promise<ApiDevice | undefined> => {
      const res = await fetch(`${apiUrl}/v1/devices`, { headers: { Authorization: `Bearer ${apiToken}` } });
      return ((await res.json()) as { devices: ApiDevice[] }).devices.find((d) => d.udid === note8.serial);
    };

    fakes.adb.setDevices([note8]);
    await expect.poll(() => hooks.requests().map(activity), { timeout: 15_000 }).toEqual(['device.status.online']);
    // The adb fake's dumpsys battery (full, on USB power, 25.0 °C), read on connect.
    await expect.poll(async () => (await device())?.battery, { timeout: 10_000 }).toEqual({ level: 100, charging: true, temperatureC: 25, health: 'Good' });

    const first = appium.addSession({ 'appium:udid': note8.serial, platformName: 'Android' });
    await expect.poll(() => hooks.requests().map(activity), { timeout: 10_000 }).toEqual(['device.status.online', 'device.state.utilizing']);
    expect(await device()).toMatchObject({ status: 'Utilizing', inUse: { session: { id: first, server: appium.url } } });
    // The command line says the same, in JSON and in its table.
    const listed = JSON.parse((await runCli(dataDir, fakes, ['devices', '--json'])).stdout) as { udid: string; inUse: unknown }[];
    expect(listed.find((d) => d.udid === note8.serial)?.inUse).toMatchObject({ session: { id: first, server: appium.url, since: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) } });
    expect((await runCli(dataDir, fakes, ['devices'])).stdout).toMatch(new RegExp(`Utilizing.*Galaxy Note 8.*Appium session.*${note8.serial}`));

    appium.endSession(first);
    await expect.poll(async () => (await device())?.status, { timeout: 10_000 }).toBe('Online');
    await sleep(2_500);
    expect(hooks.requests()).toHaveLength(2);

    appium.addSession({ udid: note8.serial });
    await expect.poll(() => hooks.requests().length, { timeout: 10_000 }).toBe(3);
    await appium.kill();
    await runner.waitFor(/appium: Appium server \S+ is not answering/, { timeoutMs: 10_000 });
    await sleep(10_000);
    expect((await device())?.status).toBe('Utilizing');
    await expect.poll(async () => (await device())?.status, { timeout: 35_000, interval: 1000 }).toBe('Online');
    expect(hooks.requests().map(activity)).toEqual(['device.status.online', 'device.state.utilizing', 'device.state.utilizing']);
    expect(await runner.stop('SIGINT')).toEqual({ code: 0, signal: null });
  }, 90_000);
});
