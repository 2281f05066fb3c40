// What the dispatcher is given (its dependencies and settings), what dispatch() returns, and stop()'s options.
import type { DeliveryHistory } from './history';
import type { HttpClient } from './http';
import type { Delivery, Outbox } from './outbox';
import type { Clock, DeliveryWebhook, Logger, RandomSource } from './types';

export interface DispatcherOptions {
  outbox: Outbox;
  history: DeliveryHistory;
  http: HttpClient;
  /** The current webhooks (sync or async); read for every event and before every attempt. */
  listWebhooks: () => readonly DeliveryWebhook[] | Promise<readonly DeliveryWebhook[]>;
  /**
   * Whether a webhook id missing from listWebhooks() was deleted by a user (its waiting callbacks end
   * "Skipped — webhook deleted"). An id missing without a deletion keeps its callbacks queued. Default:
   * every missing id counts as deleted.
   */
  isWebhookDeleted?: (id: number) => boolean;
  /** Called once when an endpoint answers 410 Gone. */
  disableWebhook: (id: number, reason: string) => void | Promise<void>;
  /**
   * Called once when a webhook reaches `pauseAfterFailures` consecutive failed attempts: pause it in the
   * webhook store (then listWebhooks() shows it paused). Until this settles the webhook starts no attempt.
   */
  pauseWebhook: (id: number) => void | Promise<void>;
  /** App version for `User-Agent: DeviceHooks/<version>` */
  version: string;
  clock?: Clock;
  random?: RandomSource;
  logger?: Logger;
  /** Per attempt. Default 10 s. */
  timeoutMs?: number;
  /** Delay before attempt 1, 2, … (see DEFAULT_SCHEDULE_MS); past its end the last step repeats. */
  schedule?: readonly number[];
  /** How long a callback is retried, counted in planned waits (see DEFAULT_RETRY_HORIZON_MS). Default 3 days. */
  retryHorizonMs?: number;
  /** The longest wait between two tries. Default 1 h. */
  maxIntervalMs?: number;
  /** ±fraction. Default 0.2. */
  jitter?: number;
  /** Default 8. */
  maxConcurrentPerWebhook?: number;
  /** Consecutive failed attempts (across the webhook's deliveries) that pause it. Default 20. */
  pauseAfterFailures?: number;
  /** Cap on a Retry-After. Default 1 h. */
  maxRetryAfterMs?: number;
  /** For latencyMs. Default performance.now. */
  monotonic?: () => number;
}

export interface DispatchResult {
  /** What was queued (on disk). */
  deliveries: Delivery[];
  /** Webhooks whose delivery could not be queued (OutboxFullError, a disk error): surface these. */
  refused: { webhookId: number; error: Error }[];
}

export interface StopOptions {
  /** How long to wait for attempts in flight before aborting them (they stay queued). Default 10 s. */
  timeoutMs?: number;
}
