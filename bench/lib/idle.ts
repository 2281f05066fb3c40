// Phase 4, idle: 20 Android devices connected through the REAL AdbSource (our track-devices client)
// to a fake adb server that runs in the receiver process, the whole pipeline open (tracker, dispatcher,
// outbox, history, axios client, 2 signed webhooks), and what else the app polls with its defaults, as
// main/services/core.ts composes it: the battery of every device (adb `dumpsys battery`, once a minute)
// and the Appium server at its default URL (every 2 s; none runs here, as in a lab without Appium),
// nothing changing. After the devices came Online
// (their 40 callbacks delivered) and their names were looked up, a full GC, then this process's own
// CPU time (process.cpuUsage: user + system, all threads) over BENCH_IDLE_SECONDS (default 60), read once a
// second to see when any of it is spent.
import { join } from 'node:path';
import { AdbSource } from '../../main/devices/adb';
import { AppiumWatcher } from '../../main/devices/appium';
import { BatteryMonitor } from '../../main/devices/battery';
import type { BatteryDevice } from '../../main/devices/battery';
import { DEFAULT_APPIUM_URL, generalSettingsSchema } from '../../preload/contract/settings';
import { systemClock } from '../../main/devices/types';
import { benchWebhooks, openPipeline } from './pipeline';
import type { ReceiverProcess } from './receiverClient';
import { sleep, waitFor } from './stats';

export interface IdleResult {
  devices: number;
  seconds: number;
  cpuPercent: number;
  cpuUserMs: number;
  cpuSystemMs: number;
  /** during the measured window: none expected */
  snapshots: number;
  changes: number;
  events: number;
  deliveriesBefore: number;
  lost: number;
  /** CPU µs of each second of the window */
  perSecondUs: number[];
  problems: string[];
}

export async function runIdle(options: { receiver: ReceiverProcess; dir: string; seconds: number; devices?: number }): Promise<IdleResult> {
  const { receiver } = options;
  const count = options.devices ?? 20;
  const store = await benchWebhooks(join(options.dir, 'idle'), receiver.url, 2, true);
  const hooks = store.list();
  await receiver.setSecrets(store.secrets);
  await receiver.reset(false);
  const port = await receiver.startAdb(count);
  const p = await openPipeline({ dir: join(options.dir, 'idle'), devices: [], webhooks: store.list, restoreOnline: false });
  const source = new AdbSource({
    address: { kind: 'tcp', host: '127.0.0.1', port, label: `127.0.0.1:${port}` },
    clock: systemClock,
    findAdb: () => undefined,
    logger: (level, message) => {
      if (level === 'warn' || level === 'error') p.problems.push(`adb ${level}: ${message}`);
    },
  });
  let snapshots = 0;
  let changes = 0;
  source.onSnapshot((snapshot) => {
    snapshots++;
    p.tracker.ingest(snapshot);
  });
  source.onHealth((health) => p.tracker.setSourceHealth(health));
  p.tracker.onChange(() => changes++);
  const defaults = generalSettingsSchema.parse({});
  const battery = new BatteryMonitor({
    clock: systemClock,
    devices: () => p.tracker.list().map((d): BatteryDevice => ({ udid: d.udid, name: d.name, platform: d.platform, status: d.status })),
    probe: (d) => source.readBattery(d.udid),
    thresholds: () => defaults.battery,
  });
  p.tracker.onChange(() => void battery.devicesChanged());
  const appium = new AppiumWatcher({ urls: defaults.appiumUrls.length > 0 ? defaults.appiumUrls : [DEFAULT_APPIUM_URL], clock: systemClock });
  try {
    source.start();
    battery.start();
    appium.start();
    // Online (500 ms debounce) and named (the adb shell lookups), then the callbacks of those events out.
    await waitFor(
      `${count} devices Online and named`,
      () => {
        const list = p.tracker.list();
        return list.length === count && list.every((d) => d.status === 'Online' && d.name !== d.udid);
      },
      20_000,
      50,
    );
    await p.settle();
    const deliveriesBefore = count * hooks.length;
    const report = await receiver.report();
    const lost = Math.max(0, deliveriesBefore - report.unique);
    await sleep(1_000);
    (globalThis as { gc?: () => void }).gc?.();
    await sleep(1_000);

    const before = { snapshots, changes, events: p.events };
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    // CPU per second too (one wake-up a second: a few µs), to see WHEN any CPU is spent.
    const perSecondUs: number[] = [];
    let last = c0;
    for (let s = 0; s < options.seconds; s++) {
      await sleep(Math.max(0, t0 + (s + 1) * 1000 - performance.now()));
      const now = process.cpuUsage();
      perSecondUs.push(now.user + now.system - last.user - last.system);
      last = now;
    }
    const cpu = process.cpuUsage(c0);
    const wallMs = performance.now() - t0;
    return {
      devices: count,
      seconds: wallMs / 1000,
      cpuPercent: ((cpu.user + cpu.system) / 1000 / wallMs) * 100,
      cpuUserMs: cpu.user / 1000,
      cpuSystemMs: cpu.system / 1000,
      snapshots: snapshots - before.snapshots,
      changes: changes - before.changes,
      events: p.events - before.events,
      deliveriesBefore,
      lost,
      perSecondUs,
      problems: p.problems,
    };
  } finally {
    battery.stop();
    await appium.stop();
    await source.stop();
    await p.close();
    await store.close();
    await receiver.stopAdb();
  }
}
