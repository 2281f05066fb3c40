// Events in, callbacks out. For each event: match the webhooks, put the event in the durable outbox
// for each, and only when it is on disk send it. The body is composed when each try is sent, from the
// event and the webhook as it is then: creationTime is the time of that try, webhookName and orgId are
// current, and the webhook-id stays the same on every try. A webhook that no longer wants a waiting
// callback (event switched off, device out of its scope, webhook deleted) gets nothing: the callback
// ends `skipped` in the history.
//
// One cohesive thing, over 400 lines: the Dispatcher class, whose lanes, attempts and outcomes share
// one private state. Its options (dispatcherOptions.ts), the request of a try (request.ts), the history
// record of a try (attemptRecord.ts) and matching (match.ts) have their own files.
//
// Ordering: the deliveries of one (webhook, device) pair form a lane and go strictly one after the
// other, in enqueue order: the next one starts only when the one before succeeded or finally
// failed (or died on 410). Lanes of one webhook run in parallel up to maxConcurrentPerWebhook,
// taking turns (a FIFO of ready lanes), so one busy device cannot starve the others.
//
// Attempt outcomes: 2xx succeeded; 410 dead + webhook disabled; anything else (3xx included), a
// timeout or a network error is retried on the schedule (±jitter, Retry-After honoured on 429/503)
// and failed after the last attempt. N consecutive failed attempts pause the webhook (through
// pauseWebhook: the webhook store owns pause state): it keeps queueing and sends nothing.
//
// Pause: the dispatcher keeps no pause state of its own. Whether a webhook may send is read from the
// webhook list (listWebhooks, read before every attempt; refresh() when the store changed): `paused`
// holds its callbacks. When a list shows a webhook no longer paused that an earlier one showed paused,
// that is a resume: its failure count goes back to 0 and its backlog is sent at once, in order.
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { attemptRecord } from './attemptRecord';
import type { Performed } from './attemptRecord';
import type { DispatcherOptions, DispatchResult, StopOptions } from './dispatcherOptions';
import { classifyError } from './http';
import type { HttpClient } from './http';
import type { AttemptOutcome, AttemptRecord, DeliveryHistory, HistoryQuery } from './history';
import { isEnabled, matchWebhooks, stillWanted } from './match';
import type { Delivery, EnqueueInput, Outbox } from './outbox';
import { eventFromBody } from './payload';
import type { CallbackContent } from './payload';
import { RequestBuilder, UnusableSecretError } from './request';
import { DEFAULT_JITTER, DEFAULT_MAX_INTERVAL_MS, DEFAULT_MAX_RETRY_AFTER_MS, DEFAULT_RETRY_HORIZON_MS, DEFAULT_SCHEDULE_MS, nextDelay } from './retry';
import { redactUrl } from '../webhooks/urlCredentials';
import { timerDelay } from '../base/clock';
import { cryptoRandom, randomId, silentLogger, systemClock } from './types';
import type { Clock, DeliveryEvent, DeliveryWebhook, Logger, QueuedEvent, RandomSource } from './types';

interface LaneItem {
  id: string;
  n: number;
  durable: boolean;
}

interface Lane {
  key: string;
  webhookId: number;
  udid: string;
  items: LaneItem[];
  busy: boolean;
  queued: boolean;
  /** waiting for the webhook to be enabled / un-paused */
  held: boolean;
  /** the webhook changed and may no longer want the head: look at it now rather than at its retry time */
  recheck: boolean;
  timer: unknown;
  timerDue: number;
}

interface HookState {
  id: number;
  lanes: Map<string, Lane>;
  ready: Lane[];
  active: number;
  consecutiveFailures: number;
}

const SKIPPED_UNSUBSCRIBED = 'Skipped — no longer subscribed';
const SKIPPED_DELETED = 'Skipped — webhook deleted';
const DISCARDED_UNDEFINED = 'Discarded — webhook no longer defined';

export { HIDDEN_HEADER_VALUE } from './request';
export type { DispatcherOptions, DispatchResult, StopOptions } from './dispatcherOptions';

export class Dispatcher {
  private readonly hooks = new Map<number, HookState>();
  private readonly running = new Set<Promise<void>>();
  private readonly gone = new Set<number>();
  private readonly idleWaiters: (() => void)[] = [];
  /** Paused in the last webhook list read (a view of the webhook store, not a state of its own). */
  private readonly pausedSeen = new Set<number>();
  /** Auto-paused here, the store's write not yet settled: nothing starts meanwhile. */
  private readonly pausing = new Set<number>();
  /** Webhook lists asked for, and the newest one whose pause states were taken (an older answer is not). */
  private listsRead = 0;
  private listNoted = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private admitting = 0;
  private undurable = 0;
  private stopped = false;
  private stopping: Promise<void> | undefined;
  private readonly abort = new AbortController();

  private readonly outbox: Outbox;
  private readonly store: DeliveryHistory;
  private readonly http: HttpClient;
  private readonly clock: Clock;
  private readonly random: RandomSource;
  private readonly logger: Logger;
  private readonly timeoutMs: number;
  private readonly schedule: readonly number[];
  private readonly jitter: number;
  private readonly cap: number;
  private readonly pauseAfter: number;
  private readonly maxRetryAfterMs: number;
  private readonly monotonic: () => number;
  private readonly requests: RequestBuilder;

  constructor(private readonly options: DispatcherOptions) {
    this.outbox = options.outbox;
    this.store = options.history;
    this.http = options.http;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? cryptoRandom;
    this.logger = options.logger ?? silentLogger;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.schedule = options.schedule && options.schedule.length > 0 ? options.schedule : DEFAULT_SCHEDULE_MS;
    this.jitter = options.jitter ?? DEFAULT_JITTER;
    this.cap = Math.max(1, options.maxConcurrentPerWebhook ?? 8);
    this.pauseAfter = Math.max(1, options.pauseAfterFailures ?? 20);
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
    this.monotonic = options.monotonic ?? (() => performance.now());
    this.requests = new RequestBuilder(`DeviceHooks/${options.version}`, this.logger);
    // One listener per attempt in flight (all webhooks): more than Node's default warning level of 10.
    setMaxListeners(0, this.abort.signal);
    // Whatever the outbox recovered goes first, in its original order.
    for (const d of this.outbox.list()) this.insert(d, true);
    for (const hook of this.hooks.values()) for (const lane of hook.lanes.values()) this.consider(lane);
    // Which webhooks are paused now: a later list showing one of them not paused is a resume.
    void (async () => this.webhookList())().catch((error: unknown) => this.logger('error', `Could not read webhooks at start: ${String(error)}`));
  }

  // ---- public API ------------------------------------------------------------------------------

  /** Matches, queues (durably) and schedules one event. Resolves when every delivery is on disk. */
  async dispatch(event: DeliveryEvent): Promise<DispatchResult> {
    // Wrapped so the admission step does not wait for the disk write.
    const { change } = await this.serialize(async () => {
      const webhooks = matchWebhooks(event, await this.webhookList());
      const queued: QueuedEvent = { udid: event.udid, name: event.name, platform: event.platform, to: event.to, at: event.at, seq: event.seq };
      const createdAt = this.clock.now();
      const inputs: EnqueueInput[] = [];
      for (const webhook of webhooks) {
        if (this.sendable(webhook)) this.wake(webhook.id, false);
        const messageId = this.outbox.messageIdFor(webhook.id, event.udid, event.seq);
        inputs.push({ webhookId: webhook.id, udid: event.udid, seq: event.seq, messageId, id: randomId('dlv', this.random), createdAt });
      }
      // The callbacks and the device's committed status in one write (the status after its callbacks),
      // with one promise for the whole change.
      const change = this.outbox.enqueueChange(inputs, queued, { udid: event.udid, name: event.name, platform: event.platform, to: event.to, seq: event.seq, at: event.at });
      this.place(change.added, change.written, event.udid);
      return { change };
    });
    const result: DispatchResult = { deliveries: [], refused: change.refused };
    try {
      await change.written;
      for (const d of change.added) result.deliveries.push({ ...d });
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      for (const d of change.added) result.refused.push({ webhookId: d.webhookId, error: failure });
    }
    return result;
  }

  /**
   * Sends a finished delivery again as a NEW delivery (new id, new attempt history) of the same event
   * with the same `webhook-id` (its body composed when it is sent, like every try): Standard Webhooks
   * defines webhook-id as the message's identity,
   * which receivers use to drop duplicates; a redelivery is the same message, so a receiver that
   * already processed it can recognise it. It queues behind the device's newer events.
   */
  async redeliver(deliveryId: string): Promise<Delivery> {
    const live = this.outbox.get(deliveryId);
    if (live) throw new Error(`Delivery ${deliveryId} is still queued (${live.state}); it can be sent again once it has finished`);
    const last = await this.store.findByDelivery(deliveryId);
    if (!last) throw new Error(`Delivery ${deliveryId} is no longer in the history`);
    if (last.test) throw new Error('A test event cannot be redelivered; send a new test event instead');
    // Attempts recorded by an earlier version kept only the body sent: read the event back from it.
    const queued = last.event ?? eventFromBody(last.request.body, last.seq);
    const content: CallbackContent = queued ? { event: queued } : { body: last.request.body };
    // Wrapped so the admission step does not wait for the disk write (a returned promise would be adopted).
    const { promise } = await this.serialize(async () => ({
      promise: this.admit({
        webhookId: last.webhookId,
        udid: last.udid,
        seq: last.seq,
        ...content,
        messageId: last.messageId,
        redeliveryOf: deliveryId,
      }),
    }));
    return promise;
  }

  /**
   * "Send test event": one attempt now, outside the outbox and the lanes (not retried, not
   * counted towards the pause, a 410 does not disable), recorded in the history as a test.
   * Works for disabled or paused webhooks: checking an endpoint is exactly what one does then.
   */
  async sendTest(webhookId: number, event: DeliveryEvent): Promise<AttemptRecord> {
    if (this.stopped) throw new Error('The dispatcher is stopped');
    const webhook = (await this.webhookList()).find((w) => w.id === webhookId);
    if (!webhook) throw new Error(`Webhook ${webhookId} not found`);
    if (webhook.unavailable !== undefined) throw new Error(`Webhook ${webhook.name} is waiting — secret unavailable: ${webhook.unavailable}`);
    const messageId = randomId('msg', this.random);
    const deliveryId = randomId('dlv', this.random);
    const queued: QueuedEvent = { udid: event.udid, name: event.name, platform: event.platform, to: event.to, at: event.at, seq: event.seq };
    const done = await this.perform(webhook, { id: deliveryId, messageId, event: queued });
    const { record } = this.store.append(attemptRecord(done, { deliveryId, messageId, webhookId, udid: event.udid, seq: event.seq, attempt: 1 }, 'test', { test: true, event: queued }));
    return record;
  }

  /**
   * Call when webhooks changed (enabled, paused, resumed, edited, deleted): held deliveries are looked
   * at again; a webhook resumed since the last list sends its backlog in order.
   */
  async refresh(): Promise<void> {
    const webhooks = await this.webhookList();
    const ids = new Set(webhooks.map((w) => w.id));
    for (const webhook of webhooks) {
      if (isEnabled(webhook)) this.gone.delete(webhook.id);
      this.recheckHeads(webhook);
      if (this.sendable(webhook)) this.wake(webhook.id, true);
    }
    // Missing webhooks: deleted ones' callbacks are skipped now; the others' stay held.
    for (const id of this.hooks.keys()) if (!ids.has(id)) this.wake(id, true);
  }

  /**
   * Ends every waiting callback of these webhooks without sending it (a person chose Discard for
   * callbacks whose webhook is no longer defined); recorded in the history as skipped. Answers how many.
   */
  async discard(webhookIds: readonly number[], label: string = DISCARDED_UNDEFINED): Promise<number> {
    let n = 0;
    for (const id of webhookIds) {
      for (const d of this.outbox.list({ webhookId: id })) {
        if (d.state === 'in_flight') continue;
        this.skip(d, undefined, label);
        n++;
      }
      this.wake(id, true);
    }
    await this.outbox.flush();
    return n;
  }

  history(query: HistoryQuery): Promise<AttemptRecord[]> {
    return this.store.query(query);
  }

  onAttempt(listener: (record: AttemptRecord) => void): () => void {
    return this.store.onAttempt(listener);
  }

  /**
   * Resolves when nothing is in flight and nothing due is waiting (future retries are not waited
   * for), and the outbox and history are on disk.
   */
  async flush(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.idleWaiters.push(resolve);
      this.checkIdle();
    });
    await this.outbox.flush();
    await this.store.flush();
  }

  /**
   * Clean shutdown: starts nothing new, waits up to timeoutMs for attempts in flight, aborts the
   * rest (they stay in the outbox and go again at the next start), flushes to disk. Events
   * dispatched after stop() are still queued on disk. Does not close the outbox, history or client.
   */
  stop({ timeoutMs = 10_000 }: StopOptions = {}): Promise<void> {
    this.stopping ??= (async () => {
      this.stopped = true;
      for (const hook of this.hooks.values()) {
        hook.ready.length = 0;
        for (const lane of hook.lanes.values()) {
          lane.queued = false;
          this.clearTimer(lane);
        }
      }
      if (this.running.size > 0) {
        let timer: unknown;
        const timedOut =
          timeoutMs <= 0 ||
          (await Promise.race([
            Promise.allSettled([...this.running]).then(() => false),
            new Promise<boolean>((resolve) => {
              timer = this.clock.setTimeout(() => resolve(true), timeoutMs);
            }),
          ]));
        if (timer !== undefined) this.clock.clearTimeout(timer);
        if (timedOut) {
          this.logger('warn', `Stopping: ${this.running.size} callback(s) still in flight after ${timeoutMs} ms were aborted; they will be sent again at the next start`);
          this.abort.abort();
          await Promise.allSettled([...this.running]);
        }
      }
      await this.chain;
      await this.outbox.flush().catch((error: unknown) => this.logger('error', `Outbox flush at stop failed: ${String(error)}`));
      await this.store.flush().catch(() => undefined);
    })();
    return this.stopping;
  }

  /** Attempts in flight (for one webhook, or all). */
  inFlight(webhookId?: number): number {
    if (webhookId !== undefined) return this.hooks.get(webhookId)?.active ?? 0;
    let n = 0;
    for (const hook of this.hooks.values()) n += hook.active;
    return n;
  }

  consecutiveFailures(webhookId: number): number {
    return this.hooks.get(webhookId)?.consecutiveFailures ?? this.outbox.failures(webhookId);
  }

  // ---- queueing --------------------------------------------------------------------------------

  /** Runs admission steps one at a time, in call order, so enqueue order = call order. */
  private serialize<T>(step: () => Promise<T>): Promise<T> {
    this.admitting++;
    const run = this.chain.then(step);
    this.chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run.finally(() => {
      this.admitting--;
      this.checkIdle();
    });
  }

  /** Enqueues and puts the delivery in its lane at once (not startable until it is on disk). */
  private admit(input: { webhookId: number; udid: string; seq: number; event?: QueuedEvent; body?: string; messageId?: string; redeliveryOf?: string }): Promise<Delivery> {
    const id = randomId('dlv', this.random);
    const promise = this.outbox.enqueue({ ...input, id, createdAt: this.clock.now() });
    // Callers await these one after another: a refusal must not count as unhandled meanwhile.
    promise.catch(() => undefined);
    const queued = this.outbox.get(id);
    if (!queued) return promise;
    const { lane, item } = this.insert(queued, false);
    this.undurable++;
    promise.then(
      () => {
        item.durable = true;
        this.undurable--;
        this.consider(lane);
        this.checkIdle();
      },
      () => {
        const i = lane.items.indexOf(item);
        if (i >= 0) lane.items.splice(i, 1);
        this.undurable--;
        this.consider(lane);
        this.checkIdle();
      },
    );
    return promise;
  }

  /** Puts the deliveries of one change in their lanes (startable once `written` resolves; dropped if it rejects). */
  private place(added: readonly Readonly<Delivery>[], written: Promise<void>, udid: string): void {
    if (added.length === 0) {
      written.catch((error: unknown) => this.logger('error', `Could not save the committed status of device ${udid}: ${String(error)}`));
      return;
    }
    const lanes: Lane[] = [];
    const items: LaneItem[] = [];
    for (const d of added) {
      const { lane, item } = this.insert(d, false);
      lanes.push(lane);
      items.push(item);
    }
    this.undurable += items.length;
    written.then(
      () => {
        for (const item of items) item.durable = true;
        this.undurable -= items.length;
        for (const lane of lanes) this.consider(lane);
        this.checkIdle();
      },
      (error: unknown) => {
        this.logger('error', `Could not save the callbacks and committed status of device ${udid}: ${String(error)}`);
        for (let i = 0; i < items.length; i++) {
          const lane = lanes[i] as Lane;
          const at = lane.items.indexOf(items[i] as LaneItem);
          if (at >= 0) lane.items.splice(at, 1);
        }
        this.undurable -= items.length;
        for (const lane of lanes) this.consider(lane);
        this.checkIdle();
      },
    );
  }

  private hook(webhookId: number): HookState {
    let hook = this.hooks.get(webhookId);
    if (!hook) {
      // The count that pauses a webhook carries over a restart.
      hook = { id: webhookId, lanes: new Map(), ready: [], active: 0, consecutiveFailures: this.outbox.failures(webhookId) };
      this.hooks.set(webhookId, hook);
    }
    return hook;
  }

  private insert(d: Pick<Delivery, 'id' | 'n' | 'webhookId' | 'udid'>, durable: boolean): { lane: Lane; item: LaneItem } {
    const hook = this.hook(d.webhookId);
    let lane = hook.lanes.get(d.udid);
    if (!lane) {
      lane = { key: `${d.webhookId}\u0000${d.udid}`, webhookId: d.webhookId, udid: d.udid, items: [], busy: false, queued: false, held: false, recheck: false, timer: undefined, timerDue: 0 };
      hook.lanes.set(d.udid, lane);
    }
    const item: LaneItem = { id: d.id, n: d.n, durable };
    let i = lane.items.length;
    // Never in front of the head while it is being sent.
    const floor = lane.busy ? 1 : 0;
    while (i > floor && (lane.items[i - 1] as LaneItem).n > item.n) i--;
    lane.items.splice(i, 0, item);
    return { lane, item };
  }

  private clearTimer(lane: Lane): void {
    if (lane.timer !== undefined) {
      this.clock.clearTimeout(lane.timer);
      lane.timer = undefined;
    }
  }

  /** Looks at a lane's head: start it, wait for its time, or leave it. */
  private consider(lane: Lane): void {
    if (this.stopped || lane.busy || lane.queued || lane.held) return;
    const hook = this.hook(lane.webhookId);
    for (;;) {
      const head = lane.items[0];
      if (!head) {
        this.clearTimer(lane);
        hook.lanes.delete(lane.udid);
        return;
      }
      if (!head.durable) return;
      const d = this.outbox.get(head.id);
      if (!d) {
        lane.items.shift();
        continue;
      }
      // A deleted webhook's callbacks do not wait for a pause or a retry time: they are skipped now.
      const deleted = this.isDeleted(lane.webhookId);
      if ((this.pausedSeen.has(lane.webhookId) || this.pausing.has(lane.webhookId)) && !deleted) {
        this.clearTimer(lane);
        return;
      }
      const now = this.clock.now();
      if (d.nextAttemptAt > now && !deleted && !lane.recheck) {
        if (lane.timer === undefined || lane.timerDue !== d.nextAttemptAt) {
          this.clearTimer(lane);
          lane.timerDue = d.nextAttemptAt;
          // A time further than a Node timer holds (a clock set back, a journal from a machine whose
          // clock ran ahead) is waited for in steps: when the timer runs early, the lane is looked at again.
          lane.timer = this.clock.setTimeout(() => {
            lane.timer = undefined;
            this.consider(lane);
          }, timerDelay(d.nextAttemptAt - now));
        }
        return;
      }
      this.clearTimer(lane);
      lane.queued = true;
      hook.ready.push(lane);
      this.pump(hook);
      return;
    }
  }

  private pump(hook: HookState): void {
    while (!this.stopped && hook.active < this.cap && hook.ready.length > 0) {
      const lane = hook.ready.shift() as Lane;
      lane.queued = false;
      if (lane.busy) continue;
      this.start(hook, lane);
    }
  }

  private start(hook: HookState, lane: Lane): void {
    lane.busy = true;
    hook.active++;
    const slot: { run?: Promise<void> } = {};
    slot.run = this.runLane(hook, lane, slot);
    this.running.add(slot.run);
  }

  /** One turn of a lane: its head, then the lane and the webhook are looked at again. Never rejects. */
  private async runLane(hook: HookState, lane: Lane, slot: { run?: Promise<void> }): Promise<void> {
    try {
      // Awaited even when it ends at once: the slot is filled before it is emptied below.
      await this.runHead(hook, lane);
    } catch (error) {
      this.logger('error', `Delivery for webhook ${hook.id} failed unexpectedly: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
    lane.busy = false;
    hook.active--;
    if (slot.run) this.running.delete(slot.run);
    this.consider(lane);
    this.pump(hook);
    this.checkIdle();
  }

  /** Wakes the lanes of a webhook (after resume / enable). */
  private wake(webhookId: number, always: boolean): void {
    const hook = this.hooks.get(webhookId);
    if (!hook) return;
    for (const lane of hook.lanes.values()) {
      if (!always && !lane.held) continue;
      lane.held = false;
      this.consider(lane);
    }
  }

  /** Lanes whose waiting head this webhook no longer wants are looked at now: the head ends skipped at once. */
  private recheckHeads(webhook: DeliveryWebhook): void {
    const hook = this.hooks.get(webhook.id);
    if (!hook) return;
    for (const lane of hook.lanes.values()) {
      const head = lane.items[0];
      const d = head ? this.outbox.get(head.id) : undefined;
      if (!d?.event || this.isPaused(webhook) || stillWanted(webhook, d.event)) continue;
      lane.recheck = true;
      lane.held = false;
      this.consider(lane);
    }
  }

  /** Deleted by a user, as far as the store knows; only asked about ids of lanes that exist. */
  private isDeleted(webhookId: number): boolean {
    if (!this.options.isWebhookDeleted) return false;
    try {
      return this.options.isWebhookDeleted(webhookId);
    } catch {
      return false;
    }
  }

  private sendable(webhook: DeliveryWebhook): boolean {
    return isEnabled(webhook) && !this.isPaused(webhook) && webhook.unavailable === undefined && !this.gone.has(webhook.id);
  }

  /** Paused in the store (as this list shows it), or being paused here. */
  private isPaused(webhook: DeliveryWebhook): boolean {
    return webhook.paused === true || this.pausing.has(webhook.id);
  }

  /**
   * The current webhooks; their pause states are taken from the list unless a newer list was already seen.
   * A list given at once is returned at once (no promise, no turn of the event loop before a send);
   * call it inside a try (it may throw).
   */
  private webhookList(): readonly DeliveryWebhook[] | Promise<readonly DeliveryWebhook[]> {
    const n = ++this.listsRead;
    const listed = this.options.listWebhooks();
    if (Array.isArray(listed)) return this.noted(n, listed as readonly DeliveryWebhook[]);
    return Promise.resolve(listed).then((list) => this.noted(n, list));
  }

  private noted(n: number, list: readonly DeliveryWebhook[]): readonly DeliveryWebhook[] {
    if (n > this.listNoted) {
      this.listNoted = n;
      for (const webhook of list) this.note(webhook);
    }
    return list;
  }

  /** Takes a webhook's pause state from a list just read; paused before and not now is a resume. */
  private note(webhook: DeliveryWebhook): void {
    if (webhook.paused === true) {
      this.pausedSeen.add(webhook.id);
    } else if (this.pausedSeen.delete(webhook.id)) {
      this.resumed(webhook.id);
    }
  }

  private resetFailures(webhookId: number): void {
    const hook = this.hooks.get(webhookId);
    if (hook) hook.consecutiveFailures = 0;
    void this.outbox.setFailures(webhookId, 0).catch(() => undefined);
  }

  /** The store resumed a webhook: a fresh failure count, and what waited goes now, in order. */
  private resumed(webhookId: number): void {
    const hook = this.hooks.get(webhookId);
    this.resetFailures(webhookId);
    this.logger('info', `Webhook ${webhookId} resumed`);
    // A retry time planned before the pause does not hold the backlog back (the heads are due now).
    const now = this.clock.now();
    for (const lane of hook?.lanes.values() ?? []) {
      const head = lane.items[0];
      const d = head && !lane.busy ? this.outbox.get(head.id) : undefined;
      if (d && d.nextAttemptAt > now) void this.outbox.update(d.id, { nextAttemptAt: now }).catch(() => undefined);
    }
    this.wake(webhookId, true);
  }

  private isIdle(): boolean {
    return this.running.size === 0 && this.admitting === 0 && this.undurable === 0;
  }

  private checkIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  // ---- sending ---------------------------------------------------------------------------------

  private async runHead(hook: HookState, lane: Lane): Promise<void> {
    lane.recheck = false;
    const head = lane.items[0];
    if (!head) return;
    const queued = this.outbox.get(head.id);
    if (!queued) {
      lane.items.shift();
      return;
    }
    let webhook: DeliveryWebhook | undefined;
    try {
      const listed = this.webhookList();
      const list = Array.isArray(listed) ? (listed as readonly DeliveryWebhook[]) : await listed;
      for (const w of list) {
        if (w.id !== queued.webhookId) continue;
        webhook = w;
        break;
      }
    } catch (error) {
      this.logger('error', `Could not read webhooks before sending: ${String(error)}; trying again in 5 s`);
      await this.outbox.update(queued.id, { nextAttemptAt: this.clock.now() + 5_000 }).catch(() => undefined);
      return;
    }
    if (this.stopped) return;
    if (!webhook) {
      if (this.options.isWebhookDeleted && !this.isDeleted(queued.webhookId)) {
        // Gone without a deletion (e.g. webhooks.json set aside): keep it until the webhook is back.
        lane.held = true;
        return;
      }
      lane.items.shift();
      this.skip(queued, undefined, SKIPPED_DELETED);
      return;
    }
    // A paused webhook's callbacks wait as they are (not even looked at for skipping) until it is resumed.
    if (this.isPaused(webhook)) {
      lane.held = true;
      return;
    }
    if (queued.event && !stillWanted(webhook, queued.event)) {
      lane.items.shift();
      this.skip(queued, webhook, SKIPPED_UNSUBSCRIBED);
      return;
    }
    // Looked at early (a recheck) but wanted after all: it keeps its retry time.
    if (queued.nextAttemptAt > this.clock.now()) return;
    if (!this.sendable(webhook)) {
      lane.held = true;
      return;
    }

    const d = { ...queued };
    const attempt = d.attempts + 1;
    // In memory only: the outcome below is the attempt's one journal line (and carries its count).
    this.outbox.startAttempt(d.id, attempt, this.clock.now());
    const done = await this.perform(webhook, d);
    if (done.aborted) {
      // stop(): the attempt counts; the delivery stays queued on disk, pending at the next open.
      void this.outbox.update(d.id, { attempts: attempt, updatedAt: this.clock.now() }).catch(() => undefined);
      return;
    }

    const end = this.clock.now();
    const status = done.response?.status;
    const ok = status !== undefined && status >= 200 && status < 300;
    let outcome: AttemptOutcome;
    let nextAttemptAt: number | undefined;
    const lastError = ok ? undefined : (done.error?.label ?? `HTTP ${status}`);

    if (ok) {
      if (hook.consecutiveFailures > 0) void this.outbox.setFailures(hook.id, 0).catch(() => undefined);
      hook.consecutiveFailures = 0;
      outcome = 'succeeded';
      lane.items.shift();
      void this.outbox.update(d.id, { state: 'succeeded', attempts: attempt, updatedAt: end }).catch(() => undefined);
    } else if (status === 410) {
      outcome = 'dead';
      lane.items.shift();
      void this.outbox.update(d.id, { state: 'dead', attempts: attempt, lastError, updatedAt: end }).catch(() => undefined);
      this.markGone(webhook);
    } else {
      hook.consecutiveFailures++;
      void this.outbox.setFailures(hook.id, hook.consecutiveFailures).catch(() => undefined);
      const delay = nextDelay({
        attemptsDone: attempt,
        schedule: this.schedule,
        jitter: this.jitter,
        r: this.random.float(),
        status,
        retryAfter: done.response?.headers['retry-after'],
        nowMs: end,
        maxRetryAfterMs: this.maxRetryAfterMs,
        maxIntervalMs: this.options.maxIntervalMs ?? DEFAULT_MAX_INTERVAL_MS,
        retriedMs: d.retriedMs ?? 0,
        horizonMs: this.options.retryHorizonMs ?? DEFAULT_RETRY_HORIZON_MS,
      });
      if (hook.consecutiveFailures >= this.pauseAfter && !this.isPaused(webhook) && !this.pausedSeen.has(webhook.id)) this.pauseHook(webhook.id, hook.consecutiveFailures);
      if (delay === undefined) {
        outcome = 'failed';
        lane.items.shift();
        this.logger('warn', `Callback ${d.id} to webhook ${webhook.id} (device ${d.udid}) failed after ${attempt} attempts (retry horizon used up): ${lastError}`);
        void this.outbox.update(d.id, { state: 'failed', attempts: attempt, lastError, updatedAt: end }).catch(() => undefined);
      } else {
        nextAttemptAt = end + delay;
        // Only the planned wait counts towards the horizon: time held (paused, disabled, waiting for the
        // secret, the app not running) beyond it does not.
        const retriedMs = (d.retriedMs ?? 0) + delay;
        void this.outbox.update(d.id, { state: 'pending', attempts: attempt, nextAttemptAt, retriedMs, lastError, updatedAt: end }).catch(() => undefined);
        outcome = this.isPaused(webhook) || this.pausedSeen.has(webhook.id) ? 'paused' : 'retrying';
      }
    }

    this.store.append(
      attemptRecord(done, { deliveryId: d.id, messageId: d.messageId, webhookId: d.webhookId, udid: d.udid, seq: d.seq, attempt }, outcome, {
        nextAttemptAt,
        redeliveryOf: d.redeliveryOf,
        event: d.event,
      }),
    );
  }

  /** Ends a waiting callback without sending it, and says so in the history (not a failure, no notification). */
  private skip(d: Readonly<Delivery>, webhook: DeliveryWebhook | undefined, label: string): void {
    const now = this.clock.now();
    this.logger('info', `Callback ${d.id} for webhook ${d.webhookId} (device ${d.udid}) not sent: ${label}`);
    void this.outbox.update(d.id, { state: 'skipped', lastError: label, updatedAt: now }).catch(() => undefined);
    this.store.append({
      deliveryId: d.id,
      messageId: d.messageId,
      webhookId: d.webhookId,
      udid: d.udid,
      seq: d.seq,
      attempt: d.attempts,
      at: now,
      latencyMs: 0,
      result: 'skipped',
      errorLabel: label,
      outcome: 'skipped',
      request: { method: 'POST', url: webhook?.url ?? '', headers: {}, body: '' },
      ...(d.redeliveryOf !== undefined ? { redeliveryOf: d.redeliveryOf } : {}),
      ...(d.event !== undefined ? { event: d.event } : {}),
    });
  }

  private markGone(webhook: DeliveryWebhook): void {
    if (this.gone.has(webhook.id)) return;
    this.gone.add(webhook.id);
    const reason = `The endpoint answered 410 Gone (${redactUrl(webhook.url)}): the receiver says it will never accept callbacks again`;
    this.logger('warn', `Webhook ${webhook.id} disabled: ${reason}`);
    void Promise.resolve()
      .then(() => this.options.disableWebhook(webhook.id, reason))
      .catch((error: unknown) => this.logger('error', `Disabling webhook ${webhook.id} failed: ${String(error)}`));
  }

  /**
   * Asks the webhook store to pause the webhook; nothing of it starts until that settles. Once the store
   * has it paused, the next list showing it not paused is a resume. If the store could not pause it, it
   * sends again (and the next failed attempt asks again): the store's word is the state.
   */
  private pauseHook(webhookId: number, failures: number): void {
    this.pausing.add(webhookId);
    const waiting = this.outbox.pendingFor(webhookId);
    this.logger('warn', `Webhook ${webhookId} paused after ${failures} consecutive failed attempts; ${waiting} callback(s) wait for it to be resumed`);
    void Promise.resolve()
      .then(() => this.options.pauseWebhook(webhookId))
      .then(
        () => {
          this.pausedSeen.add(webhookId);
          // A list asked for before the store had the pause is older than it: it must not read as a resume.
          this.listNoted = this.listsRead;
          // The failures that paused it are spent: a resume the dispatcher never hears of (a crash right
          // after the store's write) must not pause it again at its first failure.
          this.resetFailures(webhookId);
        },
        (error: unknown) => this.logger('error', `Pausing webhook ${webhookId} failed: ${String(error)}`),
      )
      .finally(() => {
        this.pausing.delete(webhookId);
        void this.refresh().catch((error: unknown) => this.logger('error', `Could not read webhooks after pausing ${webhookId}: ${String(error)}`));
      });
  }

  /** One HTTP attempt. Never throws. */
  private async perform(webhook: DeliveryWebhook, d: Pick<Delivery, 'id' | 'messageId'> & CallbackContent): Promise<Performed> {
    const at = this.clock.now();
    let built;
    try {
      built = this.requests.build(webhook, d, at);
    } catch (error) {
      if (!(error instanceof UnusableSecretError)) throw error;
      // An unusable secret: never send unsigned what should be signed.
      return { at, latencyMs: 0, request: error.recorded, error: { errorClass: 'other', label: 'Signing secret unusable', detail: error.message }, aborted: false };
    }
    const t0 = this.monotonic();
    try {
      const response = await this.http.send({ method: 'POST', url: webhook.url, headers: built.headers, body: built.body, timeoutMs: this.timeoutMs, signal: this.abort.signal });
      return { at, latencyMs: Math.round(this.monotonic() - t0), request: built.recorded, response, aborted: false };
    } catch (error) {
      return { at, latencyMs: Math.round(this.monotonic() - t0), request: built.recorded, error: classifyError(error), aborted: this.abort.signal.aborted };
    }
  }
}

export function createDispatcher(options: DispatcherOptions): Dispatcher {
  return new Dispatcher(options);
}
