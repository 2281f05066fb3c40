// Webhooks and the organization they belong to, in `webhooks.json` under the data folder.
//
// One file for both because they are one concern with one invariant: every webhook belongs to the
// configured organization (its orgId is the org's id, names are unique within it), and an org change
// re-stamps the webhooks in the same atomic write. App-wide preferences, reservations, the outbox and
// the delivery log live in files of their own, so a burst of deliveries never rewrites the webhooks.
//
// Secret material (the signing secret, extra header values) is kept sealed (sealing.ts: a SecretBox, the
// OS keyring when there is one) and leaves this file only through reveal() (an admin's edit dialog),
// rotateSecret() (once, the new secret) and deliveryWebhooks() (the dispatcher). list(), get(),
// onChange() and the export say only whether there is a secret and which header names there are.
//
// Permission-free on purpose: service.ts checks the active profile. The dispatcher reads
// deliveryWebhooks()/org(). The file's shape and migrations are in webhooksFile.ts, the export format and
// the import checks in importExport.ts, sealing and opening secret material in sealing.ts.
//
// What the store hands out (the WebhookStore interface, its results) is in storeApi.ts, re-exported here.
// One cohesive thing: the one class that implements it, its CRUD and its state (enabled, paused, the
// dispatcher's view), over one webhooks.json.
import { join } from 'node:path';
import type { Logger } from '../base/log';
import { StorageWriteError } from '../storage/errors';
import { Refusal, openJsonStore, zodValidator } from '../storage/jsonStore';
import type { JsonStore, Recovery, Migration, ReloadResult } from '../storage/jsonStore';
import { checkName, checkReason, duplicateNameMessage, validateWebhookInput } from './schema';
import type { FieldErrors, WebhookInput } from './schema';
import { isKeptHeader } from './schema';
import { SecretUnavailableError, cryptoSecretRandom, generateSecret, plainBox } from './secrets';
import type { SecretBox, SecretRandom } from './secrets';
import { joinUrlCredentials, splitUrlCredentials, URL_CREDENTIALS_MASK } from './urlCredentials';
import { KEYRING_LOCKED_MESSAGE, WebhookSealer, hasPlain } from './sealing';
import { checkImportEntries, exportWebhooks, parseImport } from './importExport';
import {
  emptyScope,
  migrateWebhooksV1toV2,
  migrateWebhooksV2toV3,
  migrateWebhooksV3toV4,
  storedWebhookSchema,
  webhooksFileSchema,
} from './webhooksFile';
import type { StoredHeader, StoredWebhook, WebhooksFile } from './webhooksFile';

export const WEBHOOKS_FILE = 'webhooks.json';
/**
 * 1: the webhooks' form fields. 2: enabled/paused (with reasons), scope, sealed secret and headers.
 * 3: a URL's userinfo (`user:password@`) is kept apart from `url`, sealed, in `urlCredentials`.
 * 4: deletedWebhookIds, the ids of webhooks a user deleted.
 */
export const WEBHOOKS_SCHEMA_VERSION = 4;
const ORG_NAME_MAX = 100;

export type * from './storeApi';
import type {
  DeliveryLookup,
  EditMaterial,
  ImportResult,
  Org,
  OrgResult,
  RestoreResult,
  RevealForEditResult,
  RevealResult,
  RotateResult,
  StoreError,
  Webhook,
  WebhookForDelivery,
  WebhookResult,
  WebhooksSnapshot,
  WebhookStore,
} from './storeApi';

export interface OpenWebhookStoreOptions {
  /** The data folder (Electron's userData in the app, a temp dir in tests). */
  dataDir: string;
  logger: Logger;
  /** epoch ms */
  now?: () => number;
  /** Seals secrets and header values. Default plainBox (plain text); the app passes createOsBox(safeStorage). */
  secretBox?: SecretBox;
  /** Where new secrets' bytes come from. Default node:crypto. */
  random?: SecretRandom;
  /** For tests: passed through to openJsonStore. */
  adapter?: Parameters<typeof openJsonStore>[0]['adapter'];
}

interface OpenWebhookStoreResult {
  store: WebhookStore;
  recovered?: Recovery;
  migrated?: Migration;
}

function defaults(): WebhooksFile {
  return { schemaVersion: WEBHOOKS_SCHEMA_VERSION, nextWebhookId: 1, org: { id: 1, name: '' }, webhooks: [], deletedWebhookIds: [] };
}

export async function openWebhookStore(options: OpenWebhookStoreOptions): Promise<OpenWebhookStoreResult> {
  const now = options.now ?? Date.now;
  const opened = await openJsonStore<WebhooksFile>({
    file: join(options.dataDir, WEBHOOKS_FILE),
    label: 'webhooks',
    defaults,
    version: WEBHOOKS_SCHEMA_VERSION,
    migrations: { 2: migrateWebhooksV1toV2, 3: migrateWebhooksV2toV3, 4: migrateWebhooksV3toV4 },
    validate: zodValidator(webhooksFileSchema),
    logger: options.logger,
    now,
    // Only this OS account may read it: without a keyring the secrets in it are plain text.
    fileMode: 0o600,
    ...(options.adapter ? { adapter: options.adapter } : {}),
  });
  const store = new Webhooks(opened.store, {
    now,
    logger: options.logger,
    sealer: new WebhookSealer(options.secretBox ?? plainBox, options.logger),
    random: options.random ?? cryptoSecretRandom,
  });
  // Values written in plain before the OS keyring was available are sealed now, not at some later edit.
  await store.sealPlainValues();
  return { store, ...(opened.recovered ? { recovered: opened.recovered } : {}), ...(opened.migrated ? { migrated: opened.migrated } : {}) };
}

/** The view: everything but the secret material; a URL's user name and password show as the mask. */
function toView(w: StoredWebhook): Webhook {
  const { secret, headers, urlCredentials, ...rest } = structuredClone(w);
  const url = urlCredentials ? joinUrlCredentials(rest.url, URL_CREDENTIALS_MASK) : rest.url;
  return { ...rest, url, hasSecret: secret !== undefined, headers: headers.map((h) => ({ name: h.name })) };
}

class Webhooks implements WebhookStore {
  readonly #db: JsonStore<WebhooksFile>;
  readonly #now: () => number;
  readonly #logger: Logger;
  readonly #sealer: WebhookSealer;
  readonly #random: SecretRandom;
  /** deliveryWebhooks() for one committed version of the data (only when every webhook opened). */
  #deliveryCache: { data: unknown; list: WebhookForDelivery[] } | undefined;
  /** The webhooks left out of the last incomplete deliveryWebhooks(), with the reason. */
  #lastUnavailable: { data: unknown; list: WebhookForDelivery[]; waiting: WebhookForDelivery[] } | undefined;
  /** Webhooks already logged as unavailable for one version of the data: one warning, not one per event. */
  #warned: { data: unknown; ids: Set<number> } | undefined;

  constructor(db: JsonStore<WebhooksFile>, deps: { now: () => number; logger: Logger; sealer: WebhookSealer; random: SecretRandom }) {
    this.#db = db;
    this.#now = deps.now;
    this.#logger = deps.logger;
    this.#sealer = deps.sealer;
    this.#random = deps.random;
  }

  list(): Webhook[] {
    return this.#db.data.webhooks.map((w) => toView(w as StoredWebhook)).sort((a, b) => a.id - b.id);
  }

  get(id: number): Webhook | undefined {
    const found = this.#find(id);
    return found ? toView(found) : undefined;
  }

  org(): Org {
    return { ...this.#db.data.org };
  }

  secretsEncrypted(): boolean {
    return this.#sealer.encrypted;
  }

  async create(input: unknown): Promise<WebhookResult> {
    const checked = validateWebhookInput(input);
    if (!checked.ok) return checked;
    const value = checked.value;
    return this.#change<WebhookResult>((draft) => {
      const errors: FieldErrors = {};
      const locked = this.#sealer.lockedIn(draft);
      (value.headers ?? []).forEach((h, i) => {
        if (isKeptHeader(h)) errors[`headers.${i}.value`] = `Enter a value for the header "${h.name}"`;
        else if (locked) errors[`headers.${i}.value`] = KEYRING_LOCKED_MESSAGE;
      });
      if (value.signing === true && locked) errors['signing'] = KEYRING_LOCKED_MESSAGE;
      if (locked && hasNewUrlCredentials(value.url)) errors['url'] = KEYRING_LOCKED_MESSAGE;
      if (Object.keys(errors).length > 0) throw new Refusal<WebhookResult>({ ok: false, fieldErrors: errors });
      // Checked against the latest data, inside the serialized update: two quick creates cannot both win.
      if (draft.webhooks.some((w) => w.name === value.name)) throw new Refusal({ ok: false, fieldErrors: { name: duplicateNameMessage(value.name) } });
      const webhook = this.#newWebhook(draft, value);
      draft.webhooks.push(webhook);
      return { ok: true, webhook: toView(webhook) };
    });
  }

  async update(id: number, input: unknown): Promise<WebhookResult> {
    const checked = validateWebhookInput(input);
    if (!checked.ok) return checked;
    const value = checked.value;
    return this.#change<WebhookResult>((draft) => {
      const existing = draft.webhooks.find((w) => w.id === id);
      if (!existing) throw new Refusal(notFound(id));
      if (draft.webhooks.some((w) => w.id !== id && w.name === value.name)) {
        throw new Refusal({ ok: false, fieldErrors: { name: duplicateNameMessage(value.name) } });
      }
      // Header values: kept rows reuse the sealed value as stored; a typed value equal to the stored one is
      // kept as stored too; only a new value is sealed, and not while the keyring is locked.
      const locked = this.#sealer.lockedIn(draft);
      const errors: FieldErrors = {};
      const headers = value.headers?.map((h, i): StoredHeader | undefined => {
        const from = isKeptHeader(h) ? h.keepValueOf : h.name;
        const old = existing.headers.find((o) => o.name.toLowerCase() === from.toLowerCase());
        if (isKeptHeader(h)) {
          if (old) return { name: h.name, value: old.value };
          errors[`headers.${i}.value`] = `Enter a value for the header "${h.name}"`;
          return undefined;
        }
        if (old && this.#sealer.opensTo(old.value, h.value)) return { name: h.name, value: old.value };
        if (locked) {
          errors[`headers.${i}.value`] = KEYRING_LOCKED_MESSAGE;
          return undefined;
        }
        return { name: h.name, value: this.#sealer.seal(h.value) };
      });
      if (value.signing === true && existing.secret === undefined && locked) errors['signing'] = KEYRING_LOCKED_MESSAGE;
      const split = splitUrlCredentials(value.url);
      // The form sends back the mask it was shown (or the same credentials): the stored ones stay as stored.
      const keepCredentials =
        split.credentials === URL_CREDENTIALS_MASK ||
        (split.credentials !== undefined && existing.urlCredentials !== undefined && this.#sealer.opensTo(existing.urlCredentials, split.credentials));
      if (locked && split.credentials !== undefined && !keepCredentials) errors['url'] = KEYRING_LOCKED_MESSAGE;
      if (Object.keys(errors).length > 0) throw new Refusal<WebhookResult>({ ok: false, fieldErrors: errors });
      existing.name = value.name;
      existing.url = split.url;
      if (split.credentials === undefined) delete existing.urlCredentials;
      else if (!keepCredentials) existing.urlCredentials = this.#sealer.seal(split.credentials);
      if (value.description !== undefined) existing.description = value.description;
      else delete existing.description;
      existing.events = { ...value.events };
      if (value.scope !== undefined) existing.scope = structuredClone(value.scope);
      if (headers !== undefined) existing.headers = headers.filter((h): h is StoredHeader => h !== undefined);
      if (value.signing === true && existing.secret === undefined) existing.secret = this.#sealer.seal(generateSecret(this.#random));
      if (value.signing === false) delete existing.secret;
      existing.updatedAt = this.#iso();
      return { ok: true, webhook: toView(existing) };
    });
  }

  async remove(id: number): Promise<WebhookResult> {
    return this.#change<WebhookResult>((draft) => {
      const index = draft.webhooks.findIndex((w) => w.id === id);
      const existing = draft.webhooks[index];
      if (!existing) throw new Refusal(notFound(id));
      draft.webhooks.splice(index, 1);
      // nextWebhookId stays where it is: this id is never handed out again.
      if (!draft.deletedWebhookIds.includes(id)) draft.deletedWebhookIds = [...draft.deletedWebhookIds, id].sort((a, b) => a - b);
      return { ok: true, webhook: toView(existing) };
    });
  }

  async restoreWebhooks(entries: readonly unknown[]): Promise<RestoreResult> {
    return this.#change<RestoreResult>((draft) => {
      const restored: Webhook[] = [];
      const skipped: { id: number | null; reason: string }[] = [];
      for (const entry of entries) {
        const parsed = storedWebhookSchema.safeParse(entry);
        const rawId = (entry as { id?: unknown } | null)?.id;
        const id = typeof rawId === 'number' ? rawId : null;
        if (!parsed.success) {
          skipped.push({ id, reason: `it is not a webhook DeviceHooks can read (${parsed.error.issues[0]?.path.join('.') ?? ''}: ${parsed.error.issues[0]?.message ?? ''})` });
          continue;
        }
        const w = parsed.data as StoredWebhook;
        if (draft.webhooks.some((x) => x.id === w.id)) skipped.push({ id: w.id, reason: 'a webhook with this id is defined' });
        else if (draft.deletedWebhookIds.includes(w.id)) skipped.push({ id: w.id, reason: 'it was deleted' });
        else if (draft.webhooks.some((x) => x.name === w.name)) skipped.push({ id: w.id, reason: duplicateNameMessage(w.name) });
        else {
          const webhook: StoredWebhook = { ...structuredClone(w), orgId: draft.org.id, updatedAt: this.#iso() };
          draft.webhooks.push(webhook);
          draft.nextWebhookId = Math.max(draft.nextWebhookId, w.id + 1);
          restored.push(toView(webhook));
        }
      }
      return { ok: true, restored, skipped };
    });
  }

  async ensureIdsAbove(maxSeen: number): Promise<void> {
    if (!Number.isSafeInteger(maxSeen) || this.#db.data.nextWebhookId > maxSeen) return;
    await this.#db.update((draft) => {
      draft.nextWebhookId = Math.max(draft.nextWebhookId, maxSeen + 1);
    });
  }

  isDeleted(id: number): boolean {
    return this.#db.data.deletedWebhookIds.includes(id) && !this.#find(id);
  }

  reveal(id: number): RevealResult {
    const found = this.#find(id);
    if (!found) return notFound(id);
    const material = this.#sealer.open(found);
    if (!material.ok) return material;
    const { urlCredentials, ...rest } = material;
    return urlCredentials === undefined ? rest : { ...rest, url: joinUrlCredentials(found.url, urlCredentials) };
  }

  revealForEdit(id: number): RevealForEditResult {
    const found = this.#find(id);
    if (!found) return notFound(id);
    const out: EditMaterial = { ok: true, headers: [] };
    if (found.urlCredentials) {
      // Unreadable: the dialog shows the masked URL, and saving it back keeps the stored credentials.
      const opened = this.#sealer.tryOpen(found.urlCredentials);
      if (opened.ok) out.url = joinUrlCredentials(found.url, opened.value);
    }
    if (found.secret) {
      const opened = this.#sealer.tryOpen(found.secret);
      if (opened.ok) out.secret = opened.value;
      else out.secretUnreadable = opened.reason;
    }
    for (const h of found.headers) {
      const opened = this.#sealer.tryOpen(h.value);
      out.headers.push(opened.ok ? { name: h.name, value: opened.value } : { name: h.name, unreadable: opened.reason });
    }
    return out;
  }

  keyringLocked(): boolean {
    return this.#sealer.lockedIn(this.#db.data);
  }

  async rotateSecret(id: number): Promise<RotateResult> {
    return this.#change<RotateResult>((draft) => {
      const existing = draft.webhooks.find((w) => w.id === id);
      if (!existing) throw new Refusal(notFound(id));
      if (this.#sealer.lockedIn(draft)) throw new Refusal<RotateResult>({ ok: false, error: { code: 'secret_unavailable', message: KEYRING_LOCKED_MESSAGE } });
      const secret = generateSecret(this.#random);
      existing.secret = this.#sealer.seal(secret);
      existing.updatedAt = this.#iso();
      return { ok: true, secret, webhook: toView(existing) };
    });
  }

  async setEnabled(id: number, enabled: boolean, reason?: string): Promise<WebhookResult> {
    return this.#setState(id, 'enabled', enabled, reason);
  }

  async setPaused(id: number, paused: boolean, reason?: string): Promise<WebhookResult> {
    return this.#setState(id, 'paused', paused, reason);
  }

  deliveryWebhooks(): WebhookForDelivery[] {
    const data = this.#db.data;
    if (this.#deliveryCache?.data !== data) {
      this.#deliveryCache = undefined;
      const list: WebhookForDelivery[] = [];
      const waiting: WebhookForDelivery[] = [];
      for (const w of [...data.webhooks].sort((a, b) => a.id - b.id)) {
        const found = this.#forDelivery(w as StoredWebhook);
        if (found.ok) list.push(found.webhook);
        else {
          waiting.push(this.#waitingEntry(w as StoredWebhook, found.error.message));
          this.#warnUnavailable(w.id, found.error.message);
        }
      }
      // Only a full answer is kept: a keyring that comes back later is tried again on the next call.
      if (waiting.length > 0) {
        this.#lastUnavailable = { data, list, waiting };
        return list;
      }
      this.#lastUnavailable = undefined;
      // Frozen and shared: the dispatcher asks for every event and every attempt, so no copy per call.
      this.#deliveryCache = { data, list: deepFreeze(list) };
    }
    return this.#deliveryCache.list;
  }

  deliveryWebhook(id: number): DeliveryLookup {
    const found = this.#find(id);
    if (!found) return notFound(id);
    return this.#forDelivery(found);
  }

  forDispatcher(): WebhookForDelivery[] {
    const list = this.deliveryWebhooks();
    const last = this.#lastUnavailable;
    if (!last || last.list !== list) return list;
    return [...list, ...last.waiting].sort((a, b) => a.id - b.id);
  }

  #waitingEntry(w: StoredWebhook, reason: string): WebhookForDelivery {
    return {
      id: w.id,
      orgId: w.orgId,
      name: w.name,
      url: w.url,
      events: { ...w.events },
      enabled: w.enabled,
      paused: w.paused,
      scope: structuredClone(w.scope),
      headers: {},
      unavailable: reason,
    };
  }

  async setOrg(raw: unknown): Promise<OrgResult> {
    const checked = validateOrg(raw);
    if (!checked.ok) return checked;
    const org = checked.value;
    return this.#change<OrgResult>((draft) => {
      draft.org = { ...org };
      // Every webhook belongs to the configured org: follow an id change in the same write.
      for (const w of draft.webhooks) {
        if (w.orgId !== org.id) {
          w.orgId = org.id;
          w.updatedAt = this.#iso();
        }
      }
      return { ok: true, org: { ...org } };
    });
  }

  exportJson(): string {
    return exportWebhooks(this.#db.data.org, this.#db.data.webhooks as readonly StoredWebhook[], this.#iso());
  }

  async importJson(text: string): Promise<ImportResult> {
    const parsed = parseImport(text);
    if (!parsed.ok) return parsed;
    const entries = parsed.entries;
    return this.#change<ImportResult>((draft) => {
      const checked = checkImportEntries(entries, new Set(draft.webhooks.map((w) => w.name)));
      if (!checked.ok) throw new Refusal<ImportResult>(checked);
      const valid = checked.valid;
      if (this.#sealer.lockedIn(draft) && valid.some(({ value }) => value.signing === true || (value.headers ?? []).length > 0)) {
        throw new Refusal<ImportResult>({ ok: false, error: { code: 'secret_unavailable', message: KEYRING_LOCKED_MESSAGE } });
      }
      const imported = valid.map(({ value, enabled }) => {
        const webhook = this.#newWebhook(draft, value);
        webhook.enabled = enabled;
        draft.webhooks.push(webhook);
        return toView(webhook);
      });
      return { ok: true, imported };
    });
  }

  onChange(listener: (snapshot: WebhooksSnapshot) => void): () => void {
    // The storage helper calls it after each saved change and each reload that brought new data.
    return this.#db.onChange(() => listener({ org: this.org(), webhooks: this.list() }));
  }

  async reload(): Promise<ReloadResult> {
    const result = await this.#db.reload();
    if (!result.ok) {
      this.#logger('warn', `webhooks: ${this.#db.file} was not reloaded because ${result.reason}; the webhooks loaded before stay in use`);
      return result;
    }
    // The change listeners have heard of it already (the dispatcher refreshes).
    if (result.changed) this.#logger('info', `webhooks: reloaded ${this.#db.file} (${this.#db.data.webhooks.length} webhook(s))`);
    return result;
  }

  async close(): Promise<void> {
    this.#deliveryCache = undefined;
    await this.#db.close();
  }

  /** At open: with the OS keyring available, seal the values still in plain text (one write, if any). */
  async sealPlainValues(): Promise<void> {
    if (!this.#sealer.encrypted || !this.#db.data.webhooks.some((w) => hasPlain(w as StoredWebhook))) return;
    try {
      const sealed = await this.#db.update((draft) => this.#sealer.sealPlain(draft));
      this.#logger('info', `webhooks: sealed ${sealed} secret value(s) with the OS keyring`);
    } catch (error) {
      // They stay readable in plain; the next successful write seals them.
      this.#logger('warn', `webhooks: could not seal the plain-text secrets now: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  #find(id: number): StoredWebhook | undefined {
    return this.#db.data.webhooks.find((w) => w.id === id) as StoredWebhook | undefined;
  }

  #newWebhook(draft: WebhooksFile, value: WebhookInput): StoredWebhook {
    const at = this.#iso();
    const split = splitUrlCredentials(value.url);
    const webhook: StoredWebhook = {
      id: draft.nextWebhookId,
      orgId: draft.org.id,
      name: value.name,
      url: split.url,
      events: { ...value.events },
      enabled: true,
      paused: false,
      scope: value.scope ? structuredClone(value.scope) : emptyScope(),
      headers: this.#sealer.sealHeaders(value.headers ?? []),
      createdAt: at,
      updatedAt: at,
    };
    if (value.description !== undefined) webhook.description = value.description;
    // A mask here (an import of a masked URL) is no credential: left out.
    if (split.credentials !== undefined && split.credentials !== URL_CREDENTIALS_MASK) webhook.urlCredentials = this.#sealer.seal(split.credentials);
    if (value.signing === true) webhook.secret = this.#sealer.seal(generateSecret(this.#random));
    draft.nextWebhookId += 1;
    return webhook;
  }

  async #setState(id: number, kind: 'enabled' | 'paused', on: boolean, reason: unknown): Promise<WebhookResult> {
    if (typeof on !== 'boolean') return { ok: false, fieldErrors: { [kind]: `${kind === 'enabled' ? 'Enabled' : 'Paused'} must be on or off` } };
    const checked = checkReason(reason);
    if (!checked.ok) return { ok: false, fieldErrors: { reason: checked.message } };
    const reasonKey = kind === 'enabled' ? 'disabledReason' : 'pausedReason';
    // The reason belongs to the off state (disabled, paused) and goes away with it.
    const nextReason = (kind === 'enabled' ? !on : on) ? checked.value : undefined;
    return this.#change<WebhookResult>((draft) => {
      const existing = draft.webhooks.find((w) => w.id === id);
      if (!existing) throw new Refusal(notFound(id));
      // Already so: answer without a write (the dispatcher may say it twice).
      if (existing[kind] === on && existing[reasonKey] === nextReason) throw new Refusal<WebhookResult>({ ok: true, webhook: toView(existing) });
      existing[kind] = on;
      if (nextReason !== undefined) existing[reasonKey] = nextReason;
      else delete existing[reasonKey];
      existing.updatedAt = this.#iso();
      return { ok: true, webhook: toView(existing) };
    });
  }

  #forDelivery(w: StoredWebhook): DeliveryLookup {
    const material = this.#sealer.open(w);
    if (!material.ok) return material;
    const webhook: WebhookForDelivery = {
      id: w.id,
      orgId: w.orgId,
      name: w.name,
      url: joinUrlCredentials(w.url, material.urlCredentials),
      events: { ...w.events },
      enabled: w.enabled,
      paused: w.paused,
      scope: structuredClone(w.scope),
      // fromEntries defines own properties: a header named __proto__ stays a header.
      headers: Object.fromEntries(material.headers.map((h) => [h.name, h.value])),
    };
    if (material.secret !== undefined) webhook.secret = material.secret;
    return { ok: true, webhook };
  }

  #warnUnavailable(id: number, message: string): void {
    const data = this.#db.data;
    if (this.#warned?.data !== data) this.#warned = { data, ids: new Set() };
    if (this.#warned.ids.has(id)) return;
    this.#warned.ids.add(id);
    this.#logger('warn', `webhooks: webhook ${id} is left out of deliveries: ${message}`);
  }

  #iso(): string {
    return new Date(this.#now()).toISOString();
  }

  /**
   * Runs a serialized change (sealing any value still in plain text in the same write); a Refusal answers
   * without writing, a failed write answers `storage`, a value the keyring cannot seal `secret_unavailable`.
   */
  async #change<R>(mutator: (draft: WebhooksFile) => R): Promise<R | { ok: false; error: StoreError }> {
    try {
      return await this.#db.change<R, R>((draft) => {
        const answer = mutator(draft);
        this.#sealer.sealPlain(draft);
        return answer;
      });
    } catch (error) {
      if (error instanceof StorageWriteError) return { ok: false, error: { code: 'storage', message: error.message } };
      if (error instanceof SecretUnavailableError) {
        return { ok: false, error: { code: 'secret_unavailable', message: `Nothing was saved: ${lowerFirst(error.message)}.` } };
      }
      throw error;
    }
  }
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

function notFound(id: number): { ok: false; error: StoreError } {
  return { ok: false, error: { code: 'not_found', message: `Webhook ${id} no longer exists: it may have been deleted.` } };
}

/** The org form: id a positive whole number, name trimmed, at most 100 characters (may be empty). */
function validateOrg(raw: unknown): { ok: true; value: Org } | { ok: false; fieldErrors: FieldErrors } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, fieldErrors: { _: 'Send the organization as an object with an id and a name' } };
  const { id, name } = raw as { id?: unknown; name?: unknown };
  const fieldErrors: FieldErrors = {};
  if (id === undefined || id === null || id === '') fieldErrors['id'] = 'Enter the organization ID';
  else if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) fieldErrors['id'] = 'Organization ID must be a whole number greater than 0';
  let orgName = '';
  if (name !== undefined && name !== null) {
    if (typeof name !== 'string') fieldErrors['name'] = 'Organization name must be text';
    else if (name.trim() !== '') {
      const checked = checkName(name, ORG_NAME_MAX, 'Organization name');
      if (checked.ok) orgName = checked.value;
      else fieldErrors['name'] = checked.message;
    }
  }
  if (Object.keys(fieldErrors).length > 0) return { ok: false, fieldErrors };
  return { ok: true, value: { id: id as number, name: orgName } };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** A URL that carries a user name or password of its own (not the mask a view was shown). */
function hasNewUrlCredentials(url: string): boolean {
  const { credentials } = splitUrlCredentials(url);
  return credentials !== undefined && credentials !== URL_CREDENTIALS_MASK;
}
