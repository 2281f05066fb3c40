// The tracking and delivery core, composed once for both front ends: the Electron app (main/index.ts)
// and the headless runner. Plain Node: every dependency that comes from Electron (the secret box over
// safeStorage, the OS user name, where notices go) is passed in.
import { join } from 'node:path';
import type { DeviceEventInfo, NoticeLevel } from '../../preload/contract';
import { adoptCarriedPauses } from './carriedPauses';
import { dispatcherWiring, historyOptions, outboxOptions } from './deliveryWiring';
import { batteryReader, createDeviceSources } from './deviceSources';
import { createAxiosClient, createDispatcher, openHistory, openOutbox } from '../delivery';
import { describeOutboxDamage, saveProblemNotices } from '../delivery/outboxNotices';
import type { DeliveryEvent, DeliveryHistory, Dispatcher, Outbox } from '../delivery';
import { AppiumWatcher, appiumUrlsFrom } from '../devices/appium';
import { BatteryMonitor } from '../devices/battery';
import { TimelineLog, computeUtilization, readTimeline } from '../devices/timeline';
import type { UtilizationRow } from '../devices/timeline';
import type { BatteryDevice } from '../devices/battery';
import { openDeviceStateStore } from '../devices/deviceState';
import type { DeviceStateStore } from '../devices/deviceState';
import { Holds } from '../devices/holds';
import { LocalApiHost } from '../devices/localApiHost';
import { Reservations } from '../devices/reservations';
import { DeviceTracker } from '../devices/tracker';
import type { DeviceEvent } from '../devices/tracker';
import { systemClock } from '../devices/types';
import type { Clock, DeviceSource } from '../devices/types';
import { resumeDevices } from '../devices/sleep';
import type { Logger } from '../base/log';
import { Listeners } from '../base/listeners';
import { orphanSummary } from './orphans';
import { reconcileDevices } from './reconcile';
import { SecretWait } from './secretWait';
import { openSettingsStore } from './settings';
import type { SettingsStore } from './settings';
import { openProfileStore } from '../profiles/profiles';
import type { ProfileStore } from '../profiles/profiles';
import { plainBox } from '../webhooks/secrets';
import type { SecretBox } from '../webhooks/secrets';
import { createWebhookService } from '../webhooks/service';
import type { WebhookService } from '../webhooks/service';
import { openWebhookStore, WEBHOOKS_FILE } from '../webhooks/store';
import type { WebhookStore } from '../webhooks/store';

interface CoreOptions {
  dataDir: string;
  logger: Logger;
  /** Where the sources look for the adb server and usbmuxd (ADB_SERVER_SOCKET, USBMUXD_SOCKET_ADDRESS…). */
  env: NodeJS.ProcessEnv;
  /** For `User-Agent: DeviceHooks/<version>`. */
  version: string;
  osUserName: string;
  secretBox?: SecretBox;
  clock?: Clock;
  /** A sentence for the person at the screen (a banner in the app, the log in the headless runner). */
  notice: (level: NoticeLevel, message: string) => void;
  /** Called once each time a webhook pauses after its run of failures (the app shows an OS notification). */
  onWebhookPaused?: (webhookId: number, name: string) => void;
  /** Called when a webhook's queue becomes full and its new callbacks start being refused (and on every 1000th). */
  onQueueFull?: (webhookId: number, name: string, refused: number) => void;
  /** Start the local reservation API (the app does; the headless runner too unless told not to). */
  localApi?: boolean;
  /** Test and benchmark hooks: replace the device sources. */
  sources?: (clock: Clock) => DeviceSource[];
}

export interface Core {
  /** The data folder. */
  dataDir: string;
  settings: SettingsStore;
  webhooks: WebhookStore;
  profiles: ProfileStore;
  webhookService: WebhookService;
  deviceState: DeviceStateStore;
  tracker: DeviceTracker;
  reservations: Reservations;
  /** The Appium servers watched for sessions (their devices are Utilizing while a session runs). */
  appium: AppiumWatcher;
  /** Battery readings of the usable devices, and the low/hot alerts. */
  battery: BatteryMonitor;
  /** Each device's time Online, Utilizing, Offline, Unplugged and not watched within [from, to). */
  report(from: number, to: number): Promise<UtilizationRow[]>;
  sources: DeviceSource[];
  localApi: LocalApiHost;
  outbox: Outbox;
  history: DeliveryHistory;
  dispatcher: Dispatcher;
  /** Webhooks waiting for their secret (OS keyring locked); check() looks again (e.g. on window focus). */
  secretWait: SecretWait;
  recentEvents(): DeviceEventInfo[];
  onEvent(listener: (event: DeviceEventInfo) => void): () => void;
  /** Start the sources and the local API. */
  start(): Promise<void>;
  /** Stop taking events, let attempts in flight end (or stay queued), save everything. */
  stop(): Promise<void>;
  /** The machine goes to sleep: no status commits until resume(). */
  suspend(): void;
  /** The machine woke up: the sources reconnect and re-list before Offline/Unplugged can commit. */
  resume(): Promise<void>;
}

export async function openCore(options: CoreOptions): Promise<Core> {
  const { dataDir, logger: log } = options;
  const clock = options.clock ?? systemClock;

  const webhooksOpened = await openWebhookStore({ dataDir, logger: log, secretBox: options.secretBox ?? plainBox });
  const profilesOpened = await openProfileStore({ dataDir, osUserName: options.osUserName, logger: log });
  const deviceState = await openDeviceStateStore({ dataDir, logger: log });
  const settings = await openSettingsStore({ dataDir, logger: log });
  const limits = settings.general().delivery;
  for (const recovered of [webhooksOpened.recovered, profilesOpened.recovered, deviceState.recovered, settings.recovered]) {
    if (recovered) options.notice('warning', recovered.message);
  }
  const webhooks = webhooksOpened.store;
  const profiles = profilesOpened.profiles;
  const webhookService = createWebhookService({ webhooks, profiles });

  // The durable outbox first: it holds each device's last committed status (see reconcile.ts).
  const outbox = await openOutbox({
    ...outboxOptions(dataDir, limits, log),
    onOverflow: (info) => {
      if (info.refusedSinceFull !== 1 && info.refusedSinceFull % 1000 !== 0) return;
      const name = webhooks.get(info.webhookId)?.name ?? `Webhook ${info.webhookId}`;
      options.notice(
        'error',
        `${name}: its delivery queue is full (${info.limit} callbacks waiting); ${info.refusedSinceFull} new callback(s) refused so far, until its receiver catches up. Older callbacks are kept; other webhooks are not affected.`,
      );
      options.onQueueFull?.(info.webhookId, name, info.refusedSinceFull);
    },
    onSaveProblem: saveProblemNotices(options.notice),
  });
  if (outbox.openReport) log('info', `outbox: ${JSON.stringify(outbox.openReport)}`);

  // Devices: sources → tracker (merge, debounce, status rules) → events.
  const { onlineMs, offlineMs, unpluggedMs, settleMs } = settings.general().debounce;
  const tracker = new DeviceTracker({
    clock,
    logger: log,
    // devices.json may lag behind the outbox, where each committed change is written with its callbacks.
    previous: reconcileDevices(deviceState.saved(), outbox.committedDevices()),
    forgotten: deviceState.forgotten(),
    retentionMs: settings.general().deviceRetentionDays * 24 * 60 * 60 * 1000,
    trackedUsb: deviceState.store.data.trackedUsb,
    debounceMs: { online: onlineMs, offline: offlineMs, unplugged: unpluggedMs },
    settleWindowMs: settleMs,
  });
  // Reservations and Appium sessions both hold devices; the holds tell the tracker the combination.
  const holds = new Holds(tracker);
  const reservations = new Reservations({ clock, devices: holds, logger: log });
  const appium = new AppiumWatcher({ urls: appiumUrlsFrom(options.env, settings.general().appiumUrls), clock, logger: log });
  appium.onSessions((sessions) => holds.setSessions(sessions));
  const appiumStates = new Map<string, string>();
  appium.onHealth((servers) => {
    for (const s of servers) {
      if (appiumStates.get(s.url) === s.message) continue;
      appiumStates.set(s.url, s.message);
      log(s.state === 'down' || s.state === 'refused' ? 'warn' : 'info', `appium: ${s.message}`);
    }
  });
  const sources: DeviceSource[] = options.sources ? options.sources(clock) : createDeviceSources({ clock, logger: log, env: options.env });
  // Battery: on connect and once a minute; USB-only devices have none.
  const battery = new BatteryMonitor({
    clock,
    logger: log,
    devices: () => tracker.list().map((d): BatteryDevice => ({ udid: d.udid, name: d.name, platform: d.platform, status: d.status })),
    probe: batteryReader(sources),
    thresholds: () => settings.general().battery,
  });
  tracker.onChange(() => void battery.devicesChanged());
  battery.onAlert((alert) => log('warn', alert.message));
  const localApi = new LocalApiHost({
    devices: { list: () => tracker.list(), battery: (udid) => battery.get(udid) },
    reservations,
    logger: log,
    settings: () => ({ ...deviceState.store.data.localApi }),
    saveSettings: (settings) => deviceState.saveLocalApi(settings),
  });

  // Delivery: each event → matching webhooks → durable outbox → HTTP, kept apart from the settings.
  const damage = describeOutboxDamage(outbox.openReport);
  if (damage) options.notice('error', damage);
  const history = await openHistory(historyOptions(dataDir, limits, log));
  // A webhook id seen in the outbox or the history is never handed out again (webhooks.json may have
  // been set aside; its webhooks can be restored with their ids).
  let maxSeenId = history.webhookIds().reduce((m, id) => Math.max(m, id), 0);
  for (const id of outbox.pendingByWebhookId().keys()) maxSeenId = Math.max(maxSeenId, id);
  await webhooks.ensureIdsAbove(maxSeenId);
  // webhooks.json owns pause state: pauses an earlier version kept only in the outbox move there, once.
  const stillCarried = new Set(await adoptCarriedPauses(outbox, webhooks, log));
  const dispatcher = createDispatcher({
    outbox,
    history,
    http: createAxiosClient({}),
    ...dispatcherWiring({
      limits,
      webhooks,
      stillCarried,
      onDisabled: (id, reason) => options.notice('warning', `Webhook ${webhooks.get(id)?.name ?? id} was disabled: ${reason}`),
      onPaused: (id) => {
        const name = webhooks.get(id)?.name ?? `Webhook ${id}`;
        options.notice('warning', `Webhook ${name} is paused after repeated failures. Resume it in Webhook Settings.`);
        options.onWebhookPaused?.(id, name);
      },
    }),
    version: options.version,
    clock,
    logger: log,
  });
  const secretWait = new SecretWait({ list: () => webhooks.forDispatcher(), refresh: () => dispatcher.refresh(), notice: options.notice, clock });
  webhooks.onChange(() => {
    void dispatcher.refresh();
    secretWait.check();
  });

  const recent: DeviceEventInfo[] = [];
  const eventListeners = new Listeners<DeviceEventInfo>((error) => log('error', `device event listener failed: ${String(error)}`));
  tracker.onEvent((event: DeviceEvent) => {
    const info: DeviceEventInfo = {
      udid: event.udid,
      name: event.name,
      platform: event.platform,
      visibility: event.visibility,
      from: event.from,
      to: event.to,
      at: event.at,
      seq: event.seq,
    };
    log('info', `device ${event.udid} (${event.name}) ${event.from ?? 'new'} → ${event.to} #${event.seq}`);
    recent.unshift(info);
    if (recent.length > 200) recent.pop();
    eventListeners.emit(info);
    const delivery: DeliveryEvent = { udid: event.udid, name: event.name, platform: event.platform, to: event.to, at: event.at, seq: event.seq };
    void dispatcher.dispatch(delivery).then(
      ({ refused }) => {
        for (const { webhookId, error } of refused) log('error', `event ${event.udid}#${event.seq} not queued for webhook ${webhookId}: ${error.message}`);
      },
      (error: unknown) => log('error', `dispatch failed: ${String(error)}`),
    );
  });

  tracker.onFlapping((notice) => log('warn', notice.message));

  // The utilization timeline: every committed status (also the silent Utilizing → Online), start/alive/stop marks.
  const timelineFile = join(dataDir, 'timeline.jsonl');
  const timeline = new TimelineLog({ file: timelineFile, now: () => clock.now(), onError: (e) => log('error', `could not write the status timeline: ${String(e)}`) });
  await timeline.open().catch((e: unknown) => log('error', `could not open the status timeline: ${String(e)}`));
  let watchingSince: number | null = null;
  const recordStatuses = () => {
    if (watchingSince === null) return;
    for (const d of tracker.list()) if (d.status !== null) timeline.status(d.udid, d.status, d.name, d.platform, Math.max(d.since, watchingSince));
  };
  tracker.onChange(recordStatuses);
  const aliveTimer = setInterval(() => {
    if (watchingSince !== null) timeline.mark('alive');
  }, 60_000);
  aliveTimer.unref();

  let saveTimer: ReturnType<typeof setTimeout> | null = null;
  const saveDevices = () => deviceState.saveDevices(tracker.exportState(), tracker.exportForgotten()).catch((e: unknown) => log('error', `could not save device states: ${String(e)}`));
  tracker.onChange(() => {
    saveTimer ??= setTimeout(() => {
      saveTimer = null;
      void saveDevices();
    }, 1000);
  });

  // Devices Unplugged for longer than the retention are forgotten (checked at start and hourly).
  const retentionTimer = setInterval(() => tracker.forgetExpired(), 60 * 60 * 1000);
  retentionTimer.unref();

  let stopped = false;
  const orphans = orphanSummary({ webhooks, outbox });
  if (orphans.count > 0) {
    options.notice(
      'warning',
      `${orphans.count} callback(s) wait for webhooks that are no longer defined (ids ${orphans.webhookIds.join(', ')}): they are kept. Restore those webhooks from the set-aside ${WEBHOOKS_FILE}, or discard the callbacks, in Webhook Settings.`,
    );
  }

  return {
    dataDir,
    settings,
    webhooks,
    profiles,
    webhookService,
    deviceState,
    tracker,
    reservations,
    appium,
    battery,
    async report(from, to) {
      await timeline.flush();
      return computeUtilization(readTimeline(timelineFile), { from, to, now: clock.now() });
    },
    sources,
    localApi,
    outbox,
    history,
    dispatcher,
    secretWait,
    recentEvents: () => [...recent],
    onEvent: (listener) => eventListeners.add(listener),
    async start() {
      secretWait.start();
      for (const source of sources) {
        source.onSnapshot((snapshot) => tracker.ingest(snapshot));
        source.onHealth((health) => tracker.setSourceHealth(health));
        source.start();
      }
      appium.start();
      battery.start();
      watchingSince = clock.now();
      timeline.mark('start', watchingSince);
      recordStatuses();
      if (options.localApi !== false) await localApi.start();
    },
    suspend() {
      log('info', 'the system is going to sleep: device statuses wait for the wake-up');
      tracker.suspend();
    },
    async resume() {
      if (stopped) return;
      log('info', 'the system woke up: the device sources reconnect and re-list');
      await resumeDevices(tracker, sources);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(retentionTimer);
      secretWait.stop();
      clearInterval(aliveTimer);
      if (watchingSince !== null) {
        recordStatuses();
        timeline.mark('stop');
        watchingSince = null;
      }
      await timeline.flush();
      if (saveTimer) clearTimeout(saveTimer);
      battery.stop();
      await Promise.allSettled([...sources.map((s) => s.stop()), appium.stop()]);
      await localApi.stop();
      await dispatcher.stop({ timeoutMs: 5_000 });
      await saveDevices();
      tracker.dispose();
      reservations.dispose();
      holds.dispose();
      await Promise.allSettled([outbox.close(), history.close(), deviceState.store.close(), settings.store.close(), webhooks.close(), profiles.close()]);
    },
  };
}
