// Typed main → renderer pushes. A send to a closed window is dropped, never thrown; so is a push whose
// declared permission (preload/contract/channels.ts) the active profile does not hold.
import type { BrowserWindow } from 'electron';
import { pushPermissions } from '../../preload/contract';
import type { PushChannel, PushContract } from '../../preload/contract';
import type { Holds } from './register';

interface PushTarget {
  isDestroyed(): boolean;
  webContents: { send(channel: string, payload: unknown): void };
}

/** A push function bound to the window (read at each push) and the active profile's permissions. */
export function pusher(win: () => PushTarget | BrowserWindow | null | undefined, holds: Holds) {
  return <C extends PushChannel>(channel: C, payload: PushContract[C]): boolean => {
    const target = win();
    if (!target || target.isDestroyed()) return false;
    if (!holds(pushPermissions[channel])) return false;
    target.webContents.send(channel, payload);
    return true;
  };
}
