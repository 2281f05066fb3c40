// Where a command runs: on the runner's live core (the runner serves its control socket with coreContext),
// or on the data folder itself (openFolderContext), opened by this process while it holds the folder's
// lock, or on a copy of the files when the holder of the folder does not answer and the command only reads.
import { adoptCarriedPauses } from '../services/carriedPauses';
import { dispatcherWiring, historyOptions, outboxOptions } from '../services/deliveryWiring';
import { batteryReader, createDeviceSources } from '../services/deviceSources';
import type { Core } from '../services/core';
import { createAxiosClient, createDispatcher, openHistory, openOutbox } from '../delivery';
import type { DeliveryHistory, Dispatcher, Outbox } from '../delivery';
import { openDeviceStateStore } from '../devices/deviceState';
import { DeviceTracker } from '../devices/tracker';
import type { DeviceView } from '../devices/tracker';
import { systemClock } from '../devices/types';
import type { SourceId } from '../devices/types';
import type { Battery } from '../devices/battery';
import type { Logger } from '../base/log';
import { openSettingsStore } from '../services/settings';
import type { SettingsStore } from '../services/settings';
import { openProfileStore } from '../profiles/profiles';
import { plainBox } from '../webhooks/secrets';
import { createWebhookService } from '../webhooks/service';
import { openWebhookStore } from '../webhooks/store';
import type { CliContext, CliDevice, CliDevices } from './commands';

function connectedDevice(devices: DeviceView[]) {
  const present = devices.filter((d) => d.status && d.status !== 'Unplugged');
  const device = present.find((d) => d.status === 'Online') ?? present[0];
  return device ? { udid: device.udid, name: device.name, platform: device.platform } : undefined;
}

/** The runner's own core: changes take effect at once (the dispatcher hears of every store change). */
export function coreContext(core: Core, dataDir: string): CliContext {
  return {
    dataDir,
    service: core.webhookService,
    webhooks: core.webhooks,
    history: () => Promise.resolve(core.history),
    dispatcher: () => Promise.resolve(core.dispatcher),
    devices: () => Promise.resolve({ devices: withBattery(core.tracker.list(), (udid) => core.battery.get(udid)), health: core.tracker.sourceHealth() }),
    testDevice: () => Promise.resolve(connectedDevice(core.tracker.list())),
    attemptWaitMs: core.settings.general().delivery.timeoutSeconds * 1000 + 2_000,
    retriedBy: 'by the runner on its schedule',
    now: Date.now,
  };
}

interface FolderContext extends CliContext {
  /** Lets attempts in flight end (up to 5 s; what is unfinished stays in the outbox) and closes every file. */
  close(): Promise<void>;
  /** Sentences about files that had to be moved aside when they were opened. */
  notices: string[];
}

interface FolderContextOptions {
  dataDir: string;
  logger: Logger;
  osUserName: string;
  version: string;
  env: NodeJS.ProcessEnv;
}

/** The folder's stores, opened as they are needed. Only while this process holds the folder (or on a copy). */
export async function openFolderContext(options: FolderContextOptions): Promise<FolderContext> {
  const { dataDir, logger } = options;
  const notices: string[] = [];
  const webhooksOpened = await openWebhookStore({ dataDir, logger, secretBox: plainBox });
  const profilesOpened = await openProfileStore({ dataDir, osUserName: options.osUserName, logger });
  for (const r of [webhooksOpened.recovered, profilesOpened.recovered]) if (r) notices.push(r.message);
  const webhooks = webhooksOpened.store;
  const profiles = profilesOpened.profiles;
  const service = createWebhookService({ webhooks, profiles });

  let settings: Promise<SettingsStore> | undefined;
  let history: Promise<DeliveryHistory> | undefined;
  let outbox: Promise<Outbox> | undefined;
  let dispatcher: Promise<Dispatcher> | undefined;
  let http: ReturnType<typeof createAxiosClient> | undefined;
  const openSettings = () =>
    (settings ??= openSettingsStore({ dataDir, logger }).then((s) => {
      if (s.recovered) notices.push(s.recovered.message);
      return s;
    }));
  const openHist = () =>
    (history ??= openSettings().then((s) => openHistory(historyOptions(dataDir, s.general().delivery, logger))));
  const openOut = () => (outbox ??= openSettings().then((s) => openOutbox(outboxOptions(dataDir, s.general().delivery, logger))));
  const openDispatcher = () =>
    (dispatcher ??= (async () => {
      const limits = (await openSettings()).general().delivery;
      const box = await openOut();
      const stillCarried = new Set(await adoptCarriedPauses(box, webhooks, logger));
      http = createAxiosClient({});
      // Like the runner's (main/services/core.ts): what waits in the outbox may go out while this command runs.
      return createDispatcher({
        outbox: box,
        history: await openHist(),
        http,
        ...dispatcherWiring({ limits, webhooks, stillCarried }),
        version: options.version,
        logger,
      });
    })());
  const timeoutSeconds = (await openSettings()).general().delivery.timeoutSeconds;

  return {
    dataDir,
    service,
    webhooks,
    notices,
    history: openHist,
    dispatcher: openDispatcher,
    devices: () => probeDevices(options),
    testDevice: async () => undefined,
    attemptWaitMs: timeoutSeconds * 1000 + 2_000,
    retriedBy: 'by the headless runner (or the desktop app) when it next runs on this folder',
    now: Date.now,
    async close() {
      const d = dispatcher ? await dispatcher : undefined;
      await d?.stop({ timeoutMs: 5_000 });
      http?.close();
      const closing: Promise<unknown>[] = [webhooks.close(), profiles.close()];
      if (outbox) closing.push((await outbox).close());
      if (history) closing.push((await history).close());
      if (settings) closing.push((await settings).store.close());
      await Promise.allSettled(closing);
    },
  };
}

/** How long a look at the devices waits for the sources' first lists, and for names after a change. */
const PROBE_MAX_MS = 4_000;
const PROBE_QUIET_MS = 300;

/**
 * Without a runner: ask adb, usbmuxd and the USB bus now, with the last known states from devices.json
 * (names, since when). No debounce and no events: a look, not tracking (nothing is sent, nothing saved).
 */
async function probeDevices(options: FolderContextOptions): Promise<CliDevices> {
  const { dataDir, logger, env } = options;
  const state = await openDeviceStateStore({ dataDir, logger });
  const previous = state.saved();
  const trackedUsb = [...state.store.data.trackedUsb];
  await state.store.close();
  const clock = systemClock;
  const sources = createDeviceSources({ clock, logger, env });
  const tracker = new DeviceTracker({
    clock,
    logger,
    previous,
    trackedUsb,
    debounceMs: { online: 0, offline: 0, unplugged: 0 },
    settleAfterMs: null,
  });
  const heard = new Set<SourceId>();
  let lastChange = Date.now();
  for (const source of sources) {
    source.onSnapshot((snapshot) => {
      heard.add(source.id);
      lastChange = Date.now();
      tracker.ingest(snapshot);
    });
    source.onHealth((health) => {
      tracker.setSourceHealth(health);
      if (health.state === 'down') heard.add(source.id);
    });
    source.start();
  }
  const started = Date.now();
  while (Date.now() - started < PROBE_MAX_MS && (heard.size < sources.length || Date.now() - lastChange < PROBE_QUIET_MS)) {
    await new Promise((done) => setTimeout(done, 50));
  }
  tracker.sourcesSettled();
  await new Promise((done) => setTimeout(done, 0));
  // Each usable device's battery, read once (a runner reads it on connect and once a minute).
  const readBattery = batteryReader(sources);
  const listed = tracker.list();
  const readings = new Map<string, Battery>();
  await Promise.allSettled(
    listed
      .filter((d) => d.status === 'Online' || d.status === 'Utilizing')
      .map(async (d) => {
        const reading = await readBattery(d);
        if (reading) readings.set(d.udid, reading);
      }),
  );
  const result = { devices: withBattery(listed, (udid) => readings.get(udid)), health: tracker.sourceHealth() };
  await Promise.allSettled(sources.map((s) => s.stop()));
  tracker.dispose();
  return result;
}

function withBattery(devices: readonly DeviceView[], battery: (udid: string) => Battery | undefined): CliDevice[] {
  return devices.map((d) => {
    const reading = battery(d.udid);
    return reading ? { ...d, battery: reading } : d;
  });
}
