// The `deliveries` and `redeliver` commands: the delivery history, and sending a callback again.
import type { AttemptRecord } from '../delivery/history';
import { CLI_EXIT } from './types';
import type { CliResponse } from './types';
import type { Call } from './commands';
import { attemptJson, attemptSummary, detail, eventOf, table } from './output';

/** Runs `deliveries` or `redeliver`. */
export async function deliveryCommand(call: Call, command: 'deliveries' | 'redeliver'): Promise<CliResponse> {
  const { request, ctx, o, json, fail, invalid, opt, str } = call;
  switch (command) {
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
