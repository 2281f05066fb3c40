// Composition root: build the services, open the window, register IPC. Nothing else.
import { app, BrowserWindow, dialog, ipcMain, safeStorage } from 'electron';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { openCore } from './core';
import type { Core } from './core';
import { ReceiverHost } from './delivery/receiverHost';
import { appHandlers } from './ipc/app';
import { deliveryHandlers } from './ipc/deliveries';
import { deviceHandlers, devicesState, localApiInfo } from './ipc/devices';
import { profileHandlers, profilesState } from './ipc/profiles';
import { push } from './ipc/push';
import { registerIpc } from './ipc/register';
import { webhookHandlers, webhooksState } from './ipc/webhooks';
import { createFileLogger } from './log';
import { NoticeBoard } from './notices';
import { installSecurity, isAppUrl, openExternal } from './security';
import type { AppEntry } from './security';
import { StorageError } from './storage/errors';
import type { Permission } from './webhooks/permissions';
import { createOsBox } from './webhooks/secrets';
import { createMainWindow } from './window';

/** Run `fn` at most once per `ms`, trailing: a burst of changes makes one push. */
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
  let core: Core;
  try {
    core = await openCore({
      dataDir,
      logger: log,
      env: process.env,
      version: app.getVersion(),
      osUserName: osUser(),
      secretBox: createOsBox(safeStorage),
      notice: (level, message) => notices.add(level, message),
    });
  } catch (error) {
    // A data file from a newer DeviceHooks, or one that cannot be moved aside: never overwrite it.
    const message = error instanceof StorageError ? error.message : `DeviceHooks could not open its data in ${dataDir}: ${String(error)}`;
    log('error', message);
    dialog.showErrorBox('DeviceHooks cannot start', message);
    app.exit(1);
    return;
  }
  const { webhooks, profiles, webhookService, tracker, reservations, localApi, deviceState } = core;
  const can = (permission: Permission) => profiles.can(profiles.activeProfileId(), permission);
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
      ...deviceHandlers({
        tracker,
        reservations,
        localApi,
        can,
        activeProfileName: () => profiles.activeProfile().name,
        recentEvents: () => core.recentEvents(),
        trackedUsb: () => deviceState.store.data.trackedUsb,
        setTrackedUsb: (udids) =>
          deviceState.store.update((draft) => {
            draft.trackedUsb = udids;
          }),
      }),
      ...deliveryHandlers({ core, receiver }),
    },
    (url) => isAppUrl(url, entry),
    log,
  );

  // Pushes: main → renderer, each on its named channel.
  notices.onAdd((notice) => push(win, 'app:notice', notice));
  const pushWebhooks = () => push(win, 'webhooks:changed', webhooksState({ service: webhookService, store: webhooks, profiles }));
  const pushDevices = coalesce(() => push(win, 'devices:changed', devicesState({ tracker, can, trackedUsb: () => deviceState.store.data.trackedUsb })), 100);
  webhooks.onChange(() => {
    pushWebhooks();
    receiver.refreshSecrets();
  });
  profiles.onChange(() => {
    push(win, 'profiles:changed', profilesState(profiles));
    // What the active profile may do changed too.
    pushWebhooks();
    pushDevices();
    push(win, 'localApi:changed', localApiInfo({ localApi, can }));
  });
  tracker.onChange(pushDevices);
  core.onEvent((event) => push(win, 'devices:event', event));
  localApi.onChange(() => push(win, 'localApi:changed', localApiInfo({ localApi, can })));
  core.dispatcher.onAttempt((attempt) => push(win, 'deliveries:attempt', attempt));
  receiver.onChange((info) => push(win, 'receiver:changed', info));
  receiver.onRequest((request) => push(win, 'receiver:request', request));

  const openWindow = () => {
    win = createMainWindow({ preload: join(import.meta.dirname, '../preload/index.cjs'), entry });
    win.on('closed', () => {
      win = null;
    });
  };
  openWindow();
  await core.start();

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
    // Finish what is in flight and save device states and the outbox before the process ends.
    event.preventDefault();
    closing = true;
    log('info', 'DeviceHooks quitting');
    void (async () => {
      await receiver.stop();
      await core.stop();
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
