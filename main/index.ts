// Composition root: build the services, open the window, register IPC. Nothing else.
import { app, dialog, ipcMain, Notification, powerMonitor, safeStorage } from 'electron';
import type { BrowserWindow } from 'electron';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { openCore } from './services/core';
import { acquireDataLock } from './storage/dataLock';
import type { Core } from './services/core';
import { ReceiverHost } from './delivery/receiverHost';
import { appHandlers } from './ipc/app';
import { deliveryHandlers } from './ipc/deliveries';
import { deviceHandlers, devicesState, localApiInfo } from './ipc/devices';
import { reportHandlers } from './ipc/report';
import { profileHandlers, profilesState } from './ipc/profiles';
import { holdsFor, runAction } from './ipc/access';
import { pusher } from './ipc/push';
import { registerIpc } from './ipc/register';
import { NOT_ALLOWED_MESSAGE } from '../preload/contract';
import { webhookHandlers, webhooksState } from './ipc/webhooks';
import { Listeners } from './base/listeners';
import { createFileLogger } from './base/log';
import { NoticeBoard } from './services/notices';
import { restrictNewFiles, tightenDataDir, tightenSummary } from './services/ownerOnly';
import { installSecurity, isAppUrl, openExternal, registerAppScheme } from './shell/security';
import type { AppEntry } from './shell/security';
import { StorageError } from './storage/errors';
import type { Permission } from './profiles/permissions';
import { createOsBox } from './webhooks/secrets';
import { createMainWindow } from './shell/window';
import { setLinuxAutostart } from './shell/autostart';
import { generalInfo, settingsHandlers } from './ipc/settings';
import { Notifier } from './shell/notifier';
import type { GeneralSettings } from './services/settings';
import { coalesce } from './base/coalesce';
import { installAppMenu, installTray } from './shell/tray';

/** Start at login: Electron's login item on macOS and Windows, an autostart entry on Linux. */
async function applyLoginItem(settings: GeneralSettings): Promise<void> {
  if (process.platform === 'linux') {
    const exec = app.isPackaged ? [process.env['APPIMAGE'] ?? process.execPath] : [process.execPath, app.getAppPath()];
    await setLinuxAutostart(settings.startAtLogin, exec, settings.startHidden);
  } else {
    app.setLoginItemSettings({ openAtLogin: settings.startAtLogin, args: settings.startHidden ? ['--hidden'] : [] });
  }
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
    !app.isPackaged && devUrl ? { kind: 'url', url: devUrl } : { kind: 'app', dir: join(import.meta.dirname, '../renderer') };
  installSecurity(entry);

  // One DeviceHooks per data folder: the headless runner and this app must not both use it.
  const lock = acquireDataLock(dataDir, { kind: 'desktop', logger: log });
  if (!lock.ok) {
    log('error', lock.message);
    dialog.showErrorBox('DeviceHooks cannot start', lock.message);
    app.exit(1);
    return;
  }
  // Files only for their owner: an existing data folder (and what is in it) is tightened once at start.
  const tightened = tightenSummary(dataDir, tightenDataDir(dataDir));
  if (tightened) log('warn', tightened);

  const notices = new NoticeBoard();
  let core: Core;
  /** Redraws waiting for a webhook whose queue became full (the tray). */
  const queueFullListeners = new Listeners<void>((error) => log('error', `queue-full listener failed: ${String(error)}`));
  // OS notifications, rate-limited, for the kinds chosen in Settings › General.
  const notifier = new Notifier({
    enabled: (kind) => core.settings.general().notifications[kind],
    show: (title, body) => {
      if (Notification.isSupported()) new Notification({ title, body, silent: false }).show();
    },
  });

  try {
    core = await openCore({
      dataDir,
      logger: log,
      env: process.env,
      version: app.getVersion(),
      osUserName: osUser(),
      secretBox: createOsBox(safeStorage),
      notice: (level, message) => notices.add(level, message),
      onWebhookPaused: (_id, name) => notifier.notify('webhookPaused', `${name} paused after repeated failures; new events still queue`),
      onQueueFull: (_id, name, refused) => {
        notifier.notify('deliveryFailed', `${name}: delivery queue full, ${refused} new callback(s) refused`);
        queueFullListeners.emit();
      },
    });
  } catch (error) {
    // A data file from a newer DeviceHooks, or one that cannot be moved aside: never overwrite it.
    const message = error instanceof StorageError ? error.message : `DeviceHooks could not open its data in ${dataDir}: ${String(error)}`;
    log('error', message);
    dialog.showErrorBox('DeviceHooks cannot start', message);
    lock.release();
    app.exit(1);
    return;
  }
  const { webhooks, profiles, webhookService, tracker, reservations, localApi, deviceState, settings } = core;
  const { delivery: deliveryInUse, debounce: debounceInUse, appiumUrls: appiumUrlsInUse } = settings.general();
  const deliveryLimitsInUse = { delivery: deliveryInUse, debounce: debounceInUse, appiumUrls: appiumUrlsInUse };
  const appiumHealth = () => core.appium.health();
  const batteryOf = (udid: string) => core.battery.get(udid);
  const can = (permission: Permission) => profiles.can(profiles.activeProfileId(), permission);
  const holds = holdsFor(can);
  const receiver = new ReceiverHost(() => webhooks.deliveryWebhooks().flatMap((w) => (w.secret ? [w.secret] : [])));

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
      ...reportHandlers({ report: (from, to) => core.report(from, to), now: () => Date.now(), window: () => win }),
      ...deviceHandlers({
        tracker,
        reservations,
        localApi,
        can,
        activeProfileName: () => profiles.activeProfile().name,
        recentEvents: () => core.recentEvents(),
        trackedUsb: () => deviceState.store.data.trackedUsb,
        appium: appiumHealth,
        battery: batteryOf,
        setTrackedUsb: (udids) => deviceState.setTrackedUsb(udids),
      }),
      ...deliveryHandlers({ core, receiver }),
      ...settingsHandlers({ settings, canManage: () => can('org_setting.modify'), inUse: deliveryLimitsInUse, applyLoginItem }),
    },
    (url) => isAppUrl(url, entry),
    log,
    holds,
  );

  // Pushes: main → renderer, each on its named channel, only when the active profile holds its permission.
  const push = pusher(() => win, holds);
  notices.onAdd((notice) => push('app:notice', notice));
  const pushWebhooks = () => push('webhooks:changed', webhooksState({ service: webhookService, store: webhooks, profiles }));
  const pushDevices = coalesce(() => push('devices:changed', devicesState({ tracker, can, trackedUsb: () => deviceState.store.data.trackedUsb, appium: appiumHealth, battery: batteryOf })), 100);
  webhooks.onChange(() => {
    pushWebhooks();
    receiver.refreshSecrets();
  });
  // A webhook starts or stops waiting for its secret: the rows and the Deliveries view say so.
  core.secretWait.onChange(() => {
    pushWebhooks();
    receiver.refreshSecrets();
  });
  profiles.onChange(() => {
    push('settings:changed', generalInfo({ settings, canManage: () => can('org_setting.modify'), inUse: deliveryLimitsInUse }));
    push('profiles:changed', profilesState(profiles));
    // What the active profile may do changed too.
    pushWebhooks();
    pushDevices();
    push('localApi:changed', localApiInfo({ localApi, can }));
    push('receiver:changed', receiver.info());
  });
  tracker.onChange(pushDevices);
  core.appium.onHealth(pushDevices);
  core.battery.onChange(pushDevices);
  core.battery.onAlert((alert) => notifier.notify('deviceBattery', alert.message));
  core.onEvent((event) => push('devices:event', event));
  localApi.onChange(() => push('localApi:changed', localApiInfo({ localApi, can })));
  core.dispatcher.onAttempt((attempt) => push('deliveries:attempt', attempt));
  receiver.onChange((info) => push('receiver:changed', info));
  receiver.onRequest((request) => push('receiver:request', request));

  core.onEvent((event) => {
    if (event.to === 'Offline') notifier.notify('deviceOffline', `${event.name} (${event.udid}) is offline`);
    if (event.to === 'Unplugged') notifier.notify('deviceUnplugged', `${event.name} (${event.udid}) was unplugged`);
  });
  core.dispatcher.onAttempt((attempt) => {
    const name = webhooks.get(attempt.webhookId)?.name ?? `Webhook ${attempt.webhookId}`;
    if (attempt.outcome === 'failed' || attempt.outcome === 'dead') notifier.notify('deliveryFailed', `${name}: ${attempt.errorLabel ?? 'failed'} after ${attempt.attempt} attempts`);
  });

  // The window: closing it hides it; tracking and callbacks go on. Quitting is explicit.
  let quitting = false;
  const showWindow = () => {
    if (!win) openWindow(true);
    else {
      if (win.isMinimized()) win.restore();
      win.show();
      win.focus();
    }
  };
  const openWindow = (show: boolean) => {
    win = createMainWindow({ preload: join(import.meta.dirname, '../preload/index.cjs'), entry, show, devTools: !app.isPackaged });
    win.on('close', (event) => {
      if (quitting) return;
      event.preventDefault();
      win?.hide();
      if (!settings.store.data.closeHintShown) {
        void settings.store.update((draft) => {
          draft.closeHintShown = true;
        });
        if (Notification.isSupported()) {
          new Notification({ title: 'DeviceHooks keeps running', body: 'Devices are still watched and callbacks still sent. Quit from the tray icon or the app menu.' }).show();
        }
      }
    });
    win.on('closed', () => {
      win = null;
    });
    // Someone came back to the window: perhaps after unlocking the OS keyring.
    win.on('focus', () => core.secretWait.check());
  };
  const startHidden = settings.general().startHidden || process.argv.includes('--hidden');
  openWindow(!startHidden);

  // The tray and the app menu: the way back to the window, and the explicit Quit.
  const tray = installTray({
    showWindow,
    quit: () => app.quit(),
    snapshot: () => ({
      devices: tracker.list(),
      webhooks: webhooks.list(),
      failures: (id) => core.dispatcher.consecutiveFailures(id),
      waiting: (id) => core.secretWait.waiting().has(id),
      refused: (id) => core.outbox.refusedFor(id),
    }),
    pauseAll: async (paused) => {
      const label = paused ? 'Pause all webhooks' : 'Resume all webhooks';
      await runAction(
        paused ? 'pauseAll' : 'resumeAll',
        holds,
        async () => {
          for (const w of webhooks.list()) {
            if (!w.enabled || w.paused === paused) continue;
            // The one call that pauses or resumes; the dispatcher hears of it from the store.
            await webhookService.setPaused(w.id, paused, paused ? 'Paused from the tray.' : undefined);
          }
        },
        (action) => {
          log('warn', `tray ${action}: refused, the active profile lacks org_setting.modify`);
          notices.add('warning', `${label}: ${NOT_ALLOWED_MESSAGE}`);
        },
      );
    },
    subscribe: (redraw) => {
      tracker.onChange(redraw);
      webhooks.onChange(redraw);
      core.dispatcher.onAttempt(redraw);
      core.secretWait.onChange(redraw);
      queueFullListeners.add(redraw);
    },
  });
  installAppMenu({ showWindow, quit: () => app.quit(), devTools: !app.isPackaged });

  core.tracker.onFlapping((notice) => notifier.notify('deviceUnplugged', notice.message));
  await core.start();
  const started = core;
  powerMonitor.on('suspend', () => started.suspend());
  powerMonitor.on('resume', () => void started.resume());

  app.on('second-instance', () => {
    showWindow();
    notices.add('info', 'DeviceHooks was already running, so this window was brought forward.');
  });
  app.on('activate', showWindow);
  // Never quit because the window closed: the watching goes on in the tray.
  app.on('window-all-closed', () => undefined);

  app.on('before-quit', (event) => {
    if (quitting) return;
    const waiting = core.outbox.size;
    if (waiting > 0) {
      event.preventDefault();
      void dialog
        .showMessageBox({
          type: 'question',
          buttons: ['Quit', 'Keep running'],
          defaultId: 1,
          cancelId: 1,
          message: `${waiting} callback${waiting === 1 ? ' is' : 's are'} still waiting to be delivered.`,
          detail: 'They are kept on disk and sent when DeviceHooks starts again. Quit now?',
        })
        .then(({ response }) => {
          if (response === 0) {
            quitting = true;
            app.quit();
          }
        });
      return;
    }
    quitting = true;
  });

  let closing = false;
  app.on('will-quit', (event) => {
    if (closing) return;
    // Finish what is in flight and save device states and the outbox before the process ends.
    event.preventDefault();
    closing = true;
    log('info', 'DeviceHooks quitting');
    void (async () => {
      notifier.dispose();
      tray.destroy();
      await receiver.stop();
      await core.stop();
      lock.release();
      app.quit();
    })();
  });
}

// Every folder and file this process creates is for its owner only (see main/services/ownerOnly.ts); first of all.
restrictNewFiles();
// The page is served from app://devicehooks/ (main/shell/appScheme.ts); the scheme must be known before ready.
registerAppScheme();

// One instance per data folder: a second launch hands over to the first and leaves.
if (app.requestSingleInstanceLock()) {
  start().catch((error: unknown) => {
    process.stderr.write(`DeviceHooks failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    app.exit(1);
  });
} else {
  app.quit();
}
