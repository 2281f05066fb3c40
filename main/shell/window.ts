// The only BrowserWindow factory. Every window gets the same locked webPreferences, written out here
// literally (so electronegativity and a unit test both see them).
import { BrowserWindow, nativeTheme } from 'electron';
import { APP_URL } from './appScheme';
import type { AppEntry } from './security';

/** `devTools`: false in packaged builds (no DevTools, whatever the menu or a shortcut asks). */
export function createMainWindow({ preload, entry, show = true, devTools }: { preload: string; entry: AppEntry; show?: boolean; devTools: boolean }): BrowserWindow {
  const win = new BrowserWindow({
    title: 'DeviceHooks',
    width: 1200,
    height: 800,
    minWidth: 880,
    minHeight: 560,
    show: false,
    backgroundColor: nativeTheme.shouldUseDarkColors ? '#16181d' : '#f7f7f8',
    webPreferences: {
      // Reviewed: the sandboxed preload exposes one function per contract channel and nothing raw.
      preload, // eng-disable PRELOAD_JS_CHECK
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      // Middle-click must not open links in a new window.
      disableBlinkFeatures: 'Auxclick',
      devTools,
    },
  });
  // Started hidden in the tray: the page loads, the window appears only when opened.
  if (show) win.once('ready-to-show', () => win.show());
  void win.loadURL(entry.kind === 'app' ? APP_URL : entry.url);
  return win;
}
