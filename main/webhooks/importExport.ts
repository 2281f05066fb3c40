// Webhook export and import: the file format (`devicehooks-webhooks`, versioned), what an export holds
// (never a secret, a header value or a URL's password), and the checks an import file passes before
// the store adds its webhooks (all or none). The store (main/webhooks/store.ts) does the writing.
import { duplicateNameMessage, validateWebhookImportEntry } from './schema';
import type { WebhookEvents, WebhookInput, WebhookScope } from './schema';
import type { Org, StoredWebhook } from './webhooksFile';
import type { ImportProblem } from '../../preload/contract';

export const EXPORT_FORMAT = 'devicehooks-webhooks';
/**
 * 1: name, url, description, events. 2: also enabled, scope, header names and signing. Version 1 files
 * still import; a DeviceHooks that reads only version 1 refuses a version 2 file rather than silently
 * dropping its scope and headers (a webhook meant for one phone would hear about all of them).
 */
const EXPORT_VERSION = 2;
/** An import file larger than this is refused before parsing (a webhook is well under 2 KB). */
export const IMPORT_MAX_BYTES = 2 * 1024 * 1024;

/**
 * A problem with an import (the contract's shape): `index` is the 0-based position in the file's `webhooks`
 * array, null for the file as a whole; `field` a form field key (`name`, `url`, `events`, `headers.N.name`…),
 * `entry`, or `file`.
 */
export type { ImportProblem };

/**
 * One webhook in an export. Never the secret or header values: an export is a file people mail around.
 * Header names are kept so the import can say which values to fill in; `signing` says the webhook signed
 * its requests, and the import generates a new secret for it (the receiver needs that new one).
 */
interface ExportedWebhook {
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
const URL_CREDENTIALS_REMOVED =
  'Removed from this export: the URL had a user name and password. Add them again after the import (a header such as Authorization is the better place for a token).';

/** What exportJson() writes and importJson() reads. */
interface WebhooksExport {
  format: typeof EXPORT_FORMAT;
  version: number;
  exportedAt: string;
  org: Org;
  webhooks: ExportedWebhook[];
}

/** The export file's text for the org's webhooks (by id). Deliberately no secret and no header value. */
export function exportWebhooks(org: Org, webhooks: readonly StoredWebhook[], exportedAt: string): string {
  const doc: WebhooksExport = {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    exportedAt,
    org: { ...org },
    webhooks: [...webhooks]
      .sort((a, b) => a.id - b.id)
      .map((w) => {
        const entry: ExportedWebhook = {
          name: w.name,
          // Without the user name and password (never in an export): the placeholder below says so.
          url: w.url,
          events: { ...w.events },
          enabled: w.enabled,
          scope: structuredClone(w.scope),
          headers: w.headers.map((h) => ({ name: h.name })),
          signing: w.secret !== undefined,
        };
        if (w.description !== undefined) entry.description = w.description;
        if (w.urlCredentials) entry.urlCredentials = URL_CREDENTIALS_REMOVED;
        return entry;
      }),
  };
  return JSON.stringify(doc, null, 2);
}

interface ImportEntry {
  value: WebhookInput;
  enabled: boolean;
}

/**
 * Every entry checked like the form (field errors by index), names unique against `existingNames` and
 * within the file. Any problem: the whole import is refused with all of them.
 */
export function checkImportEntries(
  entries: readonly unknown[],
  existingNames: ReadonlySet<string>,
): { ok: true; valid: ImportEntry[] } | { ok: false; problems: ImportProblem[] } {
  const problems: ImportProblem[] = [];
  const inFile = new Map<string, number>();
  const valid: ImportEntry[] = [];
  entries.forEach((entry, index) => {
    const checked = validateWebhookImportEntry(entry);
    if (!checked.ok) {
      for (const [field, message] of Object.entries(checked.fieldErrors)) problems.push({ index, field: field === '_' ? 'entry' : field, message });
      return;
    }
    const { enabled = true, ...value } = checked.value;
    const name = value.name;
    if (existingNames.has(name)) problems.push({ index, field: 'name', message: duplicateNameMessage(name) });
    else if (inFile.has(name)) problems.push({ index, field: 'name', message: `The name "${name}" is used more than once in this file` });
    else inFile.set(name, index);
    valid.push({ value, enabled });
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, valid };
}

/** The export file's text as a list of entries, or why it is not one (too large, not JSON, not ours, too new). */
export function parseImport(text: string): { ok: true; entries: unknown[] } | { ok: false; problems: ImportProblem[] } {
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
