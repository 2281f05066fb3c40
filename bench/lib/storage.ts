// Phase 3, storage: what one delivery costs the disk layer, with an empty history and with 50,000 past
// deliveries behind it. Per event, exactly the storage calls the dispatcher makes for a delivery that
// succeeds at once: outbox.enqueue (journal line), outbox.startAttempt (in memory), outbox.update
// succeeded with the attempt count (journal line), history.append (the attempt with request and response). Events go in chunks of 100 (about what is
// in flight in a storm), each chunk written out (outbox.flush + history.flush, i.e. write + fdatasync
// of the outbox journal with the app's defaults) before the next. 10,000 events per measurement: two
// history segments, so the full store's segment rotation (dropping the oldest file) is in the figure.
// Cost = process CPU time (all threads, so the fs thread pool's work counts) per event; wall time is
// reported too. The "full" store is made by pushing 50,000 deliveries through the same calls, then
// closing and reopening it (as at the next launch; the reopen time is reported).
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { cryptoRandom, generateSecret, openHistory, openOutbox, randomId, signatureHeaders } from '../../main/delivery/index';
import type { DeliveryHistory, NewAttemptRecord, Outbox } from '../../main/delivery/index';
import { median } from './stats';

export interface StorageRun {
  history: 'empty' | 'full';
  historyEntriesBefore: number;
  events: number;
  cpuUsPerEvent: number;
  wallUsPerEvent: number;
}

export interface StorageResult {
  pastDeliveries: number;
  eventsPerRun: number;
  runs: StorageRun[];
  /** medians */
  empty: { cpuUsPerEvent: number; wallUsPerEvent: number };
  full: { cpuUsPerEvent: number; wallUsPerEvent: number };
  /** full / empty, CPU per event (the figure compared with the 1.5 target) */
  ratio: number;
  wallRatio: number;
  prefillMs: number;
  reopenMs: number;
  fullDiskBytes: number;
  problems: string[];
}

const CHUNK = 100;
const SECRET = generateSecret();

interface Store {
  outbox: Outbox;
  history: DeliveryHistory;
}

async function openStore(dir: string, problems: string[]): Promise<Store> {
  const logger = (level: string, message: string): void => {
    if (level === 'warn' || level === 'error') problems.push(`${level}: ${message}`);
  };
  return { outbox: await openOutbox({ dir: join(dir, 'outbox'), logger }), history: await openHistory({ dir: join(dir, 'history'), logger }) };
}

async function closeStore(s: Store): Promise<void> {
  await s.outbox.close();
  await s.history.close();
}

let seq = 0;

/** The storage calls of `n` deliveries. */
async function deliveries(s: Store, n: number): Promise<void> {
  for (let done = 0; done < n; done += CHUNK) {
    const count = Math.min(CHUNK, n - done);
    const enqueued: Promise<unknown>[] = [];
    for (let i = 0; i < count; i++) {
      const k = seq++;
      const at = Date.now();
      const udid = `STORE${String(k % 1000).padStart(5, '0')}`;
      const webhookId = 1 + (k % 10);
      const body = `{"creationTime":"${new Date(at).toISOString()}","eventType":"DEVICE","eventActivity":"device.status.offline","eventDescription":"Offline","deviceUdid":"${udid}","deviceName":"Bench phone ${k % 1000}","orgId":1,"webhookId":${webhookId},"webhookName":"Bench hook ${webhookId}"}`;
      // Ids made here as the dispatcher makes them (it passes its own `dlv_` id too).
      const d = { id: randomId('dlv', cryptoRandom), messageId: randomId('msg', cryptoRandom) };
      enqueued.push(s.outbox.enqueue({ webhookId, udid, seq: k, body, createdAt: at, ...d }));
      s.outbox.startAttempt(d.id, 1, at);
      void s.outbox.update(d.id, { state: 'succeeded', attempts: 1, updatedAt: at + 1 });
      const headers = {
        'Content-Type': 'application/json',
        'User-Agent': 'DeviceHooks/bench',
        ...signatureHeaders({ id: d.messageId, timestamp: Math.floor(at / 1000), body, secret: SECRET }),
      };
      const record: NewAttemptRecord = {
        deliveryId: d.id,
        messageId: d.messageId,
        webhookId,
        udid,
        seq: k,
        attempt: 1,
        at,
        latencyMs: 2,
        result: 'success',
        outcome: 'succeeded',
        request: { method: 'POST', url: `http://127.0.0.1:40000/hooks/${webhookId}`, headers, body },
        response: { status: 200, headers: { 'content-type': 'application/json', 'content-length': '11', connection: 'keep-alive' }, body: '{"ok":true}', truncated: false },
      };
      s.history.append(record);
    }
    // Written now rather than after the batch window: the window is latency, not cost.
    await Promise.all([s.outbox.flush(), s.history.flush(), ...enqueued]);
  }
}

async function measure(s: Store, which: 'empty' | 'full', events: number): Promise<StorageRun> {
  const historyEntriesBefore = s.history.size;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await deliveries(s, events);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  return { history: which, historyEntriesBefore, events, cpuUsPerEvent: (cpu.user + cpu.system) / events, wallUsPerEvent: (wall * 1000) / events };
}

async function diskBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

export async function runStorage(options: { dir: string; pastDeliveries?: number; eventsPerRun?: number; rounds?: number }): Promise<StorageResult> {
  const past = options.pastDeliveries ?? 50_000;
  const eventsPerRun = options.eventsPerRun ?? 10_000;
  const rounds = options.rounds ?? 3;
  const problems: string[] = [];
  const base = join(options.dir, 'storage');
  await mkdir(base, { recursive: true });

  // The full store: 50,000 past deliveries, then reopened as at the next launch.
  const fullDir = join(base, 'full');
  let t = performance.now();
  let full = await openStore(fullDir, problems);
  await deliveries(full, past);
  await closeStore(full);
  const prefillMs = performance.now() - t;
  t = performance.now();
  full = await openStore(fullDir, problems);
  const reopenMs = performance.now() - t;
  const fullDiskBytes = await diskBytes(fullDir);
  if (full.history.size < Math.min(past, 50_000)) problems.push(`full history holds ${full.history.size} entries, expected ${past}`);

  const runs: StorageRun[] = [];
  try {
    // Warm-up (JIT) on a throwaway store, then alternate: empty (a fresh store each time), full.
    const warm = await openStore(join(base, 'warmup'), problems);
    await deliveries(warm, eventsPerRun);
    await closeStore(warm);
    for (let r = 0; r < rounds; r++) {
      const emptyDir = join(base, `empty-${r}`);
      const empty = await openStore(emptyDir, problems);
      runs.push(await measure(empty, 'empty', eventsPerRun));
      await closeStore(empty);
      await rm(emptyDir, { recursive: true, force: true });
      runs.push(await measure(full, 'full', eventsPerRun));
    }
  } finally {
    await closeStore(full);
  }
  const pick = (which: 'empty' | 'full') => {
    const rs = runs.filter((r) => r.history === which);
    return { cpuUsPerEvent: median(rs.map((r) => r.cpuUsPerEvent)), wallUsPerEvent: median(rs.map((r) => r.wallUsPerEvent)) };
  };
  const empty = pick('empty');
  const fullCost = pick('full');
  return {
    pastDeliveries: past,
    eventsPerRun,
    runs,
    empty,
    full: fullCost,
    ratio: fullCost.cpuUsPerEvent / empty.cpuUsPerEvent,
    wallRatio: fullCost.wallUsPerEvent / empty.wallUsPerEvent,
    prefillMs,
    reopenMs,
    fullDiskBytes,
    problems,
  };
}
