// The OS shell around the window: the tray icon with its menu, and the app menu. Electron glue like
// window.ts; what the tray says is computed in trayModel.ts (plain, unit-tested).
import { Menu, nativeImage, Tray } from 'electron';
import type { MenuItemConstructorOptions } from 'electron';
import { coalesce } from '../base/coalesce';
import { trayIconPng } from './icons';
import { trayModel, viewMenu } from './trayModel';
import type { TrayIconState, TrayInput } from './trayModel';

interface TrayDeps {
  showWindow: () => void;
  quit: () => void;
  /** What the tray shows, read fresh at every redraw. */
  snapshot: () => TrayInput;
  pauseAll: (paused: boolean) => Promise<void>;
  /** Calls `redraw` whenever devices, webhooks or deliveries change. */
  subscribe: (redraw: () => void) => void;
}

const icon = (state: TrayIconState) => nativeImage.createFromBuffer(trayIconPng(state, 32), { scaleFactor: 2 });

/** Tooltip and menu: counts by status, failing webhooks, Open, Pause all / Resume all, Quit. */
export function installTray(deps: TrayDeps): { destroy: () => void } {
  const tray = new Tray(icon('ok'));
  let shown: TrayIconState = 'ok';
  const redraw = coalesce(() => {
    const input = deps.snapshot();
    const model = trayModel(input);
    if (model.icon !== shown) {
      shown = model.icon;
      tray.setImage(icon(model.icon));
    }
    tray.setToolTip(model.tooltip);
    const template: MenuItemConstructorOptions[] = [
      { label: model.statusLine, enabled: false },
      ...model.failing.map((name): MenuItemConstructorOptions => ({ label: `Failing: ${name}`, enabled: false })),
      ...model.paused.map((name): MenuItemConstructorOptions => ({ label: `Paused: ${name}`, enabled: false })),
      ...model.waiting.map((name): MenuItemConstructorOptions => ({ label: `Waiting — secret unavailable: ${name}`, enabled: false })),
      ...model.queueFull.map((name): MenuItemConstructorOptions => ({ label: `Queue full: ${name}`, enabled: false })),
      { type: 'separator' },
      { label: 'Open DeviceHooks', click: deps.showWindow },
      model.allPaused
        ? { label: 'Resume all webhooks', click: () => void deps.pauseAll(false) }
        : { label: 'Pause all webhooks', enabled: input.webhooks.some((w) => w.enabled), click: () => void deps.pauseAll(true) },
      { type: 'separator' },
      { label: 'Quit DeviceHooks', click: deps.quit },
    ];
    tray.setContextMenu(Menu.buildFromTemplate(template));
  }, 200);
  tray.on('click', deps.showWindow);
  deps.subscribe(redraw);
  redraw();
  return { destroy: () => tray.destroy() };
}

/** `devTools`: false in packaged builds, whose View menu has no DevTools and no reload. */
export function installAppMenu({ showWindow, quit, devTools }: { showWindow: () => void; quit: () => void; devTools: boolean }): void {
  Menu.setApplicationMenu(
    Menu.buildFromTemplate([
      {
        label: 'DeviceHooks',
        submenu: [{ label: 'Open DeviceHooks', click: showWindow }, { type: 'separator' }, { label: 'Quit DeviceHooks', accelerator: 'CmdOrCtrl+Q', click: quit }],
      },
      { role: 'editMenu' },
      { label: 'View', submenu: viewMenu(devTools).map((role): MenuItemConstructorOptions => (role === 'separator' ? { type: 'separator' } : { role })) },
    ]),
  );
}
