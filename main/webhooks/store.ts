// Webhooks and the organization they belong to, in `webhooks.json` under the data folder.
//
// One file for both because they are one concern with one invariant: every webhook belongs to the
// configured organization (its orgId is the org's id, names are unique within it), and an org change
// re-stamps the webhooks in the same atomic write. App-wide preferences, reservations, the outbox and
// the delivery log live in files of their own, so a burst of deliveries never rewrites the webhooks.
//
// Permission-free on purpose: service.ts checks the active profile. The dispatcher reads list()/org().
import { join } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../log';
import { StorageWriteError } from '../storage/errors';
import { openJsonStore, zodValidator } from '../storage/jsonStore';
import type { JsonStore, Recovery, Migration } from '../storage/jsonStore';
import {
  WEBHOOK_EVENT_KEYS,
  checkName,
  duplicateNameMessage,
  validateWebhookInput,
} from './schema';
import type { FieldErrors, WebhookEvents, WebhookInput } from './schema';

export const WEBHOOKS_FILE = 'webhooks.json';
export const WEBHOOKS_SCHEMA_VERSION = 1;
export const EXPORT_FORMAT = 'devicehooks-webhooks';
export const EXPORT_VERSION = 1;
export const ORG_NAME_MAX = 100;
/** An import file larger than this is refused before parsing (a webhook is well under 2 KB). */
export const IMPORT_MAX_BYTES = 2 * 1024 * 1024;

export interface Webhook {
  id: number;
  orgId: number;
  name: string;
  url: string;
  description?: string;
  events: WebhookEvents;
  /** ISO-8601 UTC */
  createdAt: string;
  updatedAt: string;
}

export interface Org {
  /** A positive whole number; sent as `orgId` in every callback. */
  id: number;
  name: string;
}

export interface WebhooksFile {
  schemaVersion: number;
  /** The id the next webhook gets. Only ever goes up: an id is never reused in this data folder. */
  nextWebhookId: number;
  org: Org;
  webhooks: Webhook[];
}

export type StoreErrorCode = 'not_found' | 'storage';
export interface StoreError {
  code: StoreErrorCode;
  message: string;
}

export type Failure = { ok: false; fieldErrors: FieldErrors } | { ok: false; error: StoreError };
export type WebhookResult = { ok: true; webhook: Webhook } | Failure;
export type OrgResult = { ok: true; org: Org } | Failure;

export interface ImportProblem {
  /** 0-based position in the file's `webhooks` array; null for a problem with the file as a whole. */
  index: number | null;
  /** `name`, `url`, `description`, `events`, or `file`. */
  field: string;
  message: string;
}
export type ImportResult = { ok: true; imported: Webhook[] } | { ok: false; problems: ImportProblem[] } | { ok: false; error: StoreError };

export interface WebhooksSnapshot {
  org: Org;
  webhooks: Webhook[];
}

/** What exportJson() writes and importJson() reads. */
export interface WebhooksExport {
  format: typeof EXPORT_FORMAT;
  version: number;
  exportedAt: string;
  org: Org;
  webhooks: WebhookInput[];
}

export interface WebhookStore {
  /** The org's webhooks, by id. Copies: changing them changes nothing. */
  list(): Webhook[];
  get(id: number): Webhook | undefined;
  org(): Org;
  create(input: unknown): Promise<WebhookResult>;
  /** Replaces the webhook's fields with `input` (a whole form, validated like create). */
  update(id: number, input: unknown): Promise<WebhookResult>;
  /** Resolves with the removed webhook. */
  remove(id: number): Promise<WebhookResult>;
  setOrg(org: unknown): Promise<OrgResult>;
  exportJson(): string;
  /** Every entry checked (same rules, unique against existing and within the file); all imported or none. */
  importJson(text: string): Promise<ImportResult>;
  /** Called after every saved change with a fresh snapshot. Returns the unsubscribe function. */
  onChange(listener: (snapshot: WebhooksSnapshot) => void): () => void;
  close(): Promise<void>;
}

export interface OpenWebhookStoreOptions {
  /** The data folder (Electron's userData in the app, a temp dir in tests). */
  dataDir: string;
  logger: Logger;
  /** epoch ms */
  now?: () => number;
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
const storedWebhook = z.object({
  id: positiveId,
  orgId: positiveId,
  name: z.string(),
  url: z.string(),
  description: z.string().optional(),
  events: z.object(Object.fromEntries(WEBHOOK_EVENT_KEYS.map((k) => [k, z.boolean()])) as Record<keyof WebhookEvents, z.ZodBoolean>),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const fileSchema = z
  .object({
    schemaVersion: z.number().int(),
    nextWebhookId: positiveId,
    org: z.object({ id: positiveId, name: z.string() }),
    webhooks: z.array(storedWebhook),
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
    const maxId = data.webhooks.reduce((m, w) => Math.max(m, w.id), 0);
    return { ...data, nextWebhookId: Math.max(data.nextWebhookId, maxId + 1) };
  });

function defaults(): WebhooksFile {
  return { schemaVersion: WEBHOOKS_SCHEMA_VERSION, nextWebhookId: 1, org: { id: 1, name: '' }, webhooks: [] };
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
    migrations: {},
    validate: zodValidator(fileSchema),
    logger: options.logger,
    now,
    ...(options.adapter ? { adapter: options.adapter } : {}),
  });
  const store = new Webhooks(opened.store, now, options.logger);
  return { store, ...(opened.recovered ? { recovered: opened.recovered } : {}), ...(opened.migrated ? { migrated: opened.migrated } : {}) };
}

class Webhooks implements WebhookStore {
  readonly #db: JsonStore<WebhooksFile>;
  readonly #now: () => number;
  readonly #logger: Logger;
  readonly #listeners = new Set<(snapshot: WebhooksSnapshot) => void>();

  constructor(db: JsonStore<WebhooksFile>, now: () => number, logger: Logger) {
    this.#db = db;
    this.#now = now;
    this.#logger = logger;
  }

  list(): Webhook[] {
    return structuredClone(this.#db.data.webhooks as Webhook[]).sort((a, b) => a.id - b.id);
  }

  get(id: number): Webhook | undefined {
    const found = this.#db.data.webhooks.find((w) => w.id === id);
    return found ? structuredClone(found as Webhook) : undefined;
  }

  org(): Org {
    return { ...this.#db.data.org };
  }

  async create(input: unknown): Promise<WebhookResult> {
    const checked = validateWebhookInput(input);
    if (!checked.ok) return checked;
    const value = checked.value;
    return this.#change<WebhookResult>((draft) => {
      // Checked against the latest data, inside the serialized update: two quick creates cannot both win.
      if (draft.webhooks.some((w) => w.name === value.name)) throw new Refusal({ ok: false, fieldErrors: { name: duplicateNameMessage(value.name) } });
      const webhook = this.#newWebhook(draft, value);
      draft.webhooks.push(webhook);
      return { ok: true, webhook: structuredClone(webhook) };
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
      existing.name = value.name;
      existing.url = value.url;
      if (value.description !== undefined) existing.description = value.description;
      else delete existing.description;
      existing.events = { ...value.events };
      existing.updatedAt = this.#iso();
      return { ok: true, webhook: structuredClone(existing) };
    });
  }

  async remove(id: number): Promise<WebhookResult> {
    return this.#change<WebhookResult>((draft) => {
      const index = draft.webhooks.findIndex((w) => w.id === id);
      const existing = draft.webhooks[index];
      if (!existing) throw new Refusal(notFound(id));
      draft.webhooks.splice(index, 1);
      // nextWebhookId stays where it is: this id is never handed out again.
      return { ok: true, webhook: structuredClone(existing) };
    });
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
    const doc: WebhooksExport = {
      format: EXPORT_FORMAT,
      version: EXPORT_VERSION,
      exportedAt: this.#iso(),
      org: this.org(),
      webhooks: this.list().map((w) => {
        const entry: WebhookInput = { name: w.name, url: w.url, events: { ...w.events } };
        if (w.description !== undefined) entry.description = w.description;
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
      const valid: WebhookInput[] = [];
      entries.forEach((entry, index) => {
        const checked = validateWebhookInput(entry);
        if (!checked.ok) {
          for (const [field, message] of Object.entries(checked.fieldErrors)) problems.push({ index, field: field === '_' ? 'entry' : field, message });
          return;
        }
        const name = checked.value.name;
        if (existing.has(name)) problems.push({ index, field: 'name', message: duplicateNameMessage(name) });
        else if (inFile.has(name)) problems.push({ index, field: 'name', message: `The name "${name}" is used more than once in this file` });
        else inFile.set(name, index);
        valid.push(checked.value);
      });
      if (problems.length > 0) throw new Refusal<ImportResult>({ ok: false, problems });
      const imported = valid.map((value) => {
        const webhook = this.#newWebhook(draft, value);
        draft.webhooks.push(webhook);
        return structuredClone(webhook);
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

  async close(): Promise<void> {
    this.#listeners.clear();
    await this.#db.close();
  }

  #newWebhook(draft: WebhooksFile, value: WebhookInput): Webhook {
    const at = this.#iso();
    const webhook: Webhook = {
      id: draft.nextWebhookId,
      orgId: draft.org.id,
      name: value.name,
      url: value.url,
      events: { ...value.events },
      createdAt: at,
      updatedAt: at,
    };
    if (value.description !== undefined) webhook.description = value.description;
    draft.nextWebhookId += 1;
    return webhook;
  }

  #iso(): string {
    return new Date(this.#now()).toISOString();
  }

  /** Runs a serialized change; a Refusal answers without writing, a failed write answers `storage`. */
  async #change<R>(mutator: (draft: WebhooksFile) => R): Promise<R | { ok: false; error: StoreError }> {
    let result: R;
    try {
      result = await this.#db.update(mutator);
    } catch (error) {
      if (error instanceof Refusal) return error.result as R;
      if (error instanceof StorageWriteError) return { ok: false, error: { code: 'storage', message: error.message } };
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
