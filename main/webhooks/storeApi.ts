// What the webhook store hands out: the WebhookStore interface (implemented in store.ts) and its results,
// views and the dispatcher's opened webhook. Types only; store.ts re-exports them for its importers.
import type { Org, Webhook } from '../../preload/contract';
import type { ReloadResult } from '../storage/jsonStore';
import type { FieldErrors, WebhookEvents, WebhookHeader, WebhookPlatform } from './schema';
import type { ImportProblem } from './importExport';

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

/** The new secret, in plain this once (reveal() can show it again to an admin). */
export type RotateResult = { ok: true; secret: string; webhook: Webhook } | { ok: false; error: StoreError };
export type DeliveryLookup = { ok: true; webhook: WebhookForDelivery } | { ok: false; error: StoreError };

export type RestoreResult = { ok: true; restored: Webhook[]; skipped: { id: number | null; reason: string }[] } | { ok: false; error: StoreError };
export type ImportResult = { ok: true; imported: Webhook[] } | { ok: false; problems: ImportProblem[] } | { ok: false; error: StoreError };

export interface WebhooksSnapshot {
  org: Org;
  webhooks: Webhook[];
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
