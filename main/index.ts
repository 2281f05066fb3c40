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
import { StorageError } from './storage/errors';
import { openProfileStore } from './webhooks/profiles';
import { createWebhookService } from './webhooks/service';
import { openWebhookStore } from './webhooks/store';

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
    for (const recovered of [webhooksOpened.recovered, profilesOpened.recovered]) if (recovered) notices.add('warning', recovered.message);
    stores = { webhooks: webhooksOpened.store, profiles: profilesOpened.profiles };
  } catch (error) {
    // A data file from a newer DeviceHooks, or one that cannot be moved aside: never overwrite it.
    const message = error instanceof StorageError ? error.message : `DeviceHooks could not open its data in ${dataDir}: ${String(error)}`;
    log('error', message);
    dialog.showErrorBox('DeviceHooks cannot start', message);
    app.exit(1);
    return;
  }
  const { webhooks, profiles } = stores;
  const webhookService = createWebhookService({ webhooks, profiles });

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
    },
    (url) => isAppUrl(url, entry),
    log,
  );
  const pushWebhooks = () => push(win, 'webhooks:changed', webhooksState({ service: webhookService, store: webhooks, profiles }));
  webhooks.onChange(pushWebhooks);
  profiles.onChange(() => {
    push(win, 'profiles:changed', profilesState(profiles));
    // What the active profile may do changed too.
    pushWebhooks();
  });

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
  app.on('will-quit', () => {
    log('info', 'DeviceHooks quitting');
    void webhooks.close();
    void profiles.close();
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
