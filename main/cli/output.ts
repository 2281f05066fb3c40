// How the commands show things: flags for schema fields, JSON shapes of webhooks, devices and attempts, and
// plain-text tables.
import type { AttemptRecord } from '../delivery/history';
import type { Battery } from '../devices/battery';
import { batteryJson, deviceHeadJson, sessionJson } from '../devices/deviceJson';
import type { DeviceView } from '../devices/tracker';
import { WEBHOOK_EVENT_KEYS } from '../webhooks/schema';
import type { Webhook } from '../webhooks/store';

const FLAGS: Record<string, string> = {
  name: '--name',
  url: '--url',
  description: '--description',
  events: '--events',
  scope: '--platform/--udid',
  signing: '--signing',
  headers: '--header',
  event: '--event',
  limit: '--limit',
  webhook: '--webhook',
  reason: '--reason',
};

/** The option a schema field came from: `headers.2.value` → `--header 3 (value)`. */
export function flagFor(field: string): string {
  const header = /^headers\.(\d+)(?:\.(name|value))?$/.exec(field);
  if (header) return `--header ${Number(header[1]) + 1}${header[2] ? ` (${header[2]})` : ''}`;
  if (field === '_') return 'input';
  return `${FLAGS[field] ?? field} (${field})`;
}

/** `webhooks list --json`: the export format's field names, plus id and state. Never secret material. */
export function webhookJson(w: Webhook): Record<string, unknown> {
  return {
    id: w.id,
    name: w.name,
    url: w.url,
    description: w.description ?? null,
    events: { ...w.events },
    enabled: w.enabled,
    paused: w.paused,
    scope: { udids: [...w.scope.udids], platforms: [...w.scope.platforms] },
    headers: w.headers.map((h) => ({ name: h.name })),
    signing: w.hasSecret,
    disabledReason: w.disabledReason ?? null,
    pausedReason: w.pausedReason ?? null,
    orgId: w.orgId,
    createdAt: w.createdAt,
    updatedAt: w.updatedAt,
  };
}

export function deviceJson(d: DeviceView & { battery?: Battery }): Record<string, unknown> {
  const inUse = d.inUse;
  return {
    ...deviceHeadJson(d),
    pending: d.pending ? { to: d.pending.to, since: new Date(d.pending.since).toISOString() } : null,
    visibility: d.visibility,
    inUse: inUse
      ? {
          by: inUse.by ?? null,
          note: inUse.note ?? null,
          until: inUse.until !== undefined ? new Date(inUse.until).toISOString() : null,
          session: inUse.session ? sessionJson(inUse.session) : null,
        }
      : null,
    sources: [...d.sources],
    battery: batteryJson(d.battery),
  };
}

/** The table's IN USE BY: who reserved it, else "Appium session" for a session alone. */
export function inUseText(d: DeviceView): string {
  if (!d.inUse) return '';
  return d.inUse.by || (d.inUse.session ? 'Appium session' : 'someone');
}

/** The table's BATTERY: "67 %", "67 % charging", or nothing when there is no reading. */
export function batteryText(battery: Battery | undefined): string {
  if (battery?.level === null || battery?.level === undefined) return '';
  return battery.charging ? `${battery.level} % charging` : `${battery.level} %`;
}

export function attemptJson(r: AttemptRecord): Record<string, unknown> {
  return {
    id: r.id,
    deliveryId: r.deliveryId,
    messageId: r.messageId,
    webhookId: r.webhookId,
    udid: r.udid,
    event: eventOf(r),
    seq: r.seq,
    attempt: r.attempt,
    at: new Date(r.at).toISOString(),
    latencyMs: Math.round(r.latencyMs),
    result: r.result,
    outcome: r.outcome,
    status: r.response?.status ?? null,
    error: r.errorLabel ? { class: r.errorClass ?? 'other', label: r.errorLabel, detail: r.errorDetail ?? null } : null,
    nextAttemptAt: r.nextAttemptAt !== undefined ? new Date(r.nextAttemptAt).toISOString() : null,
    test: r.test === true,
    redeliveryOf: r.redeliveryOf ?? null,
    url: r.request.url,
  };
}

export function eventOf(r: AttemptRecord): string | null {
  try {
    const body = JSON.parse(r.request.body) as { eventActivity?: unknown };
    return typeof body.eventActivity === 'string' ? body.eventActivity : null;
  } catch {
    return null;
  }
}

export function attemptSummary(r: AttemptRecord): string {
  const ms = `${Math.round(r.latencyMs)} ms`;
  if (r.response) return `HTTP ${r.response.status} in ${ms}`;
  return `${r.errorLabel ?? 'failed'}${r.errorDetail ? ` (${r.errorDetail})` : ''} after ${ms}`;
}

export function detail(r: AttemptRecord): string {
  if (r.response) return `HTTP ${r.response.status}, ${Math.round(r.latencyMs)} ms`;
  return r.errorLabel ?? '';
}

export function eventList(w: Webhook): string {
  return WEBHOOK_EVENT_KEYS.filter((k) => w.events[k]).join(',');
}

export function stateOf(w: Webhook): string {
  if (!w.enabled) return 'disabled';
  if (w.paused) return 'paused';
  return 'active';
}

export function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d`;
}

/** Aligned columns, two spaces apart; the last column is not padded. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => [...(r[i] ?? '')].length)));
  const render = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(Math.max(0, (widths[i] ?? 0) - [...c].length))))
      .join('  ')
      .trimEnd();
  return `${[render(header), ...rows.map(render)].join('\n')}\n`;
}
