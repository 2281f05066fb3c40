// Webhooks and the organization they belong to, in `webhooks.json` under the data folder.
//
// One file for both because they are one concern with one invariant: every webhook belongs to the
// configured organization (its orgId is the org's id, names are unique within it), and an org change
// re-stamps the webhooks in the same atomic write. App-wide preferences, reservations, the outbox and
// the delivery log live in files of their own, so a burst of deliveries never rewrites the webhooks.
//
// Secret material (the signing secret, extra header values) is kept sealed by a SecretBox (OS keyring
// when there is one) and leaves this file only through reveal() (an admin's edit dialog), rotateSecret()
// (once, the new secret) and deliveryWebhooks() (the dispatcher). list(), get(), onChange() and the
// export say only whether there is a secret and which header names there are.
//
// Permission-free on purpose: service.ts checks the active profile. The dispatcher reads
// deliveryWebhooks()/org().
import { join } from 'node:path';
import { z } from 'zod';
import type { Org, Webhook } from '../../preload/contract';
import type { Logger } from '../log';
import { StorageWriteError } from '../storage/errors';
import { openJsonStore, zodValidator } from '../storage/jsonStore';
import type { JsonStore, Recovery, Migration, ReloadResult } from '../storage/jsonStore';
import {
  WEBHOOK_EVENT_KEYS,
  WEBHOOK_PLATFORMS,
  checkName,
  checkReason,
  duplicateNameMessage,
  validateWebhookImportEntry,
  validateWebhookInput,
} from './schema';
import type { FieldErrors, WebhookEvents, WebhookHeader, WebhookHeaderInput, WebhookInput, WebhookPlatform, WebhookScope } from './schema';
import { isKeptHeader } from './schema';
import { SecretUnavailableError, cryptoSecretRandom, generateSecret, plainBox } from './secrets';
import { joinUrlCredentials, splitUrlCredentials, URL_CREDENTIALS_MASK } from '../urlCredentials';
import type { Sealed, SecretBox, SecretRandom } from './secrets';

export const WEBHOOKS_FILE = 'webhooks.json';
/**
 * 1: the webhooks' form fields. 2: enabled/paused (with reasons), scope, sealed secret and headers.
 * 3: a URL's userinfo (`user:password@`) is kept apart from `url`, sealed, in `urlCredentials`.
 * 4: deletedWebhookIds, the ids of webhooks a user deleted.
 */
export const WEBHOOKS_SCHEMA_VERSION = 4;
export const EXPORT_FORMAT = 'devicehooks-webhooks';
/**
 * 1: name, url, description, events. 2: also enabled, scope, header names and signing. Version 1 files
 * still import; a DeviceHooks that reads only version 1 refuses a version 2 file rather than silently
 * dropping its scope and headers (a webhook meant for one phone would hear about all of them).
 */
export const EXPORT_VERSION = 2;
export const ORG_NAME_MAX = 100;
/** An import file larger than this is refused before parsing (a webhook is well under 2 KB). */
export const IMPORT_MAX_BYTES = 2 * 1024 * 1024;

/** One extra request header as stored: the value is sealed. */
export interface StoredHeader {
  name: string;
  value: Sealed;
}

/**
 * A webhook as webhooks.json holds it (schema version 2). Never handed out as is: list(), get(), the
 * results and onChange() give out the contract's `Webhook` (preload/contract/dtos.ts), which says only
 * whether there is a secret and which header names there are.
 */
export interface StoredWebhook extends Omit<Webhook, 'hasSecret' | 'headers'> {
  /** Standard Webhooks secret (`whsec_…`), sealed. Absent: requests are not signed. */
  secret?: Sealed;
  headers: StoredHeader[];
  /** The URL's userinfo (`user:password`, as typed), sealed; `url` is then the URL without it. */
  urlCredentials?: Sealed;
}

export type { Org, Webhook };

/**
 * What the dispatcher gets: structurally a delivery/types.ts `DeliveryWebhook` (this layer does not
 * import delivery/), with the secret and header values opened.
 */
export interface WebhookForDelivery {
  id: number;
  orgId: number;
  name: string;
  url: string;
  events: WebhookEvents;
  enabled: boolean;
  paused: boolean;
  scope: { udids: string[]; platforms: WebhookPlatform[] };
  /** `whsec_…`; absent: unsigned. */
  secret?: string;
  headers: Record<string, string>;
  /**
   * Only from forDispatcher(): why its secret or a header value cannot be opened now (the OS keyring is
   * locked or unavailable). Such a webhook comes without secret and headers: its callbacks queue and wait.
   */
  unavailable?: string;
}

export interface WebhooksFile {
  schemaVersion: number;
  /** The id the next webhook gets. Only ever goes up: an id is never reused in this data folder. */
  nextWebhookId: number;
  org: Org;
  webhooks: StoredWebhook[];
  /**
   * Ids of webhooks a user deleted, ascending: their waiting callbacks end "Skipped — webhook deleted".
   * A webhook id missing from the file and not in this list was not deleted (the file was replaced or
   * set aside): its callbacks are kept.
   */
  deletedWebhookIds: number[];
}

/** `secret_unavailable`: a sealed value cannot be opened (or sealed) by this machine's keyring now. */
export type StoreErrorCode = 'not_found' | 'storage' | 'secret_unavailable';
export interface StoreError {
  code: StoreErrorCode;
  message: string;
}

export type Failure = { ok: false; fieldErrors: FieldErrors } | { ok: false; error: StoreError };
export type WebhookResult = { ok: true; webhook: Webhook } | Failure;
export type OrgResult = { ok: true; org: Org } | Failure;
/** The secret material of one webhook, opened. `secret` absent: the webhook does not sign. */
export type RevealResult = { ok: true; secret?: string; headers: WebhookHeader[]; url?: string } | { ok: false; error: StoreError };
/**
 * For the edit dialog: what can be opened, and for each value that cannot, why (a short sentence). The
 * dialog shows the reason next to the field and saving keeps the stored value (a `keepValueOf` row).
 */
export interface EditMaterial {
  ok: true;
  secret?: string;
  secretUnreadable?: string;
  /** The URL with its user name and password, when it has them and they can be opened. */
  url?: string;
  headers: { name: string; value?: string; unreadable?: string }[];
}
export type RevealForEditResult = EditMaterial | { ok: false; error: StoreError };

/** The answer to a new secret or header value while the OS keyring that sealed the others is locked. */
export const KEYRING_LOCKED_MESSAGE = 'The OS keyring is locked; unlock it to change secrets';
/** The new secret, in plain this once (reveal() can show it again to an admin). */
export type RotateResult = { ok: true; secret: string; webhook: Webhook } | { ok: false; error: StoreError };
export type DeliveryLookup = { ok: true; webhook: WebhookForDelivery } | { ok: false; error: StoreError };

export interface ImportProblem {
  /** 0-based position in the file's `webhooks` array; null for a problem with the file as a whole. */
  index: number | null;
  /** A form field key (`name`, `url`, `description`, `events`, `scope`, `signing`, `enabled`, `headers`, `headers.N.name`…), `entry`, or `file`. */
  field: string;
  message: string;
}
export type RestoreResult = { ok: true; restored: Webhook[]; skipped: { id: number | null; reason: string }[] } | { ok: false; error: StoreError };
export type ImportResult = { ok: true; imported: Webhook[] } | { ok: false; problems: ImportProblem[] } | { ok: false; error: StoreError };

export interface WebhooksSnapshot {
  org: Org;
  webhooks: Webhook[];
}

/**
 * One webhook in an export. Never the secret or header values: an export is a file people mail around.
 * Header names are kept so the import can say which values to fill in; `signing` says the webhook signed
 * its requests, and the import generates a new secret for it (the receiver needs that new one).
 */
export interface ExportedWebhook {
  name: string;
  url: string;
  description?: string;
  events: WebhookEvents;
  enabled: boolean;
  scope: WebhookScope;
  headers: { name: string }[];
  signing: boolean;
  /** Present when the URL had a user name and password: they are not in the export (see URL_CREDENTIALS_REMOVED). */
  urlCredentials?: string;
}

/** The placeholder an export carries where a URL's user name and password were. */
export const URL_CREDENTIALS_REMOVED =
  'Removed from this export: the URL had a user name and password. Add them again after the import (a header such as Authorization is the better place for a token).';

/** What exportJson() writes and importJson() reads. */
export interface WebhooksExport {
  format: typeof EXPORT_FORMAT;
  version: number;
  exportedAt: string;
  org: Org;
  webhooks: ExportedWebhook[];
}

export interface WebhookStore {
  /** The org's webhooks, by id, without secret material. Copies: changing them changes nothing. */
  list(): Webhook[];
  get(id: number): Webhook | undefined;
  org(): Org;
  /** Whether secrets and header values are sealed by the OS keyring; false: plain text in webhooks.json. */
  secretsEncrypted(): boolean;
  create(input: unknown): Promise<WebhookResult>;
  /**
   * Replaces the webhook's form fields with `input` (a whole form, validated like create). `scope`,
   * `headers` and `signing` left out keep what the webhook has; `signing: true` keeps an existing secret.
   */
  update(id: number, input: unknown): Promise<WebhookResult>;
  /** Resolves with the removed webhook; its id is recorded as deleted. */
  remove(id: number): Promise<WebhookResult>;
  /** The id belonged to a webhook a user deleted (false for ids never defined). */
  isDeleted(id: number): boolean;
  /**
   * Puts webhooks back as they were stored (e.g. from a webhooks.json set aside as unreadable), with
   * their ids and sealed values. An entry is skipped (with the reason) when its shape is wrong, its id is
   * defined or was deleted, or its name is taken.
   */
  restoreWebhooks(entries: readonly unknown[]): Promise<RestoreResult>;
  /** Makes sure no id up to `maxSeen` is handed out again (ids seen in the outbox and the history). */
  ensureIdsAbove(maxSeen: number): Promise<void>;
  /** The opened secret and header values, for an admin's edit dialog and "copy secret". */
  reveal(id: number): RevealResult;
  /** Like reveal, value by value: a value that cannot be opened is named with the reason, not an error. */
  revealForEdit(id: number): RevealForEditResult;
  /**
   * The OS keyring sealed values here but cannot seal or open now (locked, or signed out of): new secrets
   * and header values are refused (KEYRING_LOCKED_MESSAGE) rather than stored in plain text.
   */
  keyringLocked(): boolean;
  /** A new secret (the webhook signs from now on, if it did not); the old one is gone. */
  rotateSecret(id: number): Promise<RotateResult>;
  /** Disabling stores `reason` (trimmed, optional); enabling clears it. */
  setEnabled(id: number, enabled: boolean, reason?: string): Promise<WebhookResult>;
  /** Pausing stores `reason` (trimmed, optional); resuming clears it. */
  setPaused(id: number, paused: boolean, reason?: string): Promise<WebhookResult>;
  /**
   * Every webhook (enabled or not, by id) for the dispatcher, secret and headers opened. A webhook whose
   * material cannot be opened now is left out (logged): sending it unsigned or without its headers
   * would be wrong.
   */
  deliveryWebhooks(): WebhookForDelivery[];
  /** One webhook for the dispatcher: not_found, or secret_unavailable with the reason. */
  deliveryWebhook(id: number): DeliveryLookup;
  /**
   * deliveryWebhooks() plus, for each webhook whose material cannot be opened now, an entry without
   * secret and headers carrying `unavailable` (the reason): events for it still queue, nothing is sent.
   */
  forDispatcher(): WebhookForDelivery[];
  setOrg(org: unknown): Promise<OrgResult>;
  /** No secrets and no header values, ever (see ExportedWebhook). */
  exportJson(): string;
  /** Every entry checked (same rules, unique against existing and within the file); all imported or none. */
  importJson(text: string): Promise<ImportResult>;
  /** Called after every saved change with a fresh snapshot. Returns the unsubscribe function. */
  onChange(listener: (snapshot: WebhooksSnapshot) => void): () => void;
  /**
   * Reads webhooks.json again (an admin edited it or copied another in; the headless runner watches it).
   * Changed: the new data is current and onChange listeners hear of it (the dispatcher refreshes). The
   * file holding what is already current (our own last write) answers `changed: false` and tells no one.
   * A file that cannot be used keeps the current data, stays where it is, and answers why (logged).
   */
  reload(): Promise<ReloadResult>;
  close(): Promise<void>;
}

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

export interface OpenWebhookStoreResult {
  store: WebhookStore;
  recovered?: Recovery;
  migrated?: Migration;
}

// The file's shape: types and structure only. The product limits (50 characters…) apply to what a
// person submits; a hand-edited file with a 60-character name still loads rather than being set aside.
const positiveId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const sealedSchema = z.object({ scheme: z.enum(['os', 'plain']), data: z.string() });
const storedWebhook = z.object({
  id: positiveId,
  orgId: positiveId,
  name: z.string(),
  url: z.string(),
  description: z.string().optional(),
  events: z.object(Object.fromEntries(WEBHOOK_EVENT_KEYS.map((k) => [k, z.boolean()])) as Record<keyof WebhookEvents, z.ZodBoolean>),
  enabled: z.boolean(),
  disabledReason: z.string().optional(),
  paused: z.boolean(),
  pausedReason: z.string().optional(),
  scope: z.object({ udids: z.array(z.string()), platforms: z.array(z.enum(WEBHOOK_PLATFORMS)) }),
  secret: sealedSchema.optional(),
  headers: z.array(z.object({ name: z.string(), value: sealedSchema })),
  urlCredentials: sealedSchema.optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const fileSchema = z
  .object({
    schemaVersion: z.number().int(),
    nextWebhookId: positiveId,
    org: z.object({ id: positiveId, name: z.string() }),
    webhooks: z.array(storedWebhook),
    deletedWebhookIds: z.array(positiveId),
  })
  .superRefine((data, ctx) => {
    const seen = new Set<number>();
    for (const [i, w] of data.webhooks.entries()) {
      if (seen.has(w.id)) ctx.addIssue({ code: 'custom', path: ['webhooks', i, 'id'], message: `webhook id ${w.id} appears twice` });
      seen.add(w.id);
    }
  })
  .transform((data): WebhooksFile => {
    // A hand-edited counter below an existing id would hand that id out again: never let it.
    const maxId = Math.max(
      data.webhooks.reduce((m, w) => Math.max(m, w.id), 0),
      data.deletedWebhookIds.reduce((m, id) => Math.max(m, id), 0),
    );
    return { ...data, nextWebhookId: Math.max(data.nextWebhookId, maxId + 1) };
  });

function defaults(): WebhooksFile {
  return { schemaVersion: WEBHOOKS_SCHEMA_VERSION, nextWebhookId: 1, org: { id: 1, name: '' }, webhooks: [], deletedWebhookIds: [] };
}

const emptyScope = (): WebhookScope => ({ udids: [], platforms: [] });

/**
 * v1 → v2: every webhook gains `enabled: true`, `paused: false`, an empty scope (every device) and no
 * extra headers; none has a secret. Anything unexpected is passed on for the shape check to name.
 */
export function migrateWebhooksV1toV2(old: unknown): unknown {
  if (typeof old !== 'object' || old === null || Array.isArray(old)) return old;
  const doc = old as { webhooks?: unknown };
  if (!Array.isArray(doc.webhooks)) return old;
  const webhooks = doc.webhooks.map((w: unknown) => {
    if (typeof w !== 'object' || w === null || Array.isArray(w)) return w;
    const { secret: _ignored, ...rest } = w as Record<string, unknown>;
    return { ...rest, enabled: true, paused: false, scope: emptyScope(), headers: [] };
  });
  return { ...doc, webhooks };
}

/**
 * v2 → v3: a URL with a userinfo part keeps only the rest in `url`; the userinfo moves to
 * `urlCredentials` as a plain value, which the store seals with the OS keyring right after opening.
 */
export function migrateWebhooksV2toV3(old: unknown): unknown {
  if (typeof old !== 'object' || old === null || Array.isArray(old)) return old;
  const doc = old as { webhooks?: unknown };
  if (!Array.isArray(doc.webhooks)) return old;
  const webhooks = doc.webhooks.map((w: unknown) => {
    if (typeof w !== 'object' || w === null || Array.isArray(w) || typeof (w as { url?: unknown }).url !== 'string') return w;
    const split = splitUrlCredentials((w as { url: string }).url);
    return split.credentials === undefined ? w : { ...w, url: split.url, urlCredentials: { scheme: 'plain', data: split.credentials } };
  });
  return { ...doc, webhooks };
}

/** v3 → v4: no webhook is known to have been deleted (earlier versions kept no record). */
export function migrateWebhooksV3toV4(old: unknown): unknown {
  if (typeof old !== 'object' || old === null || Array.isArray(old)) return old;
  return { ...old, deletedWebhookIds: [] };
}

/** Thrown inside a mutator to abandon the change and answer `result` instead. */
class Refusal<R> {
  constructor(readonly result: R) {}
}

export async function openWebhookStore(options: OpenWebhookStoreOptions): Promise<OpenWebhookStoreResult> {
  const now = options.now ?? Date.now;
  const opened = await openJsonStore<WebhooksFile>({
    file: join(options.dataDir, WEBHOOKS_FILE),
    label: 'webhooks',
    defaults,
    version: WEBHOOKS_SCHEMA_VERSION,
    migrations: { 2: migrateWebhooksV1toV2, 3: migrateWebhooksV2toV3, 4: migrateWebhooksV3toV4 },
    validate: zodValidator(fileSchema),
    logger: options.logger,
    now,
    // Only this OS account may read it: without a keyring the secrets in it are plain text.
    fileMode: 0o600,
    ...(options.adapter ? { adapter: options.adapter } : {}),
  });
  const store = new Webhooks(opened.store, {
    now,
    logger: options.logger,
    box: options.secretBox ?? plainBox,
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

type Material = { ok: true; secret?: string; headers: WebhookHeader[]; urlCredentials?: string } | { ok: false; error: StoreError };

class Webhooks implements WebhookStore {
  readonly #db: JsonStore<WebhooksFile>;
  readonly #now: () => number;
  readonly #logger: Logger;
  readonly #box: SecretBox;
  readonly #random: SecretRandom;
  readonly #listeners = new Set<(snapshot: WebhooksSnapshot) => void>();
  /** deliveryWebhooks() for one committed version of the data (only when every webhook opened). */
  #deliveryCache: { data: unknown; list: WebhookForDelivery[] } | undefined;
  /** The webhooks left out of the last incomplete deliveryWebhooks(), with the reason. */
  #lastUnavailable: { data: unknown; list: WebhookForDelivery[]; waiting: WebhookForDelivery[] } | undefined;
  /** Webhooks already logged as unavailable for one version of the data: one warning, not one per event. */
  #warned: { data: unknown; ids: Set<number> } | undefined;

  constructor(db: JsonStore<WebhooksFile>, deps: { now: () => number; logger: Logger; box: SecretBox; random: SecretRandom }) {
    this.#db = db;
    this.#now = deps.now;
    this.#logger = deps.logger;
    this.#box = deps.box;
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
    return this.#box.encrypted;
  }

  async create(input: unknown): Promise<WebhookResult> {
    const checked = validateWebhookInput(input);
    if (!checked.ok) return checked;
    const value = checked.value;
    return this.#change<WebhookResult>((draft) => {
      const errors: FieldErrors = {};
      const locked = this.#lockedIn(draft);
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
      const locked = this.#lockedIn(draft);
      const errors: FieldErrors = {};
      const headers = value.headers?.map((h, i): StoredHeader | undefined => {
        const from = isKeptHeader(h) ? h.keepValueOf : h.name;
        const old = existing.headers.find((o) => o.name.toLowerCase() === from.toLowerCase());
        if (isKeptHeader(h)) {
          if (old) return { name: h.name, value: old.value };
          errors[`headers.${i}.value`] = `Enter a value for the header "${h.name}"`;
          return undefined;
        }
        if (old && this.#opensTo(old.value, h.value)) return { name: h.name, value: old.value };
        if (locked) {
          errors[`headers.${i}.value`] = KEYRING_LOCKED_MESSAGE;
          return undefined;
        }
        return { name: h.name, value: this.#box.seal(h.value) };
      });
      if (value.signing === true && existing.secret === undefined && locked) errors['signing'] = KEYRING_LOCKED_MESSAGE;
      const split = splitUrlCredentials(value.url);
      // The form sends back the mask it was shown (or the same credentials): the stored ones stay as stored.
      const keepCredentials =
        split.credentials === URL_CREDENTIALS_MASK ||
        (split.credentials !== undefined && existing.urlCredentials !== undefined && this.#opensTo(existing.urlCredentials, split.credentials));
      if (locked && split.credentials !== undefined && !keepCredentials) errors['url'] = KEYRING_LOCKED_MESSAGE;
      if (Object.keys(errors).length > 0) throw new Refusal<WebhookResult>({ ok: false, fieldErrors: errors });
      existing.name = value.name;
      existing.url = split.url;
      if (split.credentials === undefined) delete existing.urlCredentials;
      else if (!keepCredentials) existing.urlCredentials = this.#box.seal(split.credentials);
      if (value.description !== undefined) existing.description = value.description;
      else delete existing.description;
      existing.events = { ...value.events };
      if (value.scope !== undefined) existing.scope = structuredClone(value.scope);
      if (headers !== undefined) existing.headers = headers.filter((h): h is StoredHeader => h !== undefined);
      if (value.signing === true && existing.secret === undefined) existing.secret = this.#box.seal(generateSecret(this.#random));
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
        const parsed = storedWebhook.safeParse(entry);
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
    const material = this.#open(found);
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
      const opened = this.#tryOpen(found.urlCredentials);
      if (opened.ok) out.url = joinUrlCredentials(found.url, opened.value);
    }
    if (found.secret) {
      const opened = this.#tryOpen(found.secret);
      if (opened.ok) out.secret = opened.value;
      else out.secretUnreadable = opened.reason;
    }
    for (const h of found.headers) {
      const opened = this.#tryOpen(h.value);
      out.headers.push(opened.ok ? { name: h.name, value: opened.value } : { name: h.name, unreadable: opened.reason });
    }
    return out;
  }

  keyringLocked(): boolean {
    return this.#lockedIn(this.#db.data);
  }

  async rotateSecret(id: number): Promise<RotateResult> {
    return this.#change<RotateResult>((draft) => {
      const existing = draft.webhooks.find((w) => w.id === id);
      if (!existing) throw new Refusal(notFound(id));
      if (this.#lockedIn(draft)) throw new Refusal<RotateResult>({ ok: false, error: { code: 'secret_unavailable', message: KEYRING_LOCKED_MESSAGE } });
      const secret = generateSecret(this.#random);
      existing.secret = this.#box.seal(secret);
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
    // Deliberately no secret and no header value: only whether it signs, and the header names.
    const doc: WebhooksExport = {
      format: EXPORT_FORMAT,
      version: EXPORT_VERSION,
      exportedAt: this.#iso(),
      org: this.org(),
      webhooks: this.list().map((w) => {
        const stored = this.#find(w.id);
        const entry: ExportedWebhook = {
          name: w.name,
          // Without the user name and password (never in an export): the placeholder below says so.
          url: stored?.url ?? w.url,
          events: { ...w.events },
          enabled: w.enabled,
          scope: structuredClone(w.scope),
          headers: w.headers.map((h) => ({ name: h.name })),
          signing: w.hasSecret,
        };
        if (w.description !== undefined) entry.description = w.description;
        if (stored?.urlCredentials) entry.urlCredentials = URL_CREDENTIALS_REMOVED;
        return entry;
      }),
    };
    return JSON.stringify(doc, null, 2);
  }

  async importJson(text: string): Promise<ImportResult> {
    const parsed = parseImport(text);
    if (!parsed.ok) return parsed;
    const entries = parsed.entries;
    return this.#change<ImportResult>((draft) => {
      const problems: ImportProblem[] = [];
      const existing = new Set(draft.webhooks.map((w) => w.name));
      const inFile = new Map<string, number>();
      const valid: { value: WebhookInput; enabled: boolean }[] = [];
      entries.forEach((entry, index) => {
        const checked = validateWebhookImportEntry(entry);
        if (!checked.ok) {
          for (const [field, message] of Object.entries(checked.fieldErrors)) problems.push({ index, field: field === '_' ? 'entry' : field, message });
          return;
        }
        const { enabled = true, ...value } = checked.value;
        const name = value.name;
        if (existing.has(name)) problems.push({ index, field: 'name', message: duplicateNameMessage(name) });
        else if (inFile.has(name)) problems.push({ index, field: 'name', message: `The name "${name}" is used more than once in this file` });
        else inFile.set(name, index);
        valid.push({ value, enabled });
      });
      if (problems.length > 0) throw new Refusal<ImportResult>({ ok: false, problems });
      if (this.#lockedIn(draft) && valid.some(({ value }) => value.signing === true || (value.headers ?? []).length > 0)) {
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
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  async reload(): Promise<ReloadResult> {
    const result = await this.#db.reload();
    if (!result.ok) {
      this.#logger('warn', `webhooks: ${this.#db.file} was not reloaded because ${result.reason}; the webhooks loaded before stay in use`);
      return result;
    }
    if (result.changed) {
      this.#logger('info', `webhooks: reloaded ${this.#db.file} (${this.#db.data.webhooks.length} webhook(s))`);
      this.#emit();
    }
    return result;
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    this.#deliveryCache = undefined;
    await this.#db.close();
  }

  /** At open: with the OS keyring available, seal the values still in plain text (one write, if any). */
  async sealPlainValues(): Promise<void> {
    if (!this.#box.encrypted || !this.#db.data.webhooks.some((w) => hasPlain(w as StoredWebhook))) return;
    try {
      const sealed = await this.#db.update((draft) => this.#sealPlain(draft));
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
      headers: this.#sealHeaders(value.headers ?? []),
      createdAt: at,
      updatedAt: at,
    };
    if (value.description !== undefined) webhook.description = value.description;
    // A mask here (an import of a masked URL) is no credential: left out.
    if (split.credentials !== undefined && split.credentials !== URL_CREDENTIALS_MASK) webhook.urlCredentials = this.#box.seal(split.credentials);
    if (value.signing === true) webhook.secret = this.#box.seal(generateSecret(this.#random));
    draft.nextWebhookId += 1;
    return webhook;
  }

  #sealHeaders(headers: WebhookHeaderInput[]): StoredHeader[] {
    return headers.map((h) => {
      // Only the edit form sends kept rows, and update() resolves them; anything else is a caller's bug.
      if (isKeptHeader(h)) throw new Error(`webhooks: the kept header row "${h.name}" reached sealing`);
      return { name: h.name, value: this.#box.seal(h.value) };
    });
  }

  /** Values sealed by the OS keyring are stored here, but the keyring cannot seal now. */
  #lockedIn(
    data: Readonly<{ webhooks: readonly { secret?: Sealed | undefined; urlCredentials?: Sealed | undefined; headers: readonly { value: Sealed }[] }[] }>,
  ): boolean {
    if (this.#box.encrypted) return false;
    return data.webhooks.some((w) => w.secret?.scheme === 'os' || w.urlCredentials?.scheme === 'os' || w.headers.some((h) => h.value.scheme === 'os'));
  }

  #opensTo(sealed: Sealed, plain: string): boolean {
    const opened = this.#tryOpen(sealed);
    return opened.ok && opened.value === plain;
  }

  #tryOpen(sealed: Sealed): { ok: true; value: string } | { ok: false; reason: string } {
    try {
      return { ok: true, value: this.#box.open(sealed) };
    } catch (error) {
      if (!(error instanceof SecretUnavailableError)) throw error;
      const reason =
        error.reason === 'keyring_unavailable'
          ? "Can't be read now: the OS keyring is locked or not available."
          : error.reason === 'decrypt_failed'
            ? "Can't be read here: it was encrypted by another OS account or on another machine."
            : `Can't be read: ${error.message}.`;
      return { ok: false, reason };
    }
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

  /** Opens a webhook's secret and header values, or says in a sentence why it cannot. */
  #open(w: StoredWebhook): Material {
    // Each sealed value in turn; the first that cannot be opened is the answer.
    const open = (sealed: Sealed, what: string, remedy: string): string => {
      try {
        return this.#box.open(sealed);
      } catch (error) {
        throw new Refusal<Material>(unavailable(error, what, remedy));
      }
    };
    try {
      const secret = w.secret ? open(w.secret, "This webhook's signing secret", 'rotate the secret and give the receiver the new one') : undefined;
      const headers: WebhookHeader[] = w.headers.map((h) => ({
        name: h.name,
        value: open(h.value, `The value of this webhook's header "${h.name}"`, 'edit the webhook and enter the value again'),
      }));
      const urlCredentials = w.urlCredentials
        ? open(w.urlCredentials, "The user name and password in this webhook's URL", 'edit the webhook and enter the URL again')
        : undefined;
      return { ok: true, headers, ...(secret === undefined ? {} : { secret }), ...(urlCredentials === undefined ? {} : { urlCredentials }) };
    } catch (error) {
      if (error instanceof Refusal) return error.result as Material;
      throw error;
    }
  }

  #forDelivery(w: StoredWebhook): DeliveryLookup {
    const material = this.#open(w);
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

  /** With an encrypting box, seals every plain value in `draft`; answers how many. Failures stay plain (logged). */
  #sealPlain(draft: WebhooksFile): number {
    if (!this.#box.encrypted) return 0;
    let count = 0;
    const reseal = (value: Sealed): Sealed => {
      if (value.scheme !== 'plain') return value;
      try {
        const sealed = this.#box.seal(value.data);
        if (sealed.scheme !== 'plain') count++;
        return sealed;
      } catch (error) {
        this.#logger('warn', `webhooks: could not seal a value with the OS keyring: ${error instanceof Error ? error.message : String(error)}`);
        return value;
      }
    };
    for (const w of draft.webhooks) {
      if (w.secret) w.secret = reseal(w.secret);
      if (w.urlCredentials) w.urlCredentials = reseal(w.urlCredentials);
      for (const h of w.headers) h.value = reseal(h.value);
    }
    return count;
  }

  #iso(): string {
    return new Date(this.#now()).toISOString();
  }

  /**
   * Runs a serialized change (sealing any value still in plain text in the same write); a Refusal answers
   * without writing, a failed write answers `storage`, a value the keyring cannot seal `secret_unavailable`.
   */
  async #change<R>(mutator: (draft: WebhooksFile) => R): Promise<R | { ok: false; error: StoreError }> {
    let result: R;
    try {
      result = await this.#db.update((draft) => {
        const answer = mutator(draft);
        this.#sealPlain(draft);
        return answer;
      });
    } catch (error) {
      if (error instanceof Refusal) return error.result as R;
      if (error instanceof StorageWriteError) return { ok: false, error: { code: 'storage', message: error.message } };
      if (error instanceof SecretUnavailableError) {
        return { ok: false, error: { code: 'secret_unavailable', message: `Nothing was saved: ${lowerFirst(error.message)}.` } };
      }
      throw error;
    }
    this.#emit();
    return result;
  }

  #emit(): void {
    if (this.#listeners.size === 0) return;
    const snapshot: WebhooksSnapshot = { org: this.org(), webhooks: this.list() };
    for (const listener of this.#listeners) {
      try {
        listener(structuredClone(snapshot));
      } catch (error) {
        this.#logger('error', `webhooks: a change listener failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}

function hasPlain(w: StoredWebhook): boolean {
  return w.secret?.scheme === 'plain' || w.urlCredentials?.scheme === 'plain' || w.headers.some((h) => h.value.scheme === 'plain');
}

/** A SecretUnavailableError about `what`, as a store error with a way out. */
function unavailable(error: unknown, what: string, remedy: string): { ok: false; error: StoreError } {
  if (!(error instanceof SecretUnavailableError)) throw error;
  let message: string;
  if (error.reason === 'keyring_unavailable') {
    message = `${what} was encrypted by your OS account's keyring, which is not available now. Unlock the keyring (or sign in to the OS account that saved it) and restart DeviceHooks, or ${remedy}.`;
  } else if (error.reason === 'decrypt_failed') {
    message = `${what} could not be decrypted by your OS account's keyring: it may have been encrypted by another account or on another machine. ${capitalize(remedy)}.`;
  } else {
    message = `${what} cannot be read: ${error.message}. ${capitalize(remedy)}.`;
  }
  return { ok: false, error: { code: 'secret_unavailable', message } };
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

function notFound(id: number): { ok: false; error: StoreError } {
  return { ok: false, error: { code: 'not_found', message: `Webhook ${id} no longer exists: it may have been deleted.` } };
}

/** The org form: id a positive whole number, name trimmed, at most 100 characters (may be empty). */
export function validateOrg(raw: unknown): { ok: true; value: Org } | { ok: false; fieldErrors: FieldErrors } {
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

function parseImport(text: string): { ok: true; entries: unknown[] } | { ok: false; problems: ImportProblem[] } {
  const fileProblem = (message: string) => ({ ok: false as const, problems: [{ index: null, field: 'file', message }] });
  if (typeof text !== 'string') return fileProblem('The import must be the text of a DeviceHooks webhooks file');
  if (text.length > IMPORT_MAX_BYTES) return fileProblem('The file is too large to be a DeviceHooks webhooks file');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    return fileProblem(`The file is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || (doc as { format?: unknown }).format !== EXPORT_FORMAT) {
    return fileProblem('The file is not a DeviceHooks webhooks export');
  }
  const { version, webhooks } = doc as { version?: unknown; webhooks?: unknown };
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) return fileProblem('The file has no valid version number');
  if (version > EXPORT_VERSION) {
    return fileProblem(`The file was exported by a newer version of DeviceHooks (format version ${version}; this version reads up to ${EXPORT_VERSION})`);
  }
  if (!Array.isArray(webhooks)) return fileProblem('The file has no list of webhooks');
  return { ok: true, entries: webhooks };
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
