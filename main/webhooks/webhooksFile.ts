// What webhooks.json holds: the stored shapes (secret material sealed), the shape check a file must pass
// to be loaded, and the migrations from older versions of the file. main/webhooks/store.ts opens it.
import { z } from 'zod';
import type { Org, Webhook } from '../../preload/contract';
import { WEBHOOK_EVENT_KEYS, WEBHOOK_PLATFORMS } from './schema';
import type { WebhookEvents, WebhookScope } from './schema';
import type { Sealed } from './secrets';
import { splitUrlCredentials } from './urlCredentials';
import { idSchema } from '../base/schemas';

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

export type { Org };

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

// The file's shape: types and structure only. The product limits (50 characters…) apply to what a
// person submits; a hand-edited file with a 60-character name still loads rather than being set aside.
const sealedSchema = z.object({ scheme: z.enum(['os', 'plain']), data: z.string() });
export const storedWebhookSchema = z.object({
  id: idSchema,
  orgId: idSchema,
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
export const webhooksFileSchema = z
  .object({
    schemaVersion: z.number().int(),
    nextWebhookId: idSchema,
    org: z.object({ id: idSchema, name: z.string() }),
    webhooks: z.array(storedWebhookSchema),
    deletedWebhookIds: z.array(idSchema),
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

export const emptyScope = (): WebhookScope => ({ udids: [], platforms: [] });

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
