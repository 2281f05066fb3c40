// Callbacks waiting for webhook ids that are neither defined nor recorded as deleted: webhooks.json was
// set aside as unreadable (or replaced by hand), so the webhooks vanished without anyone deleting them.
// Their callbacks are held, never failed; a person chooses Restore (the set-aside file's webhooks come
// back with their ids, where it parses or once repaired by hand) or Discard. Plain Node: the
// composition root passes the stores and the dispatcher.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { OrphanInfo } from '../../preload/contract';
import type { Dispatcher, Outbox } from '../delivery';
import { WEBHOOKS_FILE } from '../webhooks/store';
import { migrateWebhooksV1toV2 } from '../webhooks/webhooksFile';
import type { WebhookStore } from '../webhooks/store';

interface OrphanDeps {
  dataDir: string;
  webhooks: Pick<WebhookStore, 'list' | 'isDeleted' | 'restoreWebhooks'>;
  outbox: Pick<Outbox, 'pendingByWebhookId'>;
  dispatcher: Pick<Dispatcher, 'discard' | 'refresh'>;
}

const SET_ASIDE = new RegExp(`^${WEBHOOKS_FILE.replace('.', '\\.')}\\.(corrupt|invalid|empty)-.+\\.json$`);

export function orphanSummary(deps: Pick<OrphanDeps, 'webhooks' | 'outbox'>): { count: number; webhookIds: number[] } {
  const defined = new Set(deps.webhooks.list().map((w) => w.id));
  const ids = new Set<number>();
  let count = 0;
  for (const [webhookId, pending] of deps.outbox.pendingByWebhookId()) {
    if (defined.has(webhookId) || deps.webhooks.isDeleted(webhookId)) continue;
    ids.add(webhookId);
    count += pending;
  }
  return { count, webhookIds: [...ids].sort((a, b) => a - b) };
}

/** Set-aside copies of webhooks.json, newest first. */
async function setAsideFiles(dataDir: string): Promise<string[]> {
  const names = (await readdir(dataDir).catch(() => [] as string[])).filter((n) => SET_ASIDE.test(n));
  const withTimes = await Promise.all(names.map(async (n) => ({ path: join(dataDir, n), mtime: (await stat(join(dataDir, n))).mtimeMs })));
  return withTimes.sort((a, b) => b.mtime - a.mtime || b.path.localeCompare(a.path)).map((f) => f.path);
}

export async function orphanInfo(deps: OrphanDeps): Promise<OrphanInfo> {
  const summary = orphanSummary(deps);
  const files = summary.count > 0 ? await setAsideFiles(deps.dataDir) : [];
  return { ...summary, setAside: files[0] ?? null };
}

type RestoreOutcome = { ok: true; restored: number; message: string } | { ok: false; message: string };

/** Takes the waiting ids' webhooks from the newest set-aside file that parses and puts them back. */
export async function restoreOrphans(deps: OrphanDeps): Promise<RestoreOutcome> {
  const { webhookIds } = orphanSummary(deps);
  if (webhookIds.length === 0) return { ok: true, restored: 0, message: 'No callbacks wait for a missing webhook.' };
  const files = await setAsideFiles(deps.dataDir);
  if (files.length === 0) return { ok: false, message: `No set-aside ${WEBHOOKS_FILE} was found in ${deps.dataDir}: nothing to restore from. Choose Discard, or create the webhooks again.` };
  const unreadable: string[] = [];
  for (const file of files) {
    let doc: unknown;
    try {
      doc = JSON.parse(await readFile(file, 'utf8'));
    } catch (error) {
      unreadable.push(`${file} (${error instanceof Error ? error.message : String(error)})`);
      continue;
    }
    const version = (doc as { schemaVersion?: unknown } | null)?.schemaVersion;
    if (version === 1) doc = migrateWebhooksV1toV2(doc);
    const entries = (doc as { webhooks?: unknown } | null)?.webhooks;
    if (!Array.isArray(entries)) {
      unreadable.push(`${file} (it has no list of webhooks)`);
      continue;
    }
    const wanted = entries.filter((e: unknown) => webhookIds.includes((e as { id?: unknown } | null)?.id as number));
    if (wanted.length === 0) continue;
    const result = await deps.webhooks.restoreWebhooks(wanted);
    if (!result.ok) return { ok: false, message: result.error.message };
    await deps.dispatcher.refresh();
    const names = result.restored.map((w) => `${w.name} (${w.id})`).join(', ');
    const problems = result.skipped.map((s) => `${s.id ?? '?'}: ${s.reason}`).join('; ');
    return {
      ok: true,
      restored: result.restored.length,
      message: `${result.restored.length > 0 ? `Restored ${names} from ${file}.` : `Nothing could be restored from ${file}.`}${problems ? ` Not restored: ${problems}.` : ''}`,
    };
  }
  if (unreadable.length > 0) {
    return { ok: false, message: `The set-aside file could not be read: ${unreadable[0]}. Repair it by hand (it is JSON) and choose Restore again, or choose Discard.` };
  }
  return { ok: false, message: `The set-aside ${WEBHOOKS_FILE} files do not hold webhooks ${webhookIds.join(', ')}. Choose Discard, or create the webhooks again.` };
}

export async function discardOrphans(deps: OrphanDeps): Promise<number> {
  const { webhookIds } = orphanSummary(deps);
  return deps.dispatcher.discard(webhookIds);
}
