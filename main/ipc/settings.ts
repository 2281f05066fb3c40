// settings:* — Settings › General. Start at login is applied through the injected `applyLoginItem`
// (Electron's login item settings, or the Linux autostart entry).
import { isDeepStrictEqual } from 'node:util';
import type { GeneralInfo } from '../../preload/contract';
import type { GeneralSettings, SettingsStore } from '../services/settings';
import { fail, ok } from './register';
import type { Handlers } from './register';

interface SettingsHandlerDeps {
  settings: SettingsStore;
  canManage: () => boolean;
  /** The debounce times, delivery limits and watched Appium servers the running core was built with. */
  inUse: Pick<GeneralSettings, 'debounce' | 'delivery'> & Partial<Pick<GeneralSettings, 'appiumUrls'>>;
  applyLoginItem: (settings: GeneralSettings) => Promise<void>;
}

export function generalInfo(deps: Pick<SettingsHandlerDeps, 'settings' | 'canManage' | 'inUse'>): GeneralInfo {
  const settings = deps.settings.general();
  const restartNeeded =
    !isDeepStrictEqual(settings.delivery, deps.inUse.delivery) ||
    !isDeepStrictEqual(settings.debounce, deps.inUse.debounce) ||
    (deps.inUse.appiumUrls !== undefined && !isDeepStrictEqual(settings.appiumUrls, deps.inUse.appiumUrls));
  return { settings, canManage: deps.canManage(), restartNeeded };
}

export function settingsHandlers(deps: SettingsHandlerDeps) {
  return {
    'settings:general': { handle: () => ok(generalInfo(deps)) },
    'settings:updateGeneral': {
      // The settings store applies the one rule set (generalSchema) and answers field errors.
      handle: async (change) => {
        if (!deps.canManage()) return fail({ code: 'forbidden', message: 'Only an Admin can change the general settings.' });
        const result = await deps.settings.update(change);
        if (!result.ok) {
          return fail({ code: 'validation', message: Object.values(result.fieldErrors)[0] ?? 'Some fields need attention.', fieldErrors: result.fieldErrors });
        }
        await deps.applyLoginItem(result.value);
        return ok(generalInfo(deps));
      },
    },
  } satisfies Partial<Handlers>;
}
