// The commands themselves, on a CliContext: the runner's live core (over the control socket) or the
// stores opened from the folder under its lock. Validation is the app's (the store runs
// main/webhooks/schema.ts); this file only turns options into the app's form and results into text.
import type { AttemptRecord, DeliveryHistory } from '../delivery/history';
import type { Dispatcher } from '../delivery/dispatcher';
import type { DeliveryEvent } from '../delivery/types';
import { deviceHeadJson } from '../devices/deviceJson';
import type { DeviceView, Status } from '../devices/tracker';
import type { Platform, SourceHealth } from '../devices/types';
import { WEBHOOK_EVENT_KEYS, validateWebhookInput } from '../webhooks/schema';
import type { FieldErrors, WebhookEventKey } from '../webhooks/schema';
import type { WebhookService } from '../webhooks/service';
import type { ImportProblem } from '../webhooks/importExport';
import type { Webhook, WebhookStore } from '../webhooks/store';
import { CLI_EXIT } from './types';
import type { CliRequest, CliResponse, OptionValue } from './types';

export interface CliDevices {
  devices: DeviceView[];
  health: SourceHealth[];
}

export interface CliContext {
  dataDir: string;
  service: WebhookService;
  webhooks: WebhookStore;
  history(): Promise<DeliveryHistory>;
  dispatcher(): Promise<Dispatcher>;
  devices(): Promise<CliDevices>;
  /** A connected device for a test event (Online first), if any. */
  testDevice(): Promise<{ udid: string; name: string; platform: Platform } | undefined>;
  /** How long to wait for a redelivery's first attempt. */
  attemptWaitMs: number;
  /** Said after a failed redelivery: who retries it. */
  retriedBy: string;
  now(): number;
}

/** The same sample the app's "Send test event" uses when no device is connected (main/ipc/deliveries.ts). */
const SAMPLE_DEVICE = { udid: '00000000-0000-0000-0000-SAMPLE000001', name: 'Sample device', platform: 'android' as const };
const EVENT_STATUS: Record<WebhookEventKey, Status> = { online: 'Online', offline: 'Offline', utilizing: 'Utilizing', unplugged: 'Unplugged' };

const PLAIN_NOTE =
  'Note: the signing secret and header values are stored in plain text in webhooks.json (readable only by its owner), so the headless runner can read them.\n';

class Out {
  out = '';
  err = '';
  fileText: string | undefined;
  line(text = ''): void {
    this.out += `${text}\n`;
  }
  warn(text: string): void {
    this.err += `${text}\n`;
  }
  done(code: number): CliResponse {
    return { code, out: this.out, err: this.err, ...(this.fileText !== undefined ? { fileText: this.fileText } : {}) };
  }
}

export async function execute(request: CliRequest, ctx: CliContext): Promise<CliResponse> {
  const o = new Out();
  const json = request.options['json'] === true;
  const fail = (code: number, message: string, extra: Record<string, unknown> = {}): CliResponse => {
    if (json) o.line(JSON.stringify({ error: { message, ...extra } }));
    o.warn(message);
    return o.done(code);
  };
  const invalid = (fieldErrors: FieldErrors): CliResponse => {
    const lines = Object.entries(fieldErrors).map(([field, message]) => `  ${flagFor(field)}: ${message}`);
    if (json) o.line(JSON.stringify({ error: { message: 'Invalid input; nothing was saved', fieldErrors } }));
    o.warn(`Invalid input; nothing was saved:\n${lines.join('\n')}`);
    return o.done(CLI_EXIT.usage);
  };
  const storeFailure = (result: { fieldErrors: FieldErrors } | { error: { code: string; message: string } }): CliResponse => {
    if ('fieldErrors' in result) return invalid(result.fieldErrors);
    const code = result.error.code === 'not_found' ? CLI_EXIT.usage : CLI_EXIT.failed;
    return fail(code, result.error.message, { code: result.error.code });
  };
  const webhookId = (): number | CliResponse => {
    const raw = request.args[0] ?? '';
    const id = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(id) || id < 1) return fail(CLI_EXIT.usage, `"${raw}" is not a webhook id (a whole number; see webhooks list)`);
    if (!ctx.webhooks.get(id)) return fail(CLI_EXIT.usage, `There is no webhook ${id} (see webhooks list)`, { code: 'not_found' });
    return id;
  };
  const opt = (name: string): OptionValue | undefined => request.options[name];
  const str = (name: string): string | undefined => {
    const v = opt(name);
    return typeof v === 'string' ? v : undefined;
  };
  const list = (name: string): string[] | undefined => {
    const v = opt(name);
    return Array.isArray(v) ? v : undefined;
  };

  switch (request.command) {
    case 'ping':
      return o.done(CLI_EXIT.ok);

    case 'webhooks list': {
      const result = ctx.service.list();
      if (!result.ok) return fail(CLI_EXIT.failed, result.error.message, { code: result.error.code });
      if (json) o.line(JSON.stringify(result.webhooks.map(webhookJson), null, 2));
      else if (result.webhooks.length === 0) o.line('No webhooks yet. Add one with: devicehooks-headless webhooks add --name NAME --url URL --events online');
      else {
        o.out += table(
          ['ID', 'NAME', 'EVENTS', 'STATE', 'SIGNED', 'URL'],
          result.webhooks.map((w) => [String(w.id), w.name, eventList(w), stateOf(w), w.hasSecret ? 'yes' : 'no', w.url]),
        );
      }
      return o.done(CLI_EXIT.ok);
    }

    case 'webhooks add':
    case 'webhooks edit': {
      const editing = request.command === 'webhooks edit';
      let current: Webhook | undefined;
      if (editing) {
        const id = webhookId();
        if (typeof id !== 'number') return id;
        current = ctx.webhooks.get(id);
      }
      if (opt('signing') === true && opt('no-signing') === true) return fail(CLI_EXIT.usage, 'Use --signing or --no-signing, not both');
      if (opt('clear-headers') === true && list('header')) return fail(CLI_EXIT.usage, 'Use --header or --clear-headers, not both');
      const problems: FieldErrors = {};
      const input: Record<string, unknown> = {};
      input['name'] = str('name') ?? current?.name;
      input['url'] = str('url') ?? current?.url;
      const description = str('description') ?? current?.description;
      if (description !== undefined) input['description'] = description;
      const events = list('events');
      if (events) {
        const parsed = parseEvents(events);
        if (typeof parsed === 'string') problems['events'] = parsed;
        else input['events'] = parsed;
      } else if (current) input['events'] = current.events;
      const platforms = list('platform');
      const udids = list('udid');
      if (opt('all-devices') === true) {
        if (platforms || udids) return fail(CLI_EXIT.usage, 'Use --all-devices or --platform/--udid, not both');
        input['scope'] = { udids: [], platforms: [] };
      } else if (platforms || udids) {
        input['scope'] = { udids: udids ?? current?.scope.udids ?? [], platforms: platforms ?? current?.scope.platforms ?? [] };
      }
      const headerArgs = list('header');
      if (headerArgs) {
        const headers: { name: string; value: string }[] = [];
        headerArgs.forEach((raw, i) => {
          const colon = raw.indexOf(':');
          if (colon < 0) {
            problems[`headers.${i}`] = `Write the header as "Name: value" (got "${raw}")`;
            headers.push({ name: raw, value: '' });
          } else headers.push({ name: raw.slice(0, colon), value: raw.slice(colon + 1) });
        });
        input['headers'] = headers;
      } else if (opt('clear-headers') === true) input['headers'] = [];
      if (opt('signing') === true) input['signing'] = true;
      if (opt('no-signing') === true) input['signing'] = false;
      // Problems found here are reported together with the app's own checks of everything else.
      if (Object.keys(problems).length > 0) {
        const checked = validateWebhookInput({ ...input, events: input['events'] ?? { online: true } });
        return invalid({ ...(checked.ok ? {} : checked.fieldErrors), ...problems });
      }

      const result = current ? await ctx.service.update(current.id, input) : await ctx.service.create(input);
      if (!result.ok) return storeFailure(result);
      const w = result.webhook;
      // A secret made by this command is shown once; an existing one stays where it is.
      let secret: string | undefined;
      if (w.hasSecret && !current?.hasSecret) {
        const revealed = ctx.service.reveal(w.id);
        if (revealed.ok) secret = revealed.secret;
      }
      if (json) o.line(JSON.stringify({ ...webhookJson(w), ...(secret ? { secret } : {}) }, null, 2));
      else {
        o.line(`${current ? 'Updated' : 'Created'} webhook ${w.id} "${w.name}"`);
        if (secret) o.line(`Signing secret (shown once; give it to the receiver): ${secret}`);
      }
      if (secret || headerArgs) o.warn(PLAIN_NOTE.trimEnd());
      return o.done(CLI_EXIT.ok);
    }

    case 'webhooks remove': {
      const id = webhookId();
      if (typeof id !== 'number') return id;
      const w = ctx.webhooks.get(id);
      if (opt('yes') !== true) return fail(CLI_EXIT.usage, `Removing webhook ${id} "${w?.name ?? ''}" cannot be undone: add --yes to confirm`);
      const result = await ctx.service.remove(id);
      if (!result.ok) return storeFailure(result);
      if (json) o.line(JSON.stringify(webhookJson(result.webhook), null, 2));
      else o.line(`Removed webhook ${id} "${result.webhook.name}"`);
      return o.done(CLI_EXIT.ok);
    }

    case 'webhooks pause':
    case 'webhooks resume': {
      const id = webhookId();
      if (typeof id !== 'number') return id;
      const pausing = request.command === 'webhooks pause';
      const result = await ctx.service.setPaused(id, pausing, str('reason'));
      if (!result.ok) return storeFailure(result);
      if (json) o.line(JSON.stringify(webhookJson(result.webhook), null, 2));
      else
        o.line(
          pausing
            ? `Paused webhook ${id} "${result.webhook.name}": new events queue, nothing is sent until it is resumed`
            : `Resumed webhook ${id} "${result.webhook.name}": what queued is sent in order`,
        );
      return o.done(CLI_EXIT.ok);
    }

    case 'webhooks test': {
      const id = webhookId();
      if (typeof id !== 'number') return id;
      if (!ctx.service.abilities().canModify) return fail(CLI_EXIT.failed, 'Your profile cannot send test events: ask an admin.', { code: 'forbidden' });
      const w = ctx.webhooks.get(id) as Webhook;
      const asked = str('event');
      if (asked !== undefined && !(WEBHOOK_EVENT_KEYS as readonly string[]).includes(asked)) {
        return invalid({ event: `Unknown event "${asked}": choose online, offline, utilizing or unplugged` });
      }
      const event = (asked as WebhookEventKey | undefined) ?? WEBHOOK_EVENT_KEYS.find((k) => w.events[k]) ?? 'online';
      const lookup = ctx.webhooks.deliveryWebhook(id);
      if (!lookup.ok) return fail(CLI_EXIT.failed, lookup.error.message, { code: lookup.error.code });
      const device = (await ctx.testDevice()) ?? SAMPLE_DEVICE;
      const testEvent: DeliveryEvent = { udid: device.udid, name: device.name, platform: device.platform, to: EVENT_STATUS[event], at: ctx.now(), seq: 0 };
      const dispatcher = await ctx.dispatcher();
      const record = await dispatcher.sendTest(id, testEvent);
      if (json) o.line(JSON.stringify(attemptJson(record), null, 2));
      else o.line(`Test ${event} event to ${w.url}: ${attemptSummary(record)}`);
      return o.done(record.result === 'success' ? CLI_EXIT.ok : CLI_EXIT.failed);
    }

    case 'webhooks export': {
      const result = ctx.service.exportJson();
      if (!result.ok) return fail(CLI_EXIT.failed, result.error.message, { code: result.error.code });
      o.fileText = `${result.json}\n`;
      const count = (JSON.parse(result.json) as { webhooks: unknown[] }).webhooks.length;
      if (json) o.line(JSON.stringify({ file: request.args[0], webhooks: count }));
      else o.line(`Exported ${count} webhook(s) to ${request.args[0]} (no secrets or header values)`);
      return o.done(CLI_EXIT.ok);
    }

    case 'webhooks import': {
      const result = await ctx.service.importJson(request.fileText ?? '');
      if (!result.ok) {
        if ('problems' in result) {
          if (json) o.line(JSON.stringify({ error: { message: 'Nothing was imported', problems: result.problems } }));
          o.warn(`Nothing was imported:\n${result.problems.map((p) => `  ${describeProblem(p)}`).join('\n')}`);
          return o.done(CLI_EXIT.usage);
        }
        return storeFailure(result);
      }
      const secrets: { webhook: Webhook; secret: string }[] = [];
      for (const w of result.imported) {
        if (!w.hasSecret) continue;
        const revealed = ctx.service.reveal(w.id);
        if (revealed.ok && revealed.secret) secrets.push({ webhook: w, secret: revealed.secret });
      }
      if (json) {
        const bySecret = new Map(secrets.map((s) => [s.webhook.id, s.secret]));
        o.line(JSON.stringify(result.imported.map((w) => ({ ...webhookJson(w), ...(bySecret.has(w.id) ? { secret: bySecret.get(w.id) } : {}) })), null, 2));
      } else {
        o.line(`Imported ${result.imported.length} webhook(s)${result.imported.length ? ': ' : ''}${result.imported.map((w) => `${w.id} "${w.name}"`).join(', ')}`);
        for (const { webhook, secret } of secrets) o.line(`Webhook ${webhook.id} "${webhook.name}" signs with a new secret (shown once): ${secret}`);
      }
      if (secrets.length > 0) o.warn(PLAIN_NOTE.trimEnd());
      return o.done(CLI_EXIT.ok);
    }

    case 'devices': {
      const { devices, health } = await ctx.devices();
      const now = ctx.now();
      if (json) o.line(JSON.stringify(devices.map(deviceJson), null, 2));
      else {
        for (const h of health) if (h.state === 'down') o.warn(`${h.source}: ${h.message ?? 'not reachable'}`);
        if (devices.length === 0) o.line('No devices.');
        else
          o.out += table(
            ['STATUS', 'FOR', 'NAME', 'PLATFORM', 'CONNECTION', 'IN USE BY', 'UDID'],
            devices.map((d) => [
              d.status ?? `(${d.pending?.to ?? 'new'})`,
              duration(now - d.since),
              d.name,
              d.platform,
              d.connection,
              d.inUse ? d.inUse.by || 'someone' : '',
              d.udid,
            ]),
          );
      }
      return o.done(CLI_EXIT.ok);
    }

    case 'deliveries': {
      if (!ctx.service.abilities().canView) return fail(CLI_EXIT.failed, 'Your profile cannot see deliveries: ask an admin.', { code: 'forbidden' });
      const rawLimit = str('limit') ?? '20';
      const limit = /^\d+$/.test(rawLimit) ? Number(rawLimit) : NaN;
      if (!(limit >= 1 && limit <= 1000)) return invalid({ limit: 'Limit must be a whole number from 1 to 1000' });
      let ids: number[];
      const rawWebhook = str('webhook');
      if (rawWebhook !== undefined) {
        const id = /^\d+$/.test(rawWebhook) ? Number(rawWebhook) : NaN;
        if (!Number.isSafeInteger(id) || id < 1) return invalid({ webhook: `"${rawWebhook}" is not a webhook id (a whole number; see webhooks list)` });
        ids = [id];
      } else ids = ctx.webhooks.list().map((w) => w.id);
      const history = await ctx.history();
      const query = { limit, ...(opt('failed') === true ? { result: 'failure' as const } : {}) };
      const records = (await Promise.all(ids.map((webhookId) => history.query({ webhookId, ...query }))))
        .flat()
        .sort((a, b) => b.id - a.id)
        .slice(0, limit);
      if (json) o.line(JSON.stringify(records.map(attemptJson), null, 2));
      else if (records.length === 0) o.line('No delivery attempts yet.');
      else {
        const names = new Map(ctx.webhooks.list().map((w) => [w.id, w.name]));
        o.out += table(
          ['DELIVERY', 'TIME', 'WEBHOOK', 'DEVICE', 'EVENT', 'TRY', 'RESULT', 'OUTCOME', 'DETAIL'],
          records.map((r) => [
            r.deliveryId,
            new Date(r.at).toISOString(),
            `${r.webhookId} ${names.get(r.webhookId) ?? ''}`.trim(),
            r.udid,
            eventOf(r) ?? '',
            String(r.attempt),
            r.result,
            r.test ? 'test' : r.outcome,
            detail(r),
          ]),
        );
      }
      return o.done(CLI_EXIT.ok);
    }

    case 'redeliver': {
      if (!ctx.service.abilities().canModify) return fail(CLI_EXIT.failed, 'Your profile cannot redeliver callbacks: ask an admin.', { code: 'forbidden' });
      const original = request.args[0] ?? '';
      const history = await ctx.history();
      const dispatcher = await ctx.dispatcher();
      const seen: AttemptRecord[] = [];
      let wake: () => void = () => undefined;
      const off = history.onAttempt((record) => {
        if (record.redeliveryOf === original) {
          seen.push(record);
          wake();
        }
      });
      try {
        let deliveryId: string;
        try {
          deliveryId = (await dispatcher.redeliver(original)).id;
        } catch (error) {
          return fail(CLI_EXIT.usage, error instanceof Error ? error.message : String(error), { code: 'not_found' });
        }
        const deadline = ctx.now() + ctx.attemptWaitMs;
        let first: AttemptRecord | undefined;
        while (!(first = seen.find((r) => r.deliveryId === deliveryId)) && ctx.now() < deadline) {
          await new Promise<void>((done) => {
            const timer = setTimeout(done, Math.max(1, deadline - ctx.now()));
            wake = () => {
              clearTimeout(timer);
              done();
            };
          });
        }
        if (!first) {
          if (json) o.line(JSON.stringify({ deliveryId, redeliveryOf: original, attempt: null }));
          else o.line(`Queued ${original} again as ${deliveryId}; it waits behind the device's earlier callbacks (see deliveries)`);
          return o.done(CLI_EXIT.ok);
        }
        if (json) o.line(JSON.stringify(attemptJson(first), null, 2));
        else {
          o.line(`Redelivered ${original} as ${deliveryId}: ${attemptSummary(first)}`);
          if (first.result === 'failure' && first.outcome === 'retrying') o.line(`It will be retried ${ctx.retriedBy}.`);
        }
        return o.done(first.result === 'success' ? CLI_EXIT.ok : CLI_EXIT.failed);
      } finally {
        off();
      }
    }
  }
}

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

function describeProblem(p: ImportProblem): string {
  return p.index === null ? `${p.field}: ${p.message}` : `entry ${p.index + 1}, ${p.field}: ${p.message}`;
}

function parseEvents(values: string[]): Record<WebhookEventKey, boolean> | string {
  const events = { online: false, offline: false, utilizing: false, unplugged: false };
  for (const part of values.flatMap((v) => v.split(','))) {
    const key = part.trim().toLowerCase();
    if (key === '') continue;
    if (!(WEBHOOK_EVENT_KEYS as readonly string[]).includes(key)) return `Unknown event "${part.trim()}": choose online, offline, utilizing or unplugged`;
    events[key as WebhookEventKey] = true;
  }
  return events;
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

export function deviceJson(d: DeviceView): Record<string, unknown> {
  return {
    ...deviceHeadJson(d),
    pending: d.pending ? { to: d.pending.to, since: new Date(d.pending.since).toISOString() } : null,
    visibility: d.visibility,
    inUse: d.inUse ? { by: d.inUse.by ?? null, note: d.inUse.note ?? null, until: d.inUse.until !== undefined ? new Date(d.inUse.until).toISOString() : null } : null,
    sources: [...d.sources],
  };
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

function eventOf(r: AttemptRecord): string | null {
  try {
    const body = JSON.parse(r.request.body) as { eventActivity?: unknown };
    return typeof body.eventActivity === 'string' ? body.eventActivity : null;
  } catch {
    return null;
  }
}

function attemptSummary(r: AttemptRecord): string {
  const ms = `${Math.round(r.latencyMs)} ms`;
  if (r.response) return `HTTP ${r.response.status} in ${ms}`;
  return `${r.errorLabel ?? 'failed'}${r.errorDetail ? ` (${r.errorDetail})` : ''} after ${ms}`;
}

function detail(r: AttemptRecord): string {
  if (r.response) return `HTTP ${r.response.status}, ${Math.round(r.latencyMs)} ms`;
  return r.errorLabel ?? '';
}

function eventList(w: Webhook): string {
  return WEBHOOK_EVENT_KEYS.filter((k) => w.events[k]).join(',');
}

function stateOf(w: Webhook): string {
  if (!w.enabled) return 'disabled';
  if (w.paused) return 'paused';
  return 'active';
}

function duration(ms: number): string {
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
