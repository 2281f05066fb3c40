// Shared pieces for the delivery tests: their clock, temp folders, a one-line dispatcher rig.
import http from 'node:http';
import { cp } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { onTestFinished, vi } from 'vitest';
import { createDispatcher } from '../../main/delivery/dispatcher';
import type { Dispatcher, DispatcherOptions } from '../../main/delivery/dispatcher';
import { openHistory } from '../../main/delivery/history';
import type { AttemptRecord, DeliveryHistory, HistoryOptions, NewAttemptRecord } from '../../main/delivery/history';
import { createAxiosClient } from '../../main/delivery/http';
import { openOutbox } from '../../main/delivery/outbox';
import type { Outbox, OutboxOptions } from '../../main/delivery/outbox';
import { startReceiver } from '../../main/delivery/receiver';
import type { Receiver, ReceiverOptions } from '../../main/delivery/receiver';
import type { DeliveryEvent, DeliveryWebhook, LogLevel, RandomSource } from '../../main/delivery/types';
import { randomBytes } from 'node:crypto';
import { FakeClock } from './fakeClock';
import { makeTempDir } from './tmp';

/** The delivery tests' clock: the one FakeClock (./fakeClock.ts), starting at the time their fixtures use. */
export class ManualClock extends FakeClock {
  constructor(start = Date.UTC(2026, 10, 27, 10, 15, 0, 123)) {
    super(start);
  }
}

/** A fresh folder, removed when the test finishes. */
export function tempDir(): Promise<string> {
  return makeTempDir('dh-delivery-');
}

/**
 * A copy of an outbox folder written by record version 2 (test/delivery/fixtures/outbox-v2-paused/, made by that
 * version's code): webhook 7 paused only in the journal, or (snapshot) in the snapshot header too.
 */
export async function v2Folder(which: 'journal' | 'snapshot'): Promise<string> {
  const dir = await tempDir();
  await cp(fileURLToPath(new URL(`../delivery/fixtures/outbox-v2-paused/${which}`, import.meta.url)), dir, { recursive: true });
  return dir;
}

/** float() from a fixed list (cycled), bytes() really random (ids must stay unique). */
export function fixedRandom(...floats: number[]): RandomSource {
  let i = 0;
  return { float: () => floats[i++ % floats.length] as number, bytes: (n) => randomBytes(n) };
}

export function webhook(over: Partial<DeliveryWebhook> & { url: string }): DeliveryWebhook {
  return { id: 1, orgId: 42, name: 'Lab hook', events: { online: true, offline: true, utilizing: true, unplugged: true }, ...over };
}

let seqCounter = 0;
export function event(over: Partial<DeliveryEvent> = {}): DeliveryEvent {
  return { udid: 'R58M123ABC', name: 'Galaxy Note 8', platform: 'android', to: 'Online', at: Date.UTC(2026, 10, 27, 10, 15, 0, 123), seq: ++seqCounter, ...over };
}

export interface Log {
  lines: { level: LogLevel; message: string }[];
  logger: (level: LogLevel, message: string) => void;
}
export function memoryLog(): Log {
  const lines: Log['lines'] = [];
  return { lines, logger: (level, message) => lines.push({ level, message }) };
}

export async function receiver(options: ReceiverOptions = {}): Promise<Receiver> {
  const r = await startReceiver(options);
  onTestFinished(() => r.close());
  return r;
}

export interface Rig {
  dir: string;
  outbox: Outbox;
  history: DeliveryHistory;
  dispatcher: Dispatcher;
  webhooks: DeliveryWebhook[];
  disabled: { id: number; reason: string }[];
  paused: number[];
  /** What the webhook store's setPaused does for the dispatcher: the list changes, then it is told (refresh). */
  setPaused(id: number, paused: boolean): Promise<void>;
  attempts: AttemptRecord[];
  log: Log;
  /** Resolves when `count` attempts in total have been recorded. */
  attemptsReach(count: number): Promise<AttemptRecord[]>;
}

export interface RigOptions {
  webhooks: DeliveryWebhook[];
  dir?: string;
  outbox?: Partial<OutboxOptions>;
  history?: Partial<HistoryOptions>;
  dispatcher?: Partial<DispatcherOptions>;
}

/** Outbox + history + real axios client + dispatcher, all closed when the test ends. */
export async function rig(options: RigOptions): Promise<Rig> {
  const dir = options.dir ?? (await tempDir());
  const log = memoryLog();
  const outbox = await openOutbox({ dir, batchWindowMs: 2, logger: log.logger, ...options.outbox });
  const history = await openHistory({ dir, batchWindowMs: 2, logger: log.logger, ...options.history });
  const http = createAxiosClient();
  const webhooks = options.webhooks;
  const disabled: Rig['disabled'] = [];
  const paused: number[] = [];
  const dispatcher = createDispatcher({
    outbox,
    history,
    http,
    listWebhooks: () => webhooks,
    disableWebhook: (id, reason) => {
      disabled.push({ id, reason });
      const w = webhooks.find((x) => x.id === id);
      if (w) w.enabled = false;
    },
    // Like the webhook store: the pause is in the list once this resolves.
    pauseWebhook: (id) => {
      paused.push(id);
      const w = webhooks.find((x) => x.id === id);
      if (w) w.paused = true;
    },
    version: '9.9.9-test',
    logger: log.logger,
    ...options.dispatcher,
  });
  const attempts: AttemptRecord[] = [];
  dispatcher.onAttempt((a) => attempts.push(a));
  onTestFinished(async () => {
    await dispatcher.stop({ timeoutMs: 0 });
    http.close();
    await outbox.close();
    await history.close();
  });
  return {
    dir,
    outbox,
    history,
    dispatcher,
    webhooks,
    disabled,
    paused,
    setPaused: async (id, on) => {
      const w = webhooks.find((x) => x.id === id);
      if (w) w.paused = on;
      await dispatcher.refresh();
    },
    attempts,
    log,
    attemptsReach: async (count) => {
      await vi.waitFor(() => {
        if (attempts.length < count) throw new Error(`${attempts.length}/${count} attempts`);
      }, { timeout: 10_000, interval: 5 });
      return attempts;
    },
  };
}

/** POSTs `body` to `url` (headers may override Host); answers the status and the text of the reply. */
export function post(url: string, body: string, headers: Record<string, string> = {}, agent?: http.Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A successful first try of delivery `dlv_<i>` (webhook 1, device `dev`), as the dispatcher records it; `over` changes any field. */
export function attemptRecord(i: number, over: Partial<NewAttemptRecord> = {}): NewAttemptRecord {
  return {
    deliveryId: `dlv_${i}`,
    messageId: `msg_${i}`,
    webhookId: 1,
    udid: 'dev',
    seq: i,
    attempt: 1,
    at: 1_000 + i,
    latencyMs: 3,
    result: 'success',
    outcome: 'succeeded',
    request: { method: 'POST', url: 'http://127.0.0.1/x', headers: {}, body: `{"i":${i}}` },
    ...over,
  };
}
