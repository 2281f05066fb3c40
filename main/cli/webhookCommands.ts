// The `webhooks …` commands: list, add, edit, remove, pause, resume, test, export, import.
import type { DeliveryEvent } from '../delivery/types';
import { EVENT_STATUS } from '../../preload/contract/vocabulary';
import { WEBHOOK_EVENT_KEYS, validateWebhookInput } from '../webhooks/schema';
import type { FieldErrors, WebhookEventKey } from '../webhooks/schema';
import type { ImportProblem } from '../webhooks/importExport';
import type { Webhook } from '../webhooks/store';
import { CLI_EXIT } from './types';
import type { CliCommand, CliResponse } from './types';
import type { Call } from './commands';
import { attemptJson, attemptSummary, eventList, stateOf, table, webhookJson } from './output';

/** The same sample the app's "Send test event" uses when no device is connected (main/ipc/deliveries.ts). */
const SAMPLE_DEVICE = { udid: '00000000-0000-0000-0000-SAMPLE000001', name: 'Sample device', platform: 'android' as const };

const PLAIN_NOTE =
  'Note: the signing secret and header values are stored in plain text in webhooks.json (readable only by its owner), so the headless runner can read them.\n';

/** Runs one `webhooks …` command. */
export async function webhookCommand(call: Call, command: Extract<CliCommand, `webhooks ${string}`>): Promise<CliResponse> {
  const { request, ctx, o, json, fail, invalid, storeFailure, webhookId, opt, str, list } = call;
  switch (command) {
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

  }
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
