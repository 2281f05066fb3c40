// deliveries:*, the webhook delivery controls (resume, enable, secrets) and receiver:* channels.
import { EVENT_STATUS } from '../../preload/contract';
import type { ReceivedCallback, WebhookDeliveryHealth } from '../../preload/contract';
import type { Core } from '../services/core';
import type { DeliveryEvent } from '../delivery';
import type { ReceiverHost } from '../delivery/receiverHost';
import { discardOrphans, orphanInfo, restoreOrphans } from '../services/orphans';
import { privilegedPortProblem } from '../base/schemas';
import { fail, ok } from './register';
import type { Handlers } from './register';
import { mapResult, messageOf } from './results';

const SAMPLE_DEVICE = { udid: '00000000-0000-0000-0000-SAMPLE000001', name: 'Sample device', platform: 'android' as const };

interface DeliveryHandlerDeps {
  core: Pick<Core, 'webhooks' | 'webhookService' | 'dispatcher' | 'outbox' | 'history' | 'tracker'> & Partial<Pick<Core, 'secretWait' | 'dataDir'>>;
  receiver: ReceiverHost;
  now?: () => number;
}

function toReceived(request: ReceivedCallback): ReceivedCallback {
  return { ...request };
}

function deliveryHealth(core: DeliveryHandlerDeps['core'], webhookIds: number[]): Promise<WebhookDeliveryHealth[]> {
  return Promise.all(
    webhookIds.map(async (webhookId) => {
      const recent = await core.history.query({ webhookId, limit: 20 });
      const waiting = core.secretWait?.waiting().get(webhookId);
      return {
        ...(waiting ? { secretUnavailable: waiting.reason } : {}),
        ...(core.outbox.refusedFor(webhookId) > 0 ? { refused: core.outbox.refusedFor(webhookId) } : {}),
        webhookId,
        recent: recent.flatMap((r) => (r.test || r.result === 'skipped' ? [] : [r.result])).reverse(),
        pending: core.outbox.pendingFor(webhookId),
        consecutiveFailures: core.dispatcher.consecutiveFailures(webhookId),
      };
    }),
  );
}

export function deliveryHandlers(deps: DeliveryHandlerDeps) {
  const { core, receiver } = deps;
  const now = deps.now ?? Date.now;
  const service = core.webhookService;
  const forbidden = (what: string) => fail({ code: 'forbidden', message: `Your profile cannot ${what}: ask an admin.` });
  return {
    'deliveries:list': {
      handle: async ({ webhookId, result, before, limit }) => {
        if (!service.abilities().canView) return forbidden('see deliveries');
        const records = await core.history.query({ webhookId, limit: limit ?? 200, ...(result ? { result } : {}), ...(before ? { before } : {}) });
        return ok(records);
      },
    },
    'deliveries:health': {
      handle: async () => (service.abilities().canView ? ok(await deliveryHealth(core, core.webhooks.list().map((w) => w.id))) : ok([])),
    },
    'deliveries:redeliver': {
      handle: async ({ deliveryId }) => {
        if (!service.abilities().canModify) return forbidden('redeliver callbacks');
        try {
          await core.dispatcher.redeliver(deliveryId);
          return ok(null);
        } catch (error) {
          return fail({ code: 'not_found', message: messageOf(error) });
        }
      },
    },
    'deliveries:sendTest': {
      handle: async ({ webhookId, event }) => {
        if (!service.abilities().canModify) return forbidden('send test events');
        if (!core.webhooks.get(webhookId)) return fail({ code: 'not_found', message: `Webhook ${webhookId} no longer exists.` });
        // A connected device if there is one (Online first), else a sample that says it is one.
        const devices = core.tracker.list().filter((d) => d.status && d.status !== 'Unplugged');
        const device = devices.find((d) => d.status === 'Online') ?? devices[0];
        const testEvent: DeliveryEvent = {
          udid: device?.udid ?? SAMPLE_DEVICE.udid,
          name: device?.name ?? SAMPLE_DEVICE.name,
          platform: device?.platform ?? SAMPLE_DEVICE.platform,
          to: EVENT_STATUS[event],
          at: now(),
          seq: 0,
        };
        return ok(await core.dispatcher.sendTest(webhookId, testEvent));
      },
    },
    'deliveries:orphans': {
      handle: async () => {
        if (!service.abilities().canView) return ok({ count: 0, webhookIds: [], setAside: null });
        return ok(await orphanInfo({ dataDir: core.dataDir ?? '', webhooks: core.webhooks, outbox: core.outbox, dispatcher: core.dispatcher }));
      },
    },
    'deliveries:restoreOrphans': {
      handle: async () => {
        if (!service.abilities().canModify) return forbidden('restore webhooks');
        const result = await restoreOrphans({ dataDir: core.dataDir ?? '', webhooks: core.webhooks, outbox: core.outbox, dispatcher: core.dispatcher });
        return result.ok ? ok({ restored: result.restored, message: result.message }) : fail({ code: 'not_found', message: result.message });
      },
    },
    'deliveries:discardOrphans': {
      handle: async () => {
        if (!service.abilities().canModify) return forbidden('discard callbacks');
        const discarded = await discardOrphans({ dataDir: core.dataDir ?? '', webhooks: core.webhooks, outbox: core.outbox, dispatcher: core.dispatcher });
        return ok({ discarded });
      },
    },
    'webhooks:resume': {
      // The store owns pause state; the dispatcher hears of the change and sends the backlog in order.
      handle: async ({ id: webhookId }) => mapResult(await service.setPaused(webhookId, false), () => null),
    },
    'webhooks:setEnabled': {
      handle: async ({ id: webhookId, enabled }) => mapResult(await service.setEnabled(webhookId, enabled), () => null),
    },
    'webhooks:reveal': {
      handle: ({ id: webhookId }) => {
        const result = service.reveal(webhookId);
        return mapResult(result, (r) => ({
          ...(r.secret ? { secret: r.secret } : {}),
          ...(r.secretUnreadable ? { secretUnreadable: r.secretUnreadable } : {}),
          headers: r.headers,
          ...(r.url ? { url: r.url } : {}),
        }));
      },
    },
    'webhooks:rotateSecret': {
      handle: async ({ id: webhookId }) => {
        const result = await service.rotateSecret(webhookId);
        if (result.ok) receiver.refreshSecrets();
        return mapResult(result, (r) => ({ secret: r.secret }));
      },
    },
    'receiver:state': { handle: () => ok(receiver.info()) },
    'receiver:requests': { handle: () => ok(receiver.requests().map((r) => toReceived(r))) },
    'receiver:start': {
      handle: async ({ port }) => {
        const problem = privilegedPortProblem(port);
        if (problem) return fail({ code: 'validation', message: problem, fieldErrors: { port: problem } });
        return ok(await receiver.start(port));
      },
    },
    'receiver:stop': { handle: async () => ok(await receiver.stop()) },
    'receiver:setReply': {
      handle: ({ status, delayMs }) => ok(receiver.setReply({ status, delayMs })),
    },
    'receiver:clear': {
      handle: () => {
        receiver.clear();
        return ok(null);
      },
    },
  } satisfies Partial<Handlers>;
}
