// What the IPC handlers call for webhooks and the org: the store plus the active profile's permissions.
// Every change (create, update, delete, import, org, enable/disable, pause/resume, rotate the secret)
// needs `org_setting.modify`; so does reveal (secrets and header values are for those who may change
// them). Reading the list, the org and the export (none holds secret material) needs
// `org_setting.view` (or modify). The store itself stays permission-free for the dispatcher.
import type { Permission } from '../profiles/permissions';
import type { ProfileStore } from '../profiles/profiles';
import type { ImportResult, OrgResult, RevealForEditResult, RotateResult, Webhook, WebhookResult, WebhookStore } from './store';
import type { Org } from './webhooksFile';

interface ForbiddenError {
  code: 'forbidden';
  message: string;
}
type Forbidden = { ok: false; error: ForbiddenError };

export interface WebhookService {
  list(): { ok: true; webhooks: Webhook[] } | Forbidden;
  org(): { ok: true; org: Org } | Forbidden;
  exportJson(): { ok: true; json: string } | Forbidden;
  create(input: unknown): Promise<WebhookResult | Forbidden>;
  update(id: number, input: unknown): Promise<WebhookResult | Forbidden>;
  remove(id: number): Promise<WebhookResult | Forbidden>;
  setOrg(org: unknown): Promise<OrgResult | Forbidden>;
  importJson(text: string): Promise<ImportResult | Forbidden>;
  /**
   * The opened secret and header values, each value that cannot be opened named with the reason (the
   * edit dialog keeps it): modify only (a Member is forbidden).
   */
  reveal(id: number): RevealForEditResult | Forbidden;
  rotateSecret(id: number): Promise<RotateResult | Forbidden>;
  setEnabled(id: number, enabled: boolean, reason?: string): Promise<WebhookResult | Forbidden>;
  setPaused(id: number, paused: boolean, reason?: string): Promise<WebhookResult | Forbidden>;
  /** What the active profile may do here, for the UI to reflect (main still enforces). */
  abilities(): { canView: boolean; canModify: boolean };
}

interface WebhookServiceDeps {
  webhooks: WebhookStore;
  profiles: ProfileStore;
}

export function createWebhookService({ webhooks, profiles }: WebhookServiceDeps): WebhookService {
  const activeCan = (permission: Permission) => profiles.can(profiles.activeProfileId(), permission);
  const canModify = () => activeCan('org_setting.modify');
  const canView = () => activeCan('org_setting.view') || canModify();

  const forbidden = (what: string): Forbidden => {
    const role = profiles.activeProfile().roleName;
    return { ok: false, error: { code: 'forbidden', message: `Your profile (${role}) cannot ${what}: ask an admin.` } };
  };

  return {
    list: () => (canView() ? { ok: true, webhooks: webhooks.list() } : forbidden('view webhooks')),
    org: () => (canView() ? { ok: true, org: webhooks.org() } : forbidden('view the organization settings')),
    exportJson: () => (canView() ? { ok: true, json: webhooks.exportJson() } : forbidden('export webhooks')),
    create: async (input) => (canModify() ? webhooks.create(input) : forbidden('change webhooks')),
    update: async (id, input) => (canModify() ? webhooks.update(id, input) : forbidden('change webhooks')),
    remove: async (id) => (canModify() ? webhooks.remove(id) : forbidden('change webhooks')),
    importJson: async (text) => (canModify() ? webhooks.importJson(text) : forbidden('change webhooks')),
    reveal: (id) => (canModify() ? webhooks.revealForEdit(id) : forbidden('see webhook secrets and header values')),
    rotateSecret: async (id) => (canModify() ? webhooks.rotateSecret(id) : forbidden('change webhooks')),
    setEnabled: async (id, enabled, reason) => (canModify() ? webhooks.setEnabled(id, enabled, reason) : forbidden('change webhooks')),
    setPaused: async (id, paused, reason) => (canModify() ? webhooks.setPaused(id, paused, reason) : forbidden('change webhooks')),
    setOrg: async (org) => (canModify() ? webhooks.setOrg(org) : forbidden('change the organization settings')),
    abilities: () => ({ canView: canView(), canModify: canModify() }),
  };
}
