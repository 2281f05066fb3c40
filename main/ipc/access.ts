// Who may do what, in one place for IPC requests, pushes and the tray/menu actions: each declares a
// permission (preload/contract/channels.ts for channels, ACTION_PERMISSIONS here for the OS shell), and every path
// asks the same `holds` before acting. Plain Node: the composition root passes the active profile's check.
import type { ChannelPermission } from '../../preload/contract';
import type { Permission } from '../profiles/permissions';
import type { Holds } from './register';

/** The tray's and the app menu's actions, each with the permission it needs (as a channel declares one). */
export const ACTION_PERMISSIONS = {
  openWindow: 'none',
  pauseAll: 'org_setting.modify',
  resumeAll: 'org_setting.modify',
  quit: 'none',
} as const satisfies Record<string, ChannelPermission>;
export type ShellAction = keyof typeof ACTION_PERMISSIONS;

/**
 * `holds` for a profile: 'none' always; org_setting.view also through org_setting.modify (a profile that
 * may change the settings may see them, as the webhook service has it); every other permission as held.
 */
export function holdsFor(can: (permission: Permission) => boolean): Holds {
  return (permission) => {
    if (permission === 'none') return true;
    if (permission === 'org_setting.view') return can('org_setting.view') || can('org_setting.modify');
    return can(permission);
  };
}

/** Runs a tray or menu action when the active profile may; otherwise calls `refused` and does nothing. */
export async function runAction(action: ShellAction, holds: Holds, run: () => Promise<void> | void, refused: (action: ShellAction) => void): Promise<boolean> {
  if (!holds(ACTION_PERMISSIONS[action])) {
    refused(action);
    return false;
  }
  await run();
  return true;
}
