// The delivery history: one record per attempt, in append-only segment files
//   history-000001.jsonl, history-000002.jsonl, …   (one AttemptRecord per line)
// bounded in total entries and in total bytes by dropping the oldest WHOLE segment, plus an in-memory
// index of the most recent attempts per webhook for the UI. Segments are read as streams, line by line.
// A response body whose JSON escaping would be larger than its base64 form (control bytes take six bytes
// each as \u00XX) is stored on disk as `"body":"<base64 of its UTF-8>","bodyEncoding":"base64"`, so a
// hostile receiver's answer takes about its wire size; readers decode it back (older records, without
// bodyEncoding, read as they are). Appends are batched like the outbox journal; by default
// without fdatasync (see HistoryOptions.durability): the outbox, not the history, is what guarantees
// that no callback is lost.
import { mkdir, open, readdir, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Listeners } from '../base/listeners';
import { WriteBatcher } from './batcher';
import { appendDurably, scanJsonLines } from './files';
import type { DeliveryAttempt, DeliveryErrorClass, DeliveryOutcome, DeliveryResult } from '../../preload/contract';
import { realTimers, silentLogger } from './types';
import type { Logger, QueuedEvent, Timers } from './types';

export type ErrorClass = DeliveryErrorClass;
/** What happened to the delivery after this attempt. `skipped`: nothing was sent (see errorLabel). */
export type AttemptOutcome = DeliveryOutcome;
export type AttemptResult = DeliveryResult;

export const RESPONSE_BODY_LIMIT = 16 * 1024;

/** One attempt as the history keeps it: the contract's DeliveryAttempt, with its event as it was queued. */
export interface AttemptRecord extends Omit<DeliveryAttempt, 'event'> {
  /** The event the callback announces; `at` is when the status changed (creationTime is when the try was sent). */
  event?: QueuedEvent;
}

export type NewAttemptRecord = Omit<AttemptRecord, 'id'>;

export interface HistoryQuery {
  webhookId: number;
  result?: AttemptResult;
  /** Default 50, at most 1000. */
  limit?: number;
  /** Only entries with id < before (paging: pass the last id of the previous page). */
  before?: number;
}

export interface HistoryOptions {
  dir: string;
  /** Total attempts kept on disk. Default 50,000. */
  maxEntries?: number;
  /** Total bytes of the segment files. Default 256 MiB. */
  maxBytes?: number;
  /** Attempts per segment file. Default maxEntries / 10. */
  segmentEntries?: number;
  /** Recent attempts per webhook kept in memory for the UI. Default 200. */
  indexPerWebhook?: number;
  batchWindowMs?: number;
  /** Default 'none' (written, not datasynced): survives the app being killed, maybe not a power cut. */
  durability?: 'datasync' | 'none';
  timers?: Timers;
  logger?: Logger;
}

const DEFAULT_HISTORY_BYTES = 256 * 1024 * 1024;

const SEGMENT_PATTERN = /^history-(\d{6,})\.jsonl$/;
function segmentFile(index: number): string {
  return `history-${String(index).padStart(6, '0')}.jsonl`;
}

interface Segment {
  index: number;
  count: number;
  bytes: number;
  /** smallest entry id in it */
  firstId: number;
}

interface WebhookIndex {
  /**
   * Oldest first. An attempt recorded by this process is kept as its disk line (one string, the one
   * written, instead of the record's objects: these entries outlive a storm's young generation), one
   * read back at open as its record.
   */
  entries: (AttemptRecord | string)[];
  /** true when older entries of this webhook exist on disk but not here */
  partial: boolean;
}

export class DeliveryHistory {
  private segments: Segment[] = [];
  private handle: FileHandle | undefined;
  private nextId = 1;
  private total = 0;
  private totalBytes = 0;
  private closed = false;
  private readonly index = new Map<number, WebhookIndex>();
  private readonly listeners: Listeners<AttemptRecord>;
  private readonly batcher: WriteBatcher;
  private readonly maxEntries: number;
  private readonly segmentEntries: number;
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly indexPerWebhook: number;
  private readonly sync: boolean;
  private readonly logger: Logger;
  readonly dir: string;

  constructor(options: HistoryOptions) {
    this.dir = options.dir;
    this.maxEntries = Math.max(1, options.maxEntries ?? 50_000);
    this.segmentEntries = Math.max(1, Math.min(options.segmentEntries ?? Math.ceil(this.maxEntries / 10), this.maxEntries));
    this.maxBytes = Math.max(4096, options.maxBytes ?? DEFAULT_HISTORY_BYTES);
    this.segmentBytes = Math.ceil(this.maxBytes / 10);
    this.indexPerWebhook = Math.max(1, options.indexPerWebhook ?? 200);
    this.sync = options.durability === 'datasync';
    this.logger = options.logger ?? silentLogger;
    this.listeners = new Listeners((error) => this.logger('error', `onAttempt listener failed: ${String(error)}`));
    this.batcher = new WriteBatcher({
      windowMs: options.batchWindowMs ?? 25,
      timers: options.timers ?? realTimers,
      write: (chunks) => this.writeBatch(chunks),
    });
  }

  /** Entries on disk (after pending writes land). */
  get size(): number {
    return this.total + this.batcher.queued;
  }

  /** Records an attempt; listeners hear it at once, the promise resolves when it is written. */
  append(entry: NewAttemptRecord): { record: AttemptRecord; written: Promise<void> } {
    const record: AttemptRecord = { id: this.nextId++, ...entry };
    if (this.closed) return { record, written: Promise.resolve() };
    const line = toDiskLine(record);
    this.remember(record.webhookId, line);
    this.queuedIds.push(record.id);
    const written = this.batcher.push(`${line}\n`).catch((error: unknown) => {
      this.logger('error', `Delivery history write failed: ${String(error)}`);
    });
    this.listeners.emit(record);
    return { record, written };
  }

  onAttempt(listener: (record: AttemptRecord) => void): () => void {
    return this.listeners.add(listener);
  }

  /** Newest first. Served from memory when it can be; reads the segments otherwise. */
  async query({ webhookId, result, limit = 50, before }: HistoryQuery): Promise<AttemptRecord[]> {
    const max = Math.max(1, Math.min(1000, Math.floor(limit)));
    const keep = (r: AttemptRecord): boolean =>
      r.webhookId === webhookId && (result === undefined || r.result === result) && (before === undefined || r.id < before) && r.id >= this.oldestId();
    const idx = this.index.get(webhookId);
    const fromMemory: AttemptRecord[] = [];
    if (idx) {
      for (let i = idx.entries.length - 1; i >= 0 && fromMemory.length < max; i--) {
        const r = entryRecord(idx.entries[i] as AttemptRecord | string);
        if (keep(r)) fromMemory.push(r);
      }
    }
    if (fromMemory.length >= max || !idx || !idx.partial) return fromMemory;
    return this.scan(keep, max);
  }

  /** The latest attempt of one delivery (for redelivery), or undefined when it is no longer kept. */
  async findByDelivery(deliveryId: string): Promise<AttemptRecord | undefined> {
    for (const idx of this.index.values()) {
      for (let i = idx.entries.length - 1; i >= 0; i--) {
        const entry = idx.entries[i] as AttemptRecord | string;
        if (typeof entry === 'string' && !entry.includes(deliveryId)) continue;
        const r = entryRecord(entry);
        if (r.deliveryId === deliveryId) return r;
      }
    }
    const found = await this.scan((r) => r.deliveryId === deliveryId, 1);
    return found[0];
  }

  flush(): Promise<void> {
    return this.batcher.flush();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.batcher.flush();
    this.closed = true;
    await this.handle?.close();
    this.handle = undefined;
  }

  /** Every webhook id with an attempt in the history (so that ids are never handed out again). */
  webhookIds(): number[] {
    return [...this.index.keys()].sort((a, b) => a - b);
  }

  /** Segment files currently on disk, oldest first (for tests and diagnostics). */
  segmentFiles(): string[] {
    return this.segments.map((s) => segmentFile(s.index));
  }

  // ---- internals -------------------------------------------------------------------------------

  private oldestId(): number {
    return this.segments[0]?.firstId ?? 0;
  }

  private remember(webhookId: number, entry: AttemptRecord | string): void {
    let idx = this.index.get(webhookId);
    if (!idx) {
      idx = { entries: [], partial: false };
      this.index.set(webhookId, idx);
    }
    idx.entries.push(entry);
    if (idx.entries.length > this.indexPerWebhook * 2) {
      // Trim in chunks so a push is O(1) amortized.
      idx.entries.splice(0, idx.entries.length - this.indexPerWebhook);
      idx.partial = true;
    }
  }

  /** Newest first over the segments on disk (after flushing), stopping at `max` matches. */
  private async scan(keep: (r: AttemptRecord) => boolean, max: number): Promise<AttemptRecord[]> {
    await this.batcher.flush();
    const out: AttemptRecord[] = [];
    for (let s = this.segments.length - 1; s >= 0 && out.length < max; s--) {
      const seg = this.segments[s] as Segment;
      // One segment's matches (a segment is bounded, in bytes too), newest first.
      const matches: AttemptRecord[] = [];
      await scanJsonLines<AttemptRecord>(join(this.dir, segmentFile(seg.index)), (r) => {
        const record = fromDisk(r);
        if (keep(record)) matches.push(record);
      });
      for (let i = matches.length - 1; i >= 0 && out.length < max; i--) out.push(matches[i] as AttemptRecord);
    }
    return out;
  }

  private async writeBatch(chunks: string[]): Promise<void> {
    let pending = '';
    const writePending = async (): Promise<void> => {
      if (pending && this.handle) await appendDurably(this.handle, pending, this.sync);
      pending = '';
    };
    for (const chunk of chunks) {
      const id = this.queuedIds.shift() ?? this.lastWrittenId + 1;
      const bytes = Buffer.byteLength(chunk);
      let current = this.segments[this.segments.length - 1];
      if (!current || current.count >= this.segmentEntries || (current.count > 0 && current.bytes + bytes > this.segmentBytes)) {
        await writePending();
        current = { index: (current?.index ?? 0) + 1, count: 0, bytes: 0, firstId: id };
        this.segments.push(current);
        await this.openSegment(current);
      } else if (!this.handle) {
        await this.openSegment(current);
      }
      // Keep the total within the bound: drop the oldest whole segments (never the one being written).
      while ((this.total >= this.maxEntries || this.totalBytes + bytes > this.maxBytes) && this.segments.length > 1) await this.dropOldest();
      pending += chunk;
      current.count++;
      current.bytes += bytes;
      this.total++;
      this.totalBytes += bytes;
      this.lastWrittenId = id;
    }
    await writePending();
  }

  private async openSegment(seg: Segment): Promise<void> {
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
    this.handle = await open(join(this.dir, segmentFile(seg.index)), 'a', 0o600);
  }

  private lastWrittenId = 0;
  private readonly queuedIds: number[] = [];

  private async dropOldest(): Promise<void> {
    const oldest = this.segments.shift();
    if (!oldest) return;
    this.total -= oldest.count;
    this.totalBytes -= oldest.bytes;
    await unlink(join(this.dir, segmentFile(oldest.index))).catch((error: unknown) => {
      this.logger('warn', `Could not delete old history segment ${segmentFile(oldest.index)}: ${String(error)}`);
    });
  }

  async load(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const names = (await readdir(this.dir))
      .map((name) => SEGMENT_PATTERN.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    let torn = false;
    for (const index of names) {
      let count = 0;
      let firstId: number | undefined;
      const scan = await scanJsonLines<AttemptRecord>(join(this.dir, segmentFile(index)), (r) => {
        count++;
        if (typeof r?.id !== 'number' || typeof r.webhookId !== 'number') return;
        firstId ??= r.id;
        const record = fromDisk(r);
        this.remember(record.webhookId, record);
        this.lastWrittenId = Math.max(this.lastWrittenId, r.id);
      });
      if (scan.tornTail) torn = true;
      const seg: Segment = { index, count, bytes: scan.bytes, firstId: firstId ?? this.lastWrittenId + 1 };
      this.segments.push(seg);
      this.total += count;
      this.totalBytes += scan.bytes;
    }
    this.nextId = this.lastWrittenId + 1;
    if (torn) {
      // Never append after a cut-off line: the next entry starts a fresh segment.
      const last = this.segments[this.segments.length - 1];
      if (last) last.count = this.segmentEntries;
      this.logger('warn', 'Delivery history: a line cut off by a crash was skipped');
    }
    // Shrink to the bounds if they were lowered since the last run.
    while ((this.total > this.maxEntries || this.totalBytes > this.maxBytes) && this.segments.length > 1) await this.dropOldest();
  }
}

/** The line written for a record: its response body base64-encoded when JSON escaping would blow it up. */
function toDiskLine(record: AttemptRecord): string {
  const body = record.response?.body;
  if (record.response && body) {
    const escaped = JSON.stringify(body).length - 2;
    const utf8 = Buffer.byteLength(body, 'utf8');
    // base64 costs 4/3 of the UTF-8 bytes; plain JSON costs the escaped length (in UTF-16 units, a close
    // enough stand-in for bytes here). Take base64 only where it is clearly smaller.
    if (escaped > utf8 * 1.5) {
      return JSON.stringify({ ...record, response: { ...record.response, body: Buffer.from(body, 'utf8').toString('base64'), bodyEncoding: 'base64' } });
    }
  }
  return JSON.stringify(record);
}

/** An index entry as its record (a disk line is parsed: a fresh object each time). */
function entryRecord(entry: AttemptRecord | string): AttemptRecord {
  return typeof entry === 'string' ? fromDisk(JSON.parse(entry) as AttemptRecord) : entry;
}

/** A record as read from disk, with a base64-stored response body decoded back. */
function fromDisk(record: AttemptRecord): AttemptRecord {
  const response = record.response as (AttemptRecord['response'] & { bodyEncoding?: string }) | undefined;
  if (response?.bodyEncoding !== 'base64') return record;
  const { bodyEncoding: _encoding, ...rest } = response;
  return { ...record, response: { ...rest, body: Buffer.from(rest.body, 'base64').toString('utf8') } };
}

export async function openHistory(options: HistoryOptions): Promise<DeliveryHistory> {
  const history = new DeliveryHistory(options);
  await history.load();
  return history;
}
