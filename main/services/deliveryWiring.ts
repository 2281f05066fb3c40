// Where the delivery files live, and how Settings › General's delivery limits and the webhook store are
// wired into the outbox, the history and the dispatcher: once, for the desktop app and the headless runner
// (core.ts) and for the CLI's commands on a folder no process holds (cli/context.ts). Both open the same
// files with the same bounds: a history opened with another size bound is cut to it, and a dispatcher
// with another retry horizon gives up on callbacks the app would still send.
import { join } from 'node:path';
import type { GeneralSettings } from '../../preload/contract';
import type { Logger } from '../base/log';
import type { DispatcherOptions, HistoryOptions, OutboxOptions } from '../delivery';
import type { WebhookStore } from '../webhooks/store';
import { holdCarried } from './carriedPauses';

type DeliveryLimits = GeneralSettings['delivery'];

/** The reason a webhook's pause gives after its run of failed attempts. */
const PAUSED_AFTER_FAILURES = 'Paused after too many failed attempts in a row; new events still queue.';

export function historyOptions(dataDir: string, limits: DeliveryLimits, logger: Logger): HistoryOptions {
  return { dir: join(dataDir, 'delivery', 'history'), maxEntries: limits.historyEntries, maxBytes: limits.historyMegabytes * 1024 * 1024, logger };
}

export function outboxOptions(dataDir: string, limits: DeliveryLimits, logger: Logger): Pick<OutboxOptions, 'dir' | 'maxPending' | 'logger'> {
  return { dir: join(dataDir, 'delivery', 'outbox'), maxPending: limits.maxQueued, logger };
}

type Wired = Pick<DispatcherOptions, 'listWebhooks' | 'isWebhookDeleted' | 'disableWebhook' | 'pauseWebhook' | 'timeoutMs' | 'pauseAfterFailures' | 'retryHorizonMs'>;

interface DispatcherWiring {
  limits: DeliveryLimits;
  webhooks: WebhookStore;
  /** Webhooks whose pause an older outbox still carries (carriedPauses.ts): held paused until the store has it. */
  stillCarried: ReadonlySet<number>;
  /** After the store disabled a webhook (a 410 Gone). */
  onDisabled?: (id: number, reason: string) => void;
  /** After the store paused a webhook at the end of its run of failures. */
  onPaused?: (id: number) => void;
}

/**
 * What the dispatcher takes from the settings and the webhook store. Read at launch: a change in
 * Settings › General applies from the next start (the window says so).
 */
export function dispatcherWiring({ limits, webhooks, stillCarried, onDisabled, onPaused }: DispatcherWiring): Wired {
  return {
    // A webhook whose secret cannot be opened now is listed as unavailable: its callbacks queue and wait.
    listWebhooks: () => holdCarried(webhooks.forDispatcher(), stillCarried),
    // A user's deletion ends its waiting callbacks as skipped; an id missing otherwise keeps them queued.
    isWebhookDeleted: (id) => webhooks.isDeleted(id),
    disableWebhook: async (id, reason) => {
      await webhooks.setEnabled(id, false, reason);
      onDisabled?.(id, reason);
    },
    pauseWebhook: async (id) => {
      await webhooks.setPaused(id, true, PAUSED_AFTER_FAILURES);
      onPaused?.(id);
    },
    timeoutMs: limits.timeoutSeconds * 1000,
    pauseAfterFailures: limits.pauseAfterFailures,
    retryHorizonMs: limits.retryHorizonHours * 3_600_000,
  };
}
