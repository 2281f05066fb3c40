// The durable outbox: every delivery is on disk before its first attempt, and whatever was not
// finished when the app quit or died is picked up at the next open.
//
// One cohesive thing, over 400 lines: the Outbox class, whose queue, write path, compaction and
// stats share one private state. What could stand alone has its own file beside it: the record
// format (outboxRecords.ts), recovery (outboxRecovery.ts), the snapshot file (outboxSnapshot.ts), the
// errors (outboxErrors.ts).
//
// On disk, in the folder the caller gives (every line is one framed, checked record: framing.ts):
//   outbox-snapshot.jsonl        the unfinished deliveries at the last compaction:
//                                  {"kind":"outbox-snapshot","version":5,"gen":G,"nextN":…,"paused":[…],"count":C}
//                                  one Delivery per line (C lines)
//                                  {"end":true,"count":C}
//                                written to a temp file (0600), fsynced, read back and checked, renamed
//                                over the old one, folder fsynced; only then are older journals deleted.
//   outbox-journal-<G>.jsonl     every change since snapshot G, one record per line, appended:
//                                  {"t":"enq","d":Delivery}
//                                  {"t":"upd","id":…,"p":{state?,attempts?,nextAttemptAt?,lastError?,updatedAt?}}
//                                   (an attempt's outcome, with the attempt count; the start of an
//                                   attempt is not written: see startAttempt())
//                                  {"t":"handed","w":webhookId}  (a carried pause is now in webhooks.json)
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
// Recovery (the reading is in outboxRecovery.ts): the snapshot record by record (a damaged record is
// counted and reported, the others kept; a copy of a damaged snapshot is kept beside it, and then every
// journal is replayed, not only the newest), then every journal with gen >= the snapshot's in order, skipping torn or damaged records;
// in_flight becomes pending; then an immediate compaction starts a fresh journal. If that compaction
// cannot be written (disk full), the outbox opens anyway and appends to the newest journal, cut back
// to its last whole record.
//
// A failed append (ENOSPC, EIO) is never acknowledged: the journal is cut back to its last good length,
// the batch stays in memory (enqueue() has not resolved, so the dispatcher does not send it), the
// problem is reported through onSaveProblem, and the write is tried again every retryMs until it
// succeeds (or retrySave() is called). Files written before framing (plain JSON lines) are still read.
//
// Record versions (which are written, which are read): outboxRecords.ts.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { WriteBatcher } from './batcher';
import { appendDurably, fsyncDir, nodeStorageFs } from './files';
import { readOutboxFiles } from './outboxRecovery';
import { writeSnapshotFile } from './outboxSnapshot';
import type { NewestJournal } from './outboxRecovery';
import type { AppendHandle, StorageFs } from './files';
import { frameRecord } from './framing';
import { createHmac, randomBytes } from 'node:crypto';
import { OutboxClosedError, OutboxFullError, OutboxSaveError } from './outboxErrors';
import type { OverflowInfo, SaveProblem } from './outboxErrors';
import { JOURNAL_PATTERN, OUTBOX_RECORD_VERSION, SNAPSHOT_FILE, isSettled, journalFile, upgradeDelivery } from './outboxRecords';
import type { CommittedDevice, Delivery, DeliveryPatch, DeliveryState, EnqueueInput, JournalRecord, SnapshotHeader } from './outboxRecords';
import { cryptoRandom, randomId, realTimers, silentLogger } from './types';
import type { Logger, QueuedEvent, RandomSource, Timers } from './types';

// The records and errors moved to their own files are still exported from here.
export { JOURNAL_PATTERN, OUTBOX_RECORD_VERSION, SETTLED_STATES, SNAPSHOT_FILE, isSettled, journalFile, upgradeDelivery } from './outboxRecords';
export type { CommittedDevice, Delivery, DeliveryPatch, DeliveryState, EnqueueInput } from './outboxRecords';
export { OutboxClosedError, OutboxFullError, OutboxSaveError, describeSaveProblem } from './outboxErrors';
export type { OverflowInfo, SaveProblem } from './outboxErrors';
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
  /** Time for recovery. Default Date.now. */
  now?: () => number;
  /** The fs functions every write goes through (tests inject faults). Default node:fs/promises. */
  fs?: StorageFs;
  /** After a failed write, try again this often (ms). Default 2000. */
  retryMs?: number;
  /**
   * Told when changes cannot be saved (disk full, I/O error; again with the new count after each failed
   * retry) and with undefined once everything is saved again.
   */
  onSaveProblem?: (problem: SaveProblem | undefined) => void;
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
  /** A copy of a damaged snapshot (the readable records of it were used). */
  snapshotMovedAside?: string;
  /** Snapshot records that could not be read: callbacks lost to the damage. */
  unreadableRecords: number;
  /** The compaction at open could not be written (e.g. disk full): opened on the newest journal. */
  openedWithoutCompaction?: string;
}

export class Outbox {
  private readonly live = new Map<string, Delivery>();
  /** Webhooks paused in data written by record version 1 or 2, not yet handed to the webhook store. */
  private readonly carried = new Set<number>();
  /** Replaying the files at open (only then do old pause/resume records change delivery states). */
  private replaying = false;
  private readonly failureCounts = new Map<number, number>();
  private readonly devices = new Map<string, CommittedDevice>();
  private secret: Buffer = randomBytes(32);
  private readonly notDurable = new Set<string>();
  private nextN = 1;
  private gen = 0;
  private journal: AppendHandle | undefined;
  /** The journal could not be cut back after a failed write: try again before the next append. */
  private journalDirty = false;
  private needCompaction = false;
  private problem: SaveProblem | undefined;
  private closing = false;
  private wake: (() => void) | undefined;
  private readonly problemWaiters = new Set<(error: Error) => void>();
  private readonly fs: StorageFs;
  private readonly retryMs: number;
  private readonly timers: Timers;
  private readonly onSaveProblem: ((problem: SaveProblem | undefined) => void) | undefined;
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
  openReport: OpenReport = { recovered: 0, tornTail: false, badLines: 0, unreadableRecords: 0 };

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
    this.fs = options.fs ?? nodeStorageFs;
    this.retryMs = options.retryMs ?? 2_000;
    this.timers = options.timers ?? realTimers;
    this.onSaveProblem = options.onSaveProblem;
    this.batcher = new WriteBatcher({
      windowMs: options.batchWindowMs ?? 0,
      timers: this.timers,
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

  /**
   * Webhooks that data written by an earlier version (record version 1 or 2) left paused. The webhook
   * store owns pause state now: the caller pauses them there (webhooks.json), then calls
   * handOverPauses(). Until then they stay here, across restarts.
   */
  carriedPauses(): number[] {
    return [...this.carried].sort((a, b) => a - b);
  }

  /** Each device's last committed status and seq (the source of truth at start; see main/services/reconcile.ts). */
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
    return this.batcher.push(frameRecord(record));
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
    return this.batcher.push(frameRecord(record));
  }

  /** Set while changes cannot be written (disk full, I/O error). */
  get saveProblem(): SaveProblem | undefined {
    return this.problem ? { ...this.problem } : undefined;
  }

  /** Tries a failed write again now instead of at the next retry. */
  retrySave(): void {
    this.wake?.();
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
    const added = this.add(input, input.event !== undefined ? { ...input.event } : undefined);
    if (added instanceof Error) return Promise.reject(added);
    const { delivery, written } = added;
    const id = delivery.id;
    return written.then(
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

  /**
   * The callbacks of one committed status change and the device's new status, in one write (the device
   * after its callbacks). Like enqueue() for each, but with one promise for the whole change: `written`
   * resolves once all of it is on disk, or rejects, and then none of the deliveries is kept. The
   * deliveries share one event object (never changed). `added` are the live records; `refused` the
   * inputs refused at once (queue full).
   */
  enqueueChange(
    inputs: readonly EnqueueInput[],
    event: QueuedEvent,
    device: CommittedDevice,
  ): { added: readonly Readonly<Delivery>[]; refused: { webhookId: number; error: Error }[]; written: Promise<void> } {
    if (this.closed) {
      const error = new OutboxClosedError();
      return { added: [], refused: inputs.map((i) => ({ webhookId: i.webhookId, error })), written: Promise.reject(error) };
    }
    const added: Delivery[] = [];
    const refused: { webhookId: number; error: Error }[] = [];
    for (const input of inputs) {
      const result = this.add(input, event);
      if (result instanceof Error) refused.push({ webhookId: input.webhookId, error: result });
      else added.push(result.delivery);
    }
    const record: JournalRecord = { t: 'dev', d: { ...device } };
    this.apply(record);
    const written = this.batcher.push(frameRecord(record)).then(
      () => {
        for (const d of added) this.notDurable.delete(d.id);
      },
      (error: unknown) => {
        for (const d of added) {
          this.notDurable.delete(d.id);
          this.deleteLive(d.id);
        }
        throw error;
      },
    );
    return { added, refused, written };
  }

  /** Checks, makes and journals one delivery (in memory at once); `written` is its batch's promise. */
  private add(input: EnqueueInput, event: QueuedEvent | undefined): { delivery: Delivery; written: Promise<void> } | Error {
    if (this.pendingFor(input.webhookId) >= this.maxPending) return this.refuse(input);
    const refused = this.refusedSinceFull.get(input.webhookId) ?? 0;
    if (refused > 0) {
      this.logger('warn', `Delivery outbox accepts callbacks for webhook ${input.webhookId} again after refusing ${refused} while its queue was full`);
      this.refusedSinceFull.delete(input.webhookId);
    }
    const id = input.id ?? randomId('dlv', this.random);
    if (this.live.has(id)) return new Error(`delivery ${id} already exists`);
    // One shape for every delivery: a field it does not have is undefined, which the journal line leaves out.
    const delivery: Delivery = {
      id,
      messageId: input.messageId ?? randomId('msg', this.random),
      webhookId: input.webhookId,
      udid: input.udid,
      seq: input.seq,
      event,
      body: input.body,
      createdAt: input.createdAt,
      attempts: 0,
      nextAttemptAt: input.nextAttemptAt ?? input.createdAt,
      state: 'pending',
      n: this.nextN,
      redeliveryOf: input.redeliveryOf,
    };
    const record: JournalRecord = { t: 'enq', d: delivery };
    this.apply(record);
    this.notDurable.add(id);
    return { delivery, written: this.batcher.push(frameRecord(record)) };
  }

  /** Changes a delivery; a settled state (succeeded, failed, dead) removes it from the outbox. */
  update(id: string, patch: DeliveryPatch): Promise<void> {
    if (this.closed) return Promise.reject(new OutboxClosedError());
    if (!this.live.has(id)) return Promise.resolve();
    const record: JournalRecord = { t: 'upd', id, p: patch };
    this.apply(record);
    return this.batcher.push(frameRecord(record));
  }

  /**
   * An attempt starts: in flight, with its count, in memory only (nothing is written). The attempt's
   * outcome, an update() with the same count, is its one journal line; a crash before it leaves the
   * delivery as it was on disk (pending, the attempts before this one), so it is sent again.
   */
  startAttempt(id: string, attempts: number, at: number): void {
    const d = this.live.get(id);
    if (!d || this.closed) return;
    d.state = 'in_flight';
    d.attempts = attempts;
    d.updatedAt = at;
  }

  /**
   * Forgets carried pauses (see carriedPauses()) once the webhook store holds them: resolves when that
   * is on disk. Call it only after the webhook store's write of those pauses resolved.
   */
  handOverPauses(webhookIds: readonly number[]): Promise<void> {
    if (this.closed) return Promise.reject(new OutboxClosedError());
    const writes: Promise<void>[] = [];
    for (const w of webhookIds) {
      if (!this.carried.has(w)) continue;
      const record: JournalRecord = { t: 'handed', w };
      this.apply(record);
      writes.push(this.batcher.push(frameRecord(record)));
    }
    return Promise.all(writes).then(() => undefined);
  }

  /**
   * Resolves when everything changed so far is on disk. Rejects with OutboxSaveError while changes
   * cannot be written (they stay in memory and are retried; flush() does not wait for free space).
   */
  flush(): Promise<void> {
    if (this.problem) return Promise.reject(new OutboxSaveError(this.problem));
    return new Promise<void>((resolve, reject) => {
      const onProblem = (error: Error) => reject(error);
      this.problemWaiters.add(onProblem);
      this.batcher.flush().then(
        () => {
          this.problemWaiters.delete(onProblem);
          resolve();
        },
        (error: unknown) => {
          this.problemWaiters.delete(onProblem);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  /**
   * Flushes and closes the journal. Unfinished deliveries stay for the next open. Changes that still
   * cannot be written get one last try; if that fails they are lost with this process, and the log
   * says how many.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing = true;
    const unsaved = this.notDurable.size;
    this.wake?.();
    await this.batcher.flush();
    if (this.problem) {
      this.logger('error', `Delivery outbox closed with ${unsaved} callback(s) that could not be saved (${this.problem.message}); they are lost`);
    }
    await this.journal?.close().catch(() => undefined);
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
        // Live, the record made by add() is kept as it is (one object per delivery); replayed, a copy.
        const d = upgradeDelivery(this.replaying ? { ...record.d } : record.d);
        if (this.replaying && d.state === 'pending' && this.carried.has(d.webhookId)) d.state = 'paused';
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
        if (p.state !== undefined) d.state = this.replaying && p.state === 'pending' && this.carried.has(d.webhookId) ? 'paused' : p.state;
        if (isSettled(d.state)) this.deleteLive(d.id);
        return;
      }
      case 'pause': {
        this.carried.add(record.w);
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
      case 'handed': {
        this.carried.delete(record.w);
        return;
      }
      case 'resume': {
        this.carried.delete(record.w);
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
    const data = Buffer.from(chunks.join(''), 'utf8');
    for (;;) {
      const journal = this.journal;
      if (!journal) throw new OutboxClosedError();
      try {
        if (this.journalDirty) {
          await journal.truncate(this.journalBytes);
          this.journalDirty = false;
        }
        await appendDurably(journal, data, this.sync);
        break;
      } catch (error) {
        // Never leave a partial record for the next batch to be glued to: cut back to the last good length.
        // (If even that fails, the framing still lets the reader skip the partial record.)
        await journal.truncate(this.journalBytes).then(
          () => (this.journalDirty = false),
          () => (this.journalDirty = true),
        );
        if (this.closing) throw error;
        this.reportProblem(error);
        await this.waitForRetry();
      }
    }
    this.journalBytes += data.length;
    this.writes++;
    if (this.problem) {
      this.logger('info', `Delivery outbox: saved again after ${this.problem.message}; nothing was lost`);
      this.problem = undefined;
      this.notifyProblem(undefined);
    }
    if (this.needCompaction || this.journalBytes > Math.max(this.compactMinBytes, this.snapshotBytes)) {
      try {
        await this.compact();
        this.needCompaction = false;
      } catch (error) {
        // The journal still holds everything: log and carry on, compaction is retried next batch.
        this.logger('error', `Delivery outbox compaction failed (will retry): ${String(error)}`);
      }
    }
  }

  private reportProblem(error: unknown): void {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    const first = this.problem === undefined;
    this.problem = {
      code: typeof code === 'string' ? code : undefined,
      message: error instanceof Error ? error.message : String(error),
      unsaved: this.unsavedChanges(),
      unsavedCallbacks: this.notDurable.size,
      pendingWrites: this.batcher.queued,
      since: this.problem?.since ?? this.now(),
    };
    if (first) {
      this.logger(
        'error',
        `Delivery outbox: could not save (${this.problem.message}); ${this.problem.unsavedCallbacks} callback(s) for ${this.problem.unsaved} status change(s) kept in memory, retrying every ${this.retryMs} ms`,
      );
    }
    const failure = new OutboxSaveError(this.problem);
    for (const reject of this.problemWaiters) reject(failure);
    this.problemWaiters.clear();
    this.notifyProblem(this.problem);
  }

  private unsavedChanges(): number {
    const changes = new Set<string>();
    for (const id of this.notDurable) {
      const d = this.live.get(id);
      changes.add(d ? `${d.udid}\u0000${d.seq}` : id);
    }
    return changes.size;
  }

  private notifyProblem(problem: SaveProblem | undefined): void {
    try {
      this.onSaveProblem?.(problem ? { ...problem } : undefined);
    } catch (error) {
      this.logger('error', `onSaveProblem listener failed: ${String(error)}`);
    }
  }

  private waitForRetry(): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = this.timers.setTimeout(() => done(), this.retryMs);
      const done = () => {
        this.timers.clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      this.wake = done;
    });
  }

  /**
   * Writes the unfinished deliveries as snapshot gen+1 and starts journal gen+1; older journals are
   * deleted only once the new snapshot is fsynced, read back whole, renamed into place and the rename
   * fsynced. A failure before the rename changes nothing (the current snapshot and journal stay in use);
   * after it, journal gen+1 is in use and the older journals stay until a later compaction.
   */
  private async compact(): Promise<void> {
    const fs = this.fs;
    const nextGen = this.gen + 1;
    const snapshotPath = join(this.dir, SNAPSHOT_FILE);
    const tmpPath = `${snapshotPath}.tmp`;
    const nextJournalPath = join(this.dir, journalFile(nextGen));
    const deliveries = [...this.live.values()].sort((a, b) => a.n - b.n);
    const header: SnapshotHeader = {
      kind: 'outbox-snapshot',
      version: OUTBOX_RECORD_VERSION,
      gen: nextGen,
      nextN: this.nextN,
      paused: this.carriedPauses(),
      failures: [...this.failureCounts],
      devices: [...this.devices.values()],
      secret: this.secret.toString('base64'),
      count: deliveries.length,
    };
    // The new journal first: a snapshot of gen G+1 must never be in place without its journal.
    let fresh: AppendHandle | undefined;
    let renamed = false;
    try {
      fresh = await fs.open(nextJournalPath, 'w', 0o600);
      const bytes = await writeSnapshotFile(fs, tmpPath, header, deliveries);
      await fs.rename(tmpPath, snapshotPath);
      renamed = true;
      // Snapshot nextGen is in place: from now on changes go to its journal, whatever happens next
      // (changes appended to an older journal would be ignored at the next open).
      const old = this.journal;
      this.journal = fresh;
      fresh = undefined;
      this.journalDirty = false;
      this.gen = nextGen;
      this.journalBytes = 0;
      this.snapshotBytes = bytes;
      this.compactions++;
      await old?.close().catch(() => undefined);
      // Only once the rename is durable may the old journals go (until then they replay over the old
      // snapshot, should the rename be lost in a power cut).
      await fsyncDir(this.dir, fs);
      await this.removeJournalsBelow(nextGen);
    } finally {
      if (fresh) {
        await fresh.close().catch(() => undefined);
        // Only while the old snapshot is still the one in place may its (empty) next journal go.
        if (!renamed) await fs.unlink(nextJournalPath).catch(() => undefined);
      }
      if (!renamed) await fs.unlink(tmpPath).catch(() => undefined);
    }
  }

  private async removeJournalsBelow(gen: number): Promise<void> {
    for (const name of await readdir(this.dir)) {
      const m = JOURNAL_PATTERN.exec(name);
      if (m && Number(m[1]) < gen) await this.fs.unlink(join(this.dir, name)).catch(() => undefined);
    }
  }

  /** Reads snapshot + journals into memory, then compacts into a fresh journal. Called once by openOutbox(). */
  async load(): Promise<OpenReport> {
    await this.fs.mkdir(this.dir);
    this.replaying = true;
    const report: OpenReport = { recovered: 0, tornTail: false, badLines: 0, unreadableRecords: 0 };
    const snapshotPath = join(this.dir, SNAPSHOT_FILE);
    await this.fs.unlink(`${snapshotPath}.tmp`).catch(() => undefined);

    const { header, fromGen, newest, maxJournalGen } = await readOutboxFiles(
      { dir: this.dir, fs: this.fs, now: this.now, logger: this.logger },
      {
        header: (h) => {
          this.nextN = Math.max(this.nextN, Number(h.nextN) || 1);
          for (const w of Array.isArray(h.paused) ? h.paused : []) if (typeof w === 'number') this.carried.add(w);
          for (const [w, n] of Array.isArray(h.failures) ? h.failures : []) this.apply({ t: 'fails', w, n });
          for (const d of Array.isArray(h.devices) ? h.devices : []) this.apply({ t: 'dev', d });
          if (typeof h.secret === 'string' && Buffer.from(h.secret, 'base64').length >= 16) this.secret = Buffer.from(h.secret, 'base64');
        },
        apply: (record) => this.apply(record),
      },
      report,
    );
    this.gen = Math.max(this.gen, maxJournalGen, fromGen, header && typeof header.gen === 'number' ? header.gen : 0);
    if (report.tornTail) this.logger('warn', 'Delivery outbox: the last journal record was cut off by a crash; it was never confirmed and is skipped');
    if (report.badLines > 0) this.logger('error', `Delivery outbox: ${report.badLines} unreadable journal record(s) skipped`);

    this.replaying = false;
    // Whatever was in flight when we stopped may or may not have arrived: send it again (at least once).
    // A delivery parked by an older version's pause is pending: its webhook's pause is carried (above).
    for (const d of this.live.values()) {
      if (d.state === 'in_flight' || d.state === 'paused') d.state = 'pending';
    }
    report.recovered = this.live.size;
    try {
      this.snapshotBytes = (await stat(snapshotPath)).size;
    } catch {
      this.snapshotBytes = 0;
    }
    try {
      await this.compact();
    } catch (error) {
      if (this.journal) {
        // The new snapshot is in place and its journal in use; only the folder fsync failed.
        this.logger('warn', `Delivery outbox: compaction at open incomplete (${String(error)}); the older journals are kept`);
      } else {
        // Disk full (or read-only) at open: open anyway, on the newest journal cut back to its last whole
        // record, and compact once a write succeeds again.
        await this.openWithoutCompaction(newest, error);
        report.openedWithoutCompaction = error instanceof Error ? error.message : String(error);
      }
    }
    this.openReport = report;
    if (report.recovered > 0) this.logger('info', `Delivery outbox: ${report.recovered} unfinished callback(s) to send`);
    return report;
  }

  private async openWithoutCompaction(newest: NewestJournal | undefined, cause: unknown): Promise<void> {
    const gen = newest && newest.gen >= this.gen ? newest.gen : this.gen;
    const path = newest && newest.gen === gen ? newest.path : join(this.dir, journalFile(gen));
    const handle = await this.fs.open(path, 'a', 0o600);
    let length = newest && newest.gen === gen ? newest.bytes : 0;
    if (newest && newest.gen === gen && newest.goodEnd < newest.bytes) {
      try {
        await handle.truncate(newest.goodEnd);
        length = newest.goodEnd;
      } catch {
        this.journalDirty = false; // the framing lets the reader skip the torn record
      }
    }
    this.journal = handle;
    this.journalBytes = length;
    this.gen = gen;
    this.needCompaction = true;
    this.logger('warn', `Delivery outbox opened without compacting (${String(cause)}); appending to ${path}`);
  }
}

export async function openOutbox(options: OutboxOptions): Promise<Outbox> {
  const outbox = new Outbox(options);
  await outbox.load();
  return outbox;
}
