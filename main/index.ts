// Composition root: build the services, open the window, register IPC. Nothing else.
import { app, BrowserWindow, dialog, ipcMain } from 'electron';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { createFileLogger } from './log';
import { NoticeBoard } from './notices';
import { installSecurity, isAppUrl, openExternal } from './security';
import type { AppEntry } from './security';
import { createMainWindow } from './window';
import { registerIpc } from './ipc/register';
import { appHandlers } from './ipc/app';
import { profileHandlers, profilesState } from './ipc/profiles';
import { push } from './ipc/push';
import { webhookHandlers, webhooksState } from './ipc/webhooks';
import { deviceHandlers, devicesState, localApiInfo } from './ipc/devices';
import { AdbSource } from './devices/adb';
import { openDeviceStateStore } from './devices/deviceState';
import { LocalApiHost } from './devices/localApiHost';
import { Reservations } from './devices/reservations';
import { DeviceTracker } from './devices/tracker';
import type { DeviceEvent } from './devices/tracker';
import { systemClock } from './devices/types';
import type { DeviceSource } from './devices/types';
import { UsbSource } from './devices/usb';
import { UsbmuxSource } from './devices/usbmux';
import type { DeviceEventInfo } from '../preload/contract';
import { StorageError } from './storage/errors';
import { openProfileStore } from './webhooks/profiles';
import type { Permission } from './webhooks/permissions';
import { createWebhookService } from './webhooks/service';
import { openWebhookStore } from './webhooks/store';

/** Run `fn` at most once per `ms`, trailing: a burst of changes makes one push or one save. */
function coalesce(fn: () => void, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  return () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      fn();
    }, ms);
  };
}

function osUser(): string {
  try {
    return userInfo().username || 'Admin';
  } catch {
    return 'Admin';
  }
}

async function start(): Promise<void> {
  await app.whenReady();
  const dataDir = app.getPath('userData');
  const logFile = join(dataDir, 'logs', 'main.log');
  const log = createFileLogger({ file: logFile, echo: !app.isPackaged });
  log('info', `DeviceHooks ${app.getVersion()} starting; data in ${dataDir}`);

  const devUrl = process.env['ELECTRON_RENDERER_URL'];
  const entry: AppEntry =
    !app.isPackaged && devUrl ? { kind: 'url', url: devUrl } : { kind: 'file', path: join(import.meta.dirname, '../renderer/index.html') };
  installSecurity(entry);

  const notices = new NoticeBoard();
  let stores;
  try {
    const webhooksOpened = await openWebhookStore({ dataDir, logger: log });
    const profilesOpened = await openProfileStore({ dataDir, osUserName: osUser(), logger: log });
    const deviceState = await openDeviceStateStore({ dataDir, logger: log });
    for (const recovered of [webhooksOpened.recovered, profilesOpened.recovered, deviceState.recovered]) if (recovered) notices.add('warning', recovered.message);
    stores = { webhooks: webhooksOpened.store, profiles: profilesOpened.profiles, deviceState };
  } catch (error) {
    // A data file from a newer DeviceHooks, or one that cannot be moved aside: never overwrite it.
    const message = error instanceof StorageError ? error.message : `DeviceHooks could not open its data in ${dataDir}: ${String(error)}`;
    log('error', message);
    dialog.showErrorBox('DeviceHooks cannot start', message);
    app.exit(1);
    return;
  }
  const { webhooks, profiles, deviceState } = stores;
  const webhookService = createWebhookService({ webhooks, profiles });
  const can = (permission: Permission) => profiles.can(profiles.activeProfileId(), permission);

  // Devices: sources → tracker (merge, debounce, status rules) → events. Reservations mark devices in use.
  const tracker = new DeviceTracker({ clock: systemClock, logger: log, previous: deviceState.saved(), trackedUsb: deviceState.store.data.trackedUsb });
  const reservations = new Reservations({ clock: systemClock, devices: tracker, logger: log });
  const sources: DeviceSource[] = [
    new UsbSource({ clock: systemClock, logger: log }),
    new AdbSource({ clock: systemClock, logger: log, env: process.env }),
    new UsbmuxSource({ clock: systemClock, logger: log, env: process.env }),
  ];
  const recentEvents: DeviceEventInfo[] = [];
  const localApi = new LocalApiHost({
    devices: tracker,
    reservations,
    logger: log,
    settings: () => ({ ...deviceState.store.data.localApi }),
    saveSettings: (settings) =>
      deviceState.store.update((draft) => {
        draft.localApi = settings;
      }),
  });

  let win: BrowserWindow | null = null;
  registerIpc(
    ipcMain,
    {
      ...appHandlers({
        info: () => ({ name: app.getName(), version: app.getVersion(), dataDir, logFile, osUser: osUser(), platform: process.platform }),
        notices,
        openExternal,
      }),
      ...webhookHandlers({ service: webhookService, store: webhooks, profiles, window: () => win }),
      ...profileHandlers(profiles),
      ...deviceHandlers({
        tracker,
        reservations,
        localApi,
        can,
        activeProfileName: () => profiles.activeProfile().name,
        recentEvents: () => [...recentEvents],
        trackedUsb: () => deviceState.store.data.trackedUsb,
        setTrackedUsb: (udids) =>
          deviceState.store.update((draft) => {
            draft.trackedUsb = udids;
          }),
      }),
    },
    (url) => isAppUrl(url, entry),
    log,
  );
  const pushWebhooks = () => push(win, 'webhooks:changed', webhooksState({ service: webhookService, store: webhooks, profiles }));
  webhooks.onChange(pushWebhooks);
  const pushDevices = coalesce(() => push(win, 'devices:changed', devicesState({ tracker, can, trackedUsb: () => deviceState.store.data.trackedUsb })), 100);
  const saveDevices = coalesce(() => void deviceState.saveDevices(tracker.exportState()).catch((e: unknown) => log('error', String(e))), 1000);
  profiles.onChange(() => {
    push(win, 'profiles:changed', profilesState(profiles));
    // What the active profile may do changed too.
    pushWebhooks();
    pushDevices();
    push(win, 'localApi:changed', localApiInfo({ localApi, can }));
  });
  tracker.onChange(() => {
    pushDevices();
    saveDevices();
  });
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
    recentEvents.unshift(info);
    if (recentEvents.length > 200) recentEvents.pop();
    push(win, 'devices:event', info);
  });
  localApi.onChange(() => push(win, 'localApi:changed', localApiInfo({ localApi, can })));
  for (const source of sources) {
    source.onSnapshot((snapshot) => tracker.ingest(snapshot));
    source.onHealth((health) => tracker.setSourceHealth(health));
    source.start();
  }
  void localApi.start();

  const openWindow = () => {
    win = createMainWindow({ preload: join(import.meta.dirname, '../preload/index.cjs'), entry });
    win.on('closed', () => {
      win = null;
    });
  };
  openWindow();
  notices.onAdd((notice) => push(win, 'app:notice', notice));

  app.on('second-instance', () => {
    if (!win) return openWindow();
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
    notices.add('info', 'DeviceHooks was already running, so this window was brought forward.');
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) openWindow();
  });
  app.on('window-all-closed', () => app.quit());
  let closing = false;
  app.on('will-quit', (event) => {
    if (closing) return;
    // Save the device states (seq numbers, last statuses) before the process ends.
    event.preventDefault();
    closing = true;
    log('info', 'DeviceHooks quitting');
    void (async () => {
      await Promise.allSettled(sources.map((s) => s.stop()));
      await localApi.stop();
      await deviceState.saveDevices(tracker.exportState()).catch((e: unknown) => log('error', String(e)));
      tracker.dispose();
      reservations.dispose();
      await Promise.allSettled([deviceState.store.close(), webhooks.close(), profiles.close()]);
      app.quit();
    })();
  });
}

// One instance per data folder: a second launch hands over to the first and leaves.
if (app.requestSingleInstanceLock()) {
  start().catch((error: unknown) => {
    process.stderr.write(`DeviceHooks failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    app.exit(1);
  });
} else {
  app.quit();
}
