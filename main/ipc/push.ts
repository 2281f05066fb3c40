// Typed main → renderer pushes. A send to a closed window is dropped, never thrown.
import type { BrowserWindow } from 'electron';
import type { PushChannel, PushContract } from '../../preload/contract';

export function push<C extends PushChannel>(win: BrowserWindow | null | undefined, channel: C, payload: PushContract[C]): void {
  if (!win || win.isDestroyed()) return;
  win.webContents.send(channel, payload);
}
