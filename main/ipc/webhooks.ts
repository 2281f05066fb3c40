// webhooks:* and org:* channels. Thin: check the envelope, call the service (which applies the
// product's one rule set and the active profile's permission), map the result.
import { readFile, stat, writeFile } from 'node:fs/promises';
import { dialog } from 'electron';
import type { BrowserWindow } from 'electron';
import type { WebhooksState } from '../../preload/contract';
import type { ProfileStore } from '../profiles/profiles';
import type { WebhookService } from '../webhooks/service';
import { IMPORT_MAX_BYTES } from '../webhooks/importExport';
import type { WebhookStore } from '../webhooks/store';
import { fail, ok } from './register';
import type { Handlers } from './register';
import { mapResult, messageOf, toIpcError } from './results';

interface WebhookHandlerDeps {
  service: WebhookService;
  store: WebhookStore;
  profiles: ProfileStore;
  window: () => BrowserWindow | null;
  now?: () => Date;
}


export function webhooksState({ service, store, profiles }: Pick<WebhookHandlerDeps, 'service' | 'store' | 'profiles'>): WebhooksState {
  const { canView, canModify } = service.abilities();
  const active = profiles.activeProfile();
  return {
    org: store.org(),
    webhooks: canView ? store.list() : [],
    secretsEncrypted: store.secretsEncrypted(),
    keyringLocked: store.keyringLocked(),
    canView,
    canModify,
    readOnlyReason: canModify
      ? null
      : `${active.name} is a ${active.roleName}: only an Admin, or a role allowed to change the organization settings, can create, edit or delete webhooks.`,
  };
}

async function showSave(win: BrowserWindow | null, options: Electron.SaveDialogOptions) {
  return win ? dialog.showSaveDialog(win, options) : dialog.showSaveDialog(options);
}
async function showOpen(win: BrowserWindow | null, options: Electron.OpenDialogOptions) {
  return win ? dialog.showOpenDialog(win, options) : dialog.showOpenDialog(options);
}

export function webhookHandlers(deps: WebhookHandlerDeps) {
  const { service } = deps;
  const now = deps.now ?? (() => new Date());
  return {
    'webhooks:state': { handle: () => ok(webhooksState(deps)) },
    'webhooks:create': {
      handle: async ({ webhook }) => mapResult(await service.create(webhook), (r) => r.webhook),
    },
    'webhooks:update': {
      handle: async ({ id: webhookId, webhook }) => mapResult(await service.update(webhookId, webhook), (r) => r.webhook),
    },
    'webhooks:remove': {
      handle: async ({ id: webhookId }) => mapResult(await service.remove(webhookId), () => null),
    },
    'webhooks:export': {
      handle: async () => {
        const exported = service.exportJson();
        if (!exported.ok) return mapResult(exported, () => ({ status: 'cancelled' as const }));
        const stamp = now().toISOString().slice(0, 10);
        const choice = await showSave(deps.window(), {
          title: 'Export webhooks',
          defaultPath: `devicehooks-webhooks-${stamp}.json`,
          filters: [{ name: 'JSON', extensions: ['json'] }],
        });
        if (choice.canceled || !choice.filePath) return ok({ status: 'cancelled' as const });
        try {
          await writeFile(choice.filePath, exported.json, 'utf8');
        } catch (error) {
          return fail({ code: 'storage', message: `Could not write ${choice.filePath}: ${messageOf(error)}` });
        }
        return ok({ status: 'saved' as const, file: choice.filePath, count: deps.store.list().length });
      },
    },
    'webhooks:import': {
      handle: async () => {
        if (!service.abilities().canModify) {
          return fail({ code: 'forbidden', message: `Your profile (${deps.profiles.activeProfile().roleName}) cannot change webhooks: ask an admin.` });
        }
        const choice = await showOpen(deps.window(), {
          title: 'Import webhooks',
          properties: ['openFile'],
          filters: [{ name: 'JSON', extensions: ['json'] }],
        });
        const file = choice.filePaths[0];
        if (choice.canceled || !file) return ok({ status: 'cancelled' as const });
        let text: string;
        try {
          if ((await stat(file)).size > IMPORT_MAX_BYTES) {
            return ok({ status: 'refused' as const, file, problems: [{ index: null, field: 'file', message: 'This file is too large to be a webhook export (over 2 MB)' }] });
          }
          text = await readFile(file, 'utf8');
        } catch (error) {
          return fail({ code: 'storage', message: `Could not read ${file}: ${messageOf(error)}` });
        }
        const result = await service.importJson(text);
        if (result.ok) return ok({ status: 'imported' as const, count: result.imported.length, file });
        if ('problems' in result) return ok({ status: 'refused' as const, problems: result.problems, file });
        return fail(toIpcError(result));
      },
    },
    'org:update': {
      handle: async (org) => mapResult(await service.setOrg(org), (r) => r.org),
    },
  } satisfies Partial<Handlers>;
}
