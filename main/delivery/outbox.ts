// The durable outbox: every delivery is on disk before its first attempt, and whatever was not
// finished when the app quit or died is picked up at the next open.
//
// On disk, in the folder the caller gives:
//   outbox-snapshot.jsonl        the unfinished deliveries at the last compaction. JSON lines:
//                                  {"kind":"outbox-snapshot","version":2,"gen":G,"nextN":…,"paused":[…],"count":C}
//                                  one Delivery per line (C lines)
//                                  {"end":true,"count":C}
//                                written to a temp file, fsynced, renamed over the old one, folder fsynced.
//   outbox-journal-<G>.jsonl     every change since snapshot G, one record per line, appended:
//                                  {"t":"enq","d":Delivery}
//                                  {"t":"upd","id":…,"p":{state?,attempts?,nextAttemptAt?,lastError?,updatedAt?}}
//                                  {"t":"pause","w":webhookId,"at":ms} / {"t":"resume","w":webhookId,"at":ms}
//                                  {"t":"fails","w":webhookId,"n":count}  (consecutive failed attempts)
//                                  {"t":"dev","d":CommittedDevice}  (a device's committed status and seq,
//                                   written after the callbacks of that change, in the same batch)
//
// Cost per change does not grow with history: a change is one appended line; settled deliveries
// leave memory at once and are dropped from the next snapshot. Compaction rewrites only unfinished
// deliveries and runs when the journal outgrows max(compactMinBytes, last snapshot size), so its
// cost is amortized to O(1) per change even with a full outbox.
//
// Replay is idempotent (an `enq` sets the whole record, an `upd` sets absolute values), so a crash
// between the snapshot rename and the deletion of the old journal only replays some changes twice.
// Recovery: snapshot (if its end marker is there; otherwise it is moved aside and reported), then
// every journal with gen >= the snapshot's in order, skipping a torn last line; in_flight becomes
// pending; then an immediate compaction starts a fresh journal (so nothing is ever appended after a
// torn line).
//
// Record versions: 2 (the snapshot header's `version`) keeps a delivery's event (`event`), and the
// body is composed when each try is sent. 1 kept the finished body (`body`); such records, in a
// version 1 snapshot or a journal written by that version, are read back into their event when the
// body is one of our callbacks (upgradeDelivery), otherwise kept and sent as they are.
import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { WriteBatcher } from './batcher';
import { createHmac, randomBytes } from 'node:crypto';
import { appendDurably, fsyncDir, readJsonLines } from './files';
import { eventFromBody } from './payload';
import { cryptoRandom, randomId, realTimers, silentLogger } from './types';
import type { DevicePlatform, Logger, QueuedEvent, RandomSource, Status, Timers } from './types';

/** The status a device last committed (its transition was admitted), as the outbox keeps it. */
export interface CommittedDevice {
  udid: string;
  name: string;
  platform?: DevicePlatform;
  to: Status;
  seq: number;
  /** epoch ms of the transition */
  at: number;
}

/** `skipped`: not sent because the webhook no longer wants it (unsubscribed, out of scope, deleted). */
export type DeliveryState = 'pending' | 'in_flight' | 'succeeded' | 'failed' | 'dead' | 'paused' | 'skipped';
export const SETTLED_STATES: readonly DeliveryState[] = ['succeeded', 'failed', 'dead', 'skipped'];
export function isSettled(state: DeliveryState): boolean {
  return state === 'succeeded' || state === 'failed' || state === 'dead' || state === 'skipped';
}

/** The snapshot format written now; versions 1 and 2 are read. */
export const OUTBOX_RECORD_VERSION = 2;
const READABLE_SNAPSHOT_VERSIONS: readonly number[] = [1, 2];

/** A record of version 1 (a finished `body`) as version 2 (its `event`), when the body is one of our callbacks. */
export function upgradeDelivery(d: Delivery): Delivery {
  if (d.event !== undefined || typeof d.body !== 'string') return d;
  const event = eventFromBody(d.body, d.seq);
  if (!event) return d;
  const { body: _body, ...rest } = d;
  return { ...rest, event };
}

export interface Delivery {
  /** This delivery (`dlv_…`). A redelivery is a new delivery with a new id. */
  id: string;
  /** The Standard Webhooks message id sent as `webhook-id` (`msg_…`): same for every attempt, and kept by a redelivery. */
  messageId: string;
  webhookId: number;
  udid: string;
  seq: number;
  /** The event the callback announces; its body is composed from it (and the webhook as it is) at each try. */
  event?: QueuedEvent;
  /** Only in records of version 1 whose body was not recognised: the JSON text sent as is. */
  body?: string;
  createdAt: number;
  attempts: number;
  /** Wall-clock epoch ms of the next try. */
  nextAttemptAt: number;
  /** Waiting time counted towards the retry horizon so far (absent = 0). */
  retriedMs?: number;
  state: DeliveryState;
  /** Enqueue order, increasing across restarts: the order within one (webhook, device) lane. */
  n: number;
  updatedAt?: number;
  /** Plain label of the last failure ("HTTP 503", "Timeout"). */
  lastError?: string;
  /** The delivery this one re-sends. */
  redeliveryOf?: string;
}

export interface EnqueueInput {
  webhookId: number;
  udid: string;
  seq: number;
  /** One of event (what the dispatcher queues) and body (a finished text sent as is). */
  event?: QueuedEvent;
  body?: string;
  createdAt: number;
  /** defaults to createdAt (send at once) */
  nextAttemptAt?: number;
  /** defaults to a fresh `dlv_…` */
  id?: string;
  /** defaults to a fresh `msg_…` */
  messageId?: string;
  redeliveryOf?: string;
}

export interface DeliveryPatch {
  state?: DeliveryState;
  attempts?: number;
  nextAttemptAt?: number;
  retriedMs?: number;
  lastError?: string;
  updatedAt?: number;
}

type JournalRecord =
  | { t: 'enq'; d: Delivery }
  | { t: 'upd'; id: string; p: DeliveryPatch }
  | { t: 'pause'; w: number; at: number }
  | { t: 'resume'; w: number; at: number }
  | { t: 'fails'; w: number; n: number }
  | { t: 'dev'; d: CommittedDevice };

interface SnapshotHeader {
  kind: 'outbox-snapshot';
  version: number;
  gen: number;
  nextN: number;
  paused: number[];
  /** [webhookId, consecutive failed attempts] for the webhooks with a count above 0 (version 2). */
  failures?: [number, number][];
  /** Every device's committed status (version 2). */
  devices?: CommittedDevice[];
  /** base64 of 32 random bytes: the key of the message ids (version 2). A fresh outbox gets a new one. */
  secret?: string;
  count: number;
}

export interface OverflowInfo {
  limit: number;
  pending: number;
  webhookId: number;
  udid: string;
  /** How many of this webhook's deliveries have been refused since its queue became full. */
  refusedSinceFull: number;
}

/** Thrown (as a rejection) by enqueue() when the webhook has maxPending unfinished deliveries. */
export class OutboxFullError extends Error {
  readonly code = 'OUTBOX_FULL' as const;
  constructor(
    readonly limit: number,
    readonly webhookId: number,
  ) {
    super(`The delivery queue of webhook ${webhookId} is full (${limit} undelivered callbacks): a new callback for it was refused`);
    this.name = 'OutboxFullError';
  }
}

export class OutboxClosedError extends Error {
  readonly code = 'OUTBOX_CLOSED' as const;
  constructor() {
    super('The delivery outbox is closed');
    this.name = 'OutboxClosedError';
  }
}

export interface OutboxOptions {
  dir: string;
  /** Unfinished deliveries (pending, in flight, paused) allowed at once per webhook. Default 100,000. */
  maxPending?: number;
  /**
   * Changes within this window share one write. Default 0: the first change is written at the next turn
   * of the event loop, and everything that arrives while a write (and its datasync) runs goes in the
   * next one (group commit), so a quiet outbox adds no wait and a storm still makes few writes.
   */
  batchWindowMs?: number;
  /**
   * 'datasync' (default): a batch counts as written after write() + fdatasync(), so it survives power
   * loss, not only a crash of the app. 'none': after write() only (survives the process being killed,
   * not the machine losing power); for tests and benchmarks of the logic.
   */
  durability?: 'datasync' | 'none';
  /** The journal is compacted when it is larger than max(this, last snapshot size). Default 4 MiB. */
  compactMinBytes?: number;
  logger?: Logger;
  onOverflow?: (info: OverflowInfo) => void;
  random?: RandomSource;
  /** Only for the batch window. Default: real timers. */
  timers?: Timers;
  /** Time for pause/resume records and recovery. Default Date.now. */
  now?: () => number;
}

export const SNAPSHOT_FILE = 'outbox-snapshot.jsonl';
export const JOURNAL_PATTERN = /^outbox-journal-(\d{6,})\.jsonl$/;
export function journalFile(gen: number): string {
  return `outbox-journal-${String(gen).padStart(6, '0')}.jsonl`;
}

export interface OutboxStats {
  unfinished: number;
  gen: number;
  journalBytes: number;
  snapshotBytes: number;
  compactions: number;
  writes: number;
}

export interface OpenReport {
  recovered: number;
  tornTail: boolean;
  badLines: number;
  snapshotMovedAside?: string;
}

export class Outbox {
  private readonly live = new Map<string, Delivery>();
  private readonly paused = new Set<number>();
  private readonly failureCounts = new Map<number, number>();
  private readonly devices = new Map<string, CommittedDevice>();
  private secret: Buffer = randomBytes(32);
  private readonly notDurable = new Set<string>();
  private nextN = 1;
  private gen = 0;
  private journal: FileHandle | undefined;
  private journalBytes = 0;
  private snapshotBytes = 0;
  private compactions = 0;
  private writes = 0;
  private closed = false;
  /** Per webhook: refused since its queue was last full. */
  private readonly refusedSinceFull = new Map<number, number>();
  /** Per webhook: unfinished deliveries (the bound applies per webhook). */
  private readonly pendingByWebhook = new Map<number, number>();
  private readonly batcher: WriteBatcher;
  private readonly maxPending: number;
  private readonly sync: boolean;
  private readonly compactMinBytes: number;
  private readonly logger: Logger;
  private readonly random: RandomSource;
  private readonly now: () => number;
  private readonly onOverflow: ((info: OverflowInfo) => void) | undefined;
  readonly dir: string;
  openReport: OpenReport = { recovered: 0, tornTail: false, badLines: 0 };

  /** Use openOutbox(). */
  constructor(options: OutboxOptions) {
    this.dir = options.dir;
    this.maxPending = options.maxPending ?? 100_000;
    this.sync = (options.durability ?? 'datasync') === 'datasync';
    this.compactMinBytes = options.compactMinBytes ?? 4 * 1024 * 1024;
    this.logger = options.logger ?? silentLogger;
    this.random = options.random ?? cryptoRandom;
    this.now = options.now ?? Date.now;
    this.onOverflow = options.onOverflow;
    this.batcher = new WriteBatcher({
      windowMs: options.batchWindowMs ?? 0,
      timers: options.timers ?? realTimers,
      write: (chunks) => this.writeBatch(chunks),
    });
  }

  // ---- reading ---------------------------------------------------------------------------------

  get(id: string): Readonly<Delivery> | undefined {
    return this.live.get(id);
  }

  /** Unfinished deliveries in enqueue order. */
  list(filter?: { webhookId?: number; state?: DeliveryState }): Delivery[] {
    const out: Delivery[] = [];
    for (const d of this.live.values()) {
      if (filter?.webhookId !== undefined && d.webhookId !== filter.webhookId) continue;
      if (filter?.state !== undefined && d.state !== filter.state) continue;
      out.push({ ...d });
    }
    return out.sort((a, b) => a.n - b.n);
  }

  /** Unfinished deliveries (pending, in flight, paused). */
  get size(): number {
    return this.live.size;
  }

  get limit(): number {
    return this.maxPending;
  }

  /** Unfinished deliveries of one webhook (what the bound counts). */
  pendingFor(webhookId: number): number {
    return this.pendingByWebhook.get(webhookId) ?? 0;
  }

  /** The webhooks with unfinished deliveries, and how many each (no copy of the deliveries). */
  pendingByWebhookId(): ReadonlyMap<number, number> {
    return this.pendingByWebhook;
  }

  /** New callbacks for this webhook refused since its queue was last full (0 when it is not). */
  refusedFor(webhookId: number): number {
    return this.refusedSinceFull.get(webhookId) ?? 0;
  }

  isDurable(id: string): boolean {
    return this.live.has(id) && !this.notDurable.has(id);
  }

  isPaused(webhookId: number): boolean {
    return this.paused.has(webhookId);
  }

  /** Each device's last committed status and seq (the source of truth at start; see main/reconcile.ts). */
  committedDevices(): ReadonlyMap<string, CommittedDevice> {
    return this.devices;
  }

  /**
   * Records a device's committed status. The dispatcher calls it right after enqueueing that change's
   * callbacks, so it lands in the same write, after them: whoever reads it back finds the callbacks too.
   */
  commitDevice(device: CommittedDevice): Promise<void> {
    if (this.closed) return Promise.reject(new OutboxClosedError());
    const record: JournalRecord = { t: 'dev', d: { ...device } };
    this.apply(record);
    return this.batcher.push(`${JSON.stringify(record)}\n`);
  }

  /**
   * The `webhook-id` of the callback announcing change `seq` of device `udid` to webhook `webhookId`:
   * HMAC-SHA256 with this outbox's secret, so the same change committed again gets the same id, and a
   * fresh outbox (a new secret) never repeats ids sent before.
   */
  messageIdFor(webhookId: number, udid: string, seq: number): string {
    const mac = createHmac('sha256', this.secret).update(`${webhookId}\u0000${udid}\u0000${seq}`, 'utf8').digest();
    return `msg_${mac.subarray(0, 16).toString('base64url')}`;
  }

  /** Consecutive failed attempts of a webhook, as last saved (it pauses the webhook at a bound). */
  failures(webhookId: number): number {
    return this.failureCounts.get(webhookId) ?? 0;
  }

  /** Saves a webhook's consecutive-failure count (journal record; kept in the snapshot). */
  setFailures(webhookId: number, n: number): Promise<void> {
    if (this.closed) return Promise.reject(new OutboxClosedError());
    if (this.failures(webhookId) === n) return Promise.resolve();
    const record: JournalRecord = { t: 'fails', w: webhookId, n };
    this.apply(record);
    return this.batcher.push(`${JSON.stringify(record)}\n`);
  }

  pausedWebhooks(): number[] {
    return [...this.paused].sort((a, b) => a - b);
  }

  stats(): OutboxStats {
    return {
      unfinished: this.live.size,
      gen: this.gen,
      journalBytes: this.journalBytes,
      snapshotBytes: this.snapshotBytes,
      compactions: this.compactions,
      writes: this.writes,
    };
  }

  // ---- changing --------------------------------------------------------------------------------

  /**
   * Adds a delivery. The record is in memory (get(), list()) as soon as this returns; the promise
   * resolves once it is on disk. Rejects with OutboxFullError when maxPending deliveries are waiting.
   */
  enqueue(input: EnqueueInput): Promise<Delivery> {
    if (this.closed) return Promise.reject(new OutboxClosedError());
    if (this.pendingFor(input.webhookId) >= this.maxPending) return Promise.reject(this.refuse(input));
    const refused = this.refusedSinceFull.get(input.webhookId) ?? 0;
    if (refused > 0) {
      this.logger('warn', `Delivery outbox accepts callbacks for webhook ${input.webhookId} again after refusing ${refused} while its queue was full`);
      this.refusedSinceFull.delete(input.webhookId);
    }
    const id = input.id ?? randomId('dlv', this.random);
    if (this.live.has(id)) return Promise.reject(new Error(`delivery ${id} already exists`));
    const delivery: Delivery = {
      id,
      messageId: input.messageId ?? randomId('msg', this.random),
      webhookId: input.webhookId,
      udid: input.udid,
      seq: input.seq,
      ...(input.event !== undefined ? { event: { ...input.event } } : {}),
      ...(input.body !== undefined ? { body: input.body } : {}),
      createdAt: input.createdAt,
      attempts: 0,
      nextAttemptAt: input.nextAttemptAt ?? input.createdAt,
      state: this.paused.has(input.webhookId) ? 'paused' : 'pending',
      n: this.nextN,
      ...(input.redeliveryOf !== undefined ? { redeliveryOf: input.redeliveryOf } : {}),
    };
    const record: JournalRecord = { t: 'enq', d: delivery };
    this.apply(record);
    this.notDurable.add(id);
    return this.batcher.push(`${JSON.stringify(record)}\n`).then(
      () => {
        this.notDurable.delete(id);
        return { ...delivery };
      },
      (error: unknown) => {
        // Not on disk: take it back so it is never sent as if it were safe.
        this.notDurable.delete(id);
        this.deleteLive(id);
        throw error;
      },
    );
  }

  /** Changes a delivery; a settled state (succeeded, failed, dead) removes it from the outbox. */
  update(id: string, patch: DeliveryPatch): Promise<void> {
    if (this.closed) return Promise.reject(new OutboxClosedError());
    if (!this.live.has(id)) return Promise.resolve();
    const record: JournalRecord = { t: 'upd', id, p: patch };
    this.apply(record);
    return this.batcher.push(`${JSON.stringify(record)}\n`);
  }

  /**
   * Pausing turns the webhook's pending deliveries (and any that become pending later) into `paused`;
   * resuming makes them all pending again, due at `at`.
   */
  setPaused(webhookId: number, paused: boolean, at: number = this.now()): Promise<void> {
    if (this.closed) return Promise.reject(new OutboxClosedError());
    if (this.paused.has(webhookId) === paused) return Promise.resolve();
    const record: JournalRecord = paused ? { t: 'pause', w: webhookId, at } : { t: 'resume', w: webhookId, at };
    this.apply(record);
    return this.batcher.push(`${JSON.stringify(record)}\n`);
  }

  /** Resolves when everything changed so far is on disk. */
  flush(): Promise<void> {
    return this.batcher.flush();
  }

  /** Flushes, compacts and closes the journal. Unfinished deliveries stay for the next open. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.batcher.flush();
    await this.journal?.close();
    this.journal = undefined;
  }

  // ---- internals -------------------------------------------------------------------------------

  private refuse(input: EnqueueInput): OutboxFullError {
    const refused = (this.refusedSinceFull.get(input.webhookId) ?? 0) + 1;
    this.refusedSinceFull.set(input.webhookId, refused);
    const info: OverflowInfo = {
      limit: this.maxPending,
      pending: this.pendingFor(input.webhookId),
      webhookId: input.webhookId,
      udid: input.udid,
      refusedSinceFull: refused,
    };
    // Loud on the first refusal, then every 1000th, so a flood does not flood the log too.
    if (refused === 1 || refused % 1000 === 0) {
      this.logger(
        'error',
        `Delivery queue of webhook ${input.webhookId} FULL (${this.maxPending} undelivered callbacks): refusing its new callbacks ` +
          `(${refused} refused so far, latest for device ${input.udid})`,
      );
    }
    try {
      this.onOverflow?.(info);
    } catch (error) {
      this.logger('error', `onOverflow listener failed: ${String(error)}`);
    }
    return new OutboxFullError(this.maxPending, input.webhookId);
  }

  private setLive(d: Delivery): void {
    if (!this.live.has(d.id)) this.pendingByWebhook.set(d.webhookId, this.pendingFor(d.webhookId) + 1);
    this.live.set(d.id, d);
  }

  private deleteLive(id: string): void {
    const d = this.live.get(id);
    if (!d) return;
    this.live.delete(id);
    const n = this.pendingFor(d.webhookId) - 1;
    if (n > 0) this.pendingByWebhook.set(d.webhookId, n);
    else this.pendingByWebhook.delete(d.webhookId);
  }

  /** The one place state changes: used live and by replay, so both agree. */
  private apply(record: JournalRecord): void {
    switch (record.t) {
      case 'enq': {
        const d = upgradeDelivery({ ...record.d });
        if (d.state === 'pending' && this.paused.has(d.webhookId)) d.state = 'paused';
        if (isSettled(d.state)) this.deleteLive(d.id);
        else this.setLive(d);
        this.nextN = Math.max(this.nextN, d.n + 1);
        return;
      }
      case 'upd': {
        const d = this.live.get(record.id);
        if (!d) return;
        const p = record.p;
        if (p.attempts !== undefined) d.attempts = p.attempts;
        if (p.nextAttemptAt !== undefined) d.nextAttemptAt = p.nextAttemptAt;
        if (p.retriedMs !== undefined) d.retriedMs = p.retriedMs;
        if (p.lastError !== undefined) d.lastError = p.lastError;
        if (p.updatedAt !== undefined) d.updatedAt = p.updatedAt;
        if (p.state !== undefined) d.state = p.state === 'pending' && this.paused.has(d.webhookId) ? 'paused' : p.state;
        if (isSettled(d.state)) this.deleteLive(d.id);
        return;
      }
      case 'pause': {
        this.paused.add(record.w);
        for (const d of this.live.values()) if (d.webhookId === record.w && d.state === 'pending') d.state = 'paused';
        return;
      }
      case 'dev': {
        const known = this.devices.get(record.d.udid);
        if (!known || record.d.seq >= known.seq) this.devices.set(record.d.udid, { ...record.d });
        return;
      }
      case 'fails': {
        if (record.n > 0) this.failureCounts.set(record.w, record.n);
        else this.failureCounts.delete(record.w);
        return;
      }
      case 'resume': {
        this.paused.delete(record.w);
        for (const d of this.live.values()) {
          if (d.webhookId === record.w && d.state === 'paused') {
            d.state = 'pending';
            d.nextAttemptAt = record.at;
          }
        }
        return;
      }
    }
  }

  private async writeBatch(chunks: string[]): Promise<void> {
    if (!this.journal) throw new OutboxClosedError();
    this.journalBytes += await appendDurably(this.journal, chunks.join(''), this.sync);
    this.writes++;
    if (this.journalBytes > Math.max(this.compactMinBytes, this.snapshotBytes)) {
      try {
        await this.compact();
      } catch (error) {
        // The journal still holds everything: log and carry on, compaction is retried next batch.
        this.logger('error', `Delivery outbox compaction failed (will retry): ${String(error)}`);
      }
    }
  }

  /** Writes the unfinished deliveries as snapshot gen+1, starts journal gen+1, deletes older journals. */
  private async compact(): Promise<void> {
    const nextGen = this.gen + 1;
    const snapshotPath = join(this.dir, SNAPSHOT_FILE);
    const tmpPath = `${snapshotPath}.tmp`;
    const deliveries = [...this.live.values()].sort((a, b) => a.n - b.n);
    const header: SnapshotHeader = {
      kind: 'outbox-snapshot',
      version: OUTBOX_RECORD_VERSION,
      gen: nextGen,
      nextN: this.nextN,
      paused: [...this.paused],
      failures: [...this.failureCounts],
      devices: [...this.devices.values()],
      secret: this.secret.toString('base64'),
      count: deliveries.length,
    };
    const tmp = await open(tmpPath, 'w');
    let bytes = 0;
    try {
      let chunk = `${JSON.stringify(header)}\n`;
      for (const d of deliveries) {
        chunk += `${JSON.stringify(d)}\n`;
        if (chunk.length > 256 * 1024) {
          bytes += await appendDurably(tmp, chunk, false);
          chunk = '';
        }
      }
      chunk += `${JSON.stringify({ end: true, count: deliveries.length })}\n`;
      bytes += await appendDurably(tmp, chunk, false);
      await tmp.sync();
    } finally {
      await tmp.close();
    }
    await rename(tmpPath, snapshotPath);
    await fsyncDir(this.dir);
    // From here on, snapshot nextGen holds everything: start its journal and drop the old ones.
    const fresh = await open(join(this.dir, journalFile(nextGen)), 'a');
    const old = this.journal;
    this.journal = fresh;
    this.gen = nextGen;
    this.journalBytes = 0;
    this.snapshotBytes = bytes;
    this.compactions++;
    await old?.close().catch(() => undefined);
    await this.removeJournalsBelow(nextGen);
  }

  private async removeJournalsBelow(gen: number): Promise<void> {
    for (const name of await readdir(this.dir)) {
      const m = JOURNAL_PATTERN.exec(name);
      if (m && Number(m[1]) < gen) await unlink(join(this.dir, name)).catch(() => undefined);
    }
  }

  /** Reads snapshot + journals into memory, then compacts into a fresh journal. Called once by openOutbox(). */
  async load(): Promise<OpenReport> {
    await mkdir(this.dir, { recursive: true });
    const report: OpenReport = { recovered: 0, tornTail: false, badLines: 0 };
    const snapshotPath = join(this.dir, SNAPSHOT_FILE);
    await unlink(`${snapshotPath}.tmp`).catch(() => undefined);

    let fromGen = 0;
    const snap = await readJsonLines<SnapshotHeader | Delivery | { end: true; count: number }>(snapshotPath);
    if (snap.records.length > 0 || snap.tornTail || snap.badLines > 0) {
      const header = snap.records[0] as SnapshotHeader | undefined;
      const end = snap.records[snap.records.length - 1] as { end?: boolean; count?: number } | undefined;
      const body = snap.records.slice(1, -1) as Delivery[];
      const valid =
        header?.kind === 'outbox-snapshot' &&
        READABLE_SNAPSHOT_VERSIONS.includes(header.version) &&
        end?.end === true &&
        end.count === header.count &&
        body.length === header.count &&
        snap.badLines === 0 &&
        !snap.tornTail;
      if (valid) {
        fromGen = header.gen;
        this.nextN = header.nextN;
        for (const w of header.paused) this.paused.add(w);
        for (const [w, n] of header.failures ?? []) this.apply({ t: 'fails', w, n });
        for (const d of header.devices ?? []) this.apply({ t: 'dev', d });
        if (typeof header.secret === 'string' && Buffer.from(header.secret, 'base64').length >= 16) this.secret = Buffer.from(header.secret, 'base64');
        for (const d of body) this.apply({ t: 'enq', d });
      } else {
        // Never overwrite what we cannot read: move it aside, say so, and rebuild from the journals.
        const aside = join(this.dir, `outbox-snapshot.unreadable-${this.now()}.jsonl`);
        await rename(snapshotPath, aside);
        report.snapshotMovedAside = aside;
        this.logger('error', `Delivery outbox snapshot could not be read; moved to ${aside}. Rebuilding from the journal.`);
      }
    }

    const journals = (await readdir(this.dir))
      .map((name) => ({ name, m: JOURNAL_PATTERN.exec(name) }))
      .filter((j) => j.m !== null)
      .map((j) => ({ name: j.name, gen: Number((j.m as RegExpExecArray)[1]) }))
      .filter((j) => j.gen >= fromGen)
      .sort((a, b) => a.gen - b.gen);
    for (const j of journals) {
      const parsed = await readJsonLines<JournalRecord>(join(this.dir, j.name));
      for (const record of parsed.records) {
        if (record && typeof record === 'object' && 't' in record) this.apply(record);
        else report.badLines++;
      }
      report.badLines += parsed.badLines;
      if (parsed.tornTail) report.tornTail = true;
      this.gen = Math.max(this.gen, j.gen);
    }
    this.gen = Math.max(this.gen, fromGen);
    if (report.tornTail) this.logger('warn', 'Delivery outbox: the last journal line was cut off by a crash; it was never confirmed and is skipped');
    if (report.badLines > 0) this.logger('error', `Delivery outbox: ${report.badLines} unreadable journal line(s) skipped`);

    // Whatever was in flight when we stopped may or may not have arrived: send it again (at least once).
    for (const d of this.live.values()) {
      if (d.state === 'in_flight') d.state = this.paused.has(d.webhookId) ? 'paused' : 'pending';
    }
    report.recovered = this.live.size;
    try {
      this.snapshotBytes = (await stat(snapshotPath)).size;
    } catch {
      this.snapshotBytes = 0;
    }
    await this.compact();
    this.openReport = report;
    if (report.recovered > 0) this.logger('info', `Delivery outbox: ${report.recovered} unfinished callback(s) to send`);
    return report;
  }
}

export async function openOutbox(options: OutboxOptions): Promise<Outbox> {
  const outbox = new Outbox(options);
  await outbox.load();
  return outbox;
}
