// The real tracker → dispatcher → outbox → HTTP path, composed the way the composition root does it,
// without Electron: DeviceTracker events become DeliveryEvents for the Dispatcher, which queues them
// in the durable Outbox, sends them with the axios client and records each attempt in the history.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DeviceTracker } from '../../main/devices/tracker';
import type { DebounceMs, DeviceEvent, SavedDeviceState } from '../../main/devices/tracker';
import { systemClock } from '../../main/devices/types';
import type { Observation, SourceSnapshot } from '../../main/devices/types';
import { createAxiosClient, createDispatcher, openHistory, openOutbox } from '../../main/delivery/index';
import { openWebhookStore } from '../../main/webhooks/store';
import type {
  AttemptOutcome,
  DeliveryWebhook,
  Dispatcher,
  DispatchResult,
  DeliveryHistory,
  HttpClient,
  HttpRequest,
  HttpResponse,
  Outbox,
  OutboxOptions,
} from '../../main/delivery/index';
import { createStockAxiosClient } from './clients';
import { sharedNow } from './protocol';

export const VERSION = 'bench';

export interface BenchDevice {
  udid: string;
  name: string;
  usbPath: string;
}

export function benchDevices(prefix: string, n: number): BenchDevice[] {
  return Array.from({ length: n }, (_, i) => ({
    udid: `${prefix}${String(i).padStart(5, '0')}`,
    name: `Bench phone ${i}`,
    usbPath: `${1 + Math.floor(i / 100)}-${1 + (i % 100)}`,
  }));
}

/** The devices as the last run saved them: all Online, so a first snapshot listing them fires nothing. */
export function savedOnline(devices: readonly BenchDevice[], at: number): SavedDeviceState[] {
  return devices.map((d) => ({
    udid: d.udid,
    name: d.name,
    nameSource: 'device',
    platform: 'android',
    connection: 'usb',
    usbPath: d.usbPath,
    status: 'Online',
    since: at,
    seq: 0,
  }));
}

/** An adb whole-list snapshot; `usable(i)` false makes device i `offline`. */
export function adbSnapshot(devices: readonly BenchDevice[], usable: (i: number) => boolean): SourceSnapshot {
  return {
    source: 'adb',
    devices: devices.map((d, i): Observation => {
      const ok = usable(i);
      return { source: 'adb', udid: d.udid, platform: 'android', connection: 'usb', usable: ok, rawState: ok ? 'device' : 'offline', name: d.name, usbPath: d.usbPath };
    }),
  };
}

/**
 * The app's own webhook store (main/webhooks/store.ts, secrets sealed with plainBox as without an OS
 * keyring) in `dir`, holding `count` webhooks to one receiver with every event on, created through
 * the same validation as the console's form; signed (Standard Webhooks secret) when `signed`.
 * `list` is what the composition root (main/services/core.ts) gives the dispatcher: store.deliveryWebhooks(),
 * read for every event and before every attempt.
 */
export interface BenchWebhooks {
  list: () => DeliveryWebhook[];
  /** webhookId → secret, for the receiver's signature check */
  secrets: Record<string, string>;
  close(): Promise<void>;
}

export async function benchWebhooks(dir: string, baseUrl: string, count: number, signed: boolean): Promise<BenchWebhooks> {
  const problems: string[] = [];
  const { store } = await openWebhookStore({
    dataDir: dir,
    logger: (level, message) => {
      if (level === 'warn' || level === 'error') problems.push(message);
    },
  });
  for (let i = 1; i <= count; i++) {
    const created = await store.create({
      name: `Bench hook ${i}`,
      url: `${baseUrl}/hooks/${i}`,
      events: { online: true, offline: true, utilizing: true, unplugged: true },
      signing: signed,
    });
    if (!created.ok) throw new Error(`could not create webhook ${i}: ${JSON.stringify(created)}`);
  }
  const list = (): DeliveryWebhook[] => store.deliveryWebhooks();
  const all = list();
  if (all.length !== count || problems.length > 0) throw new Error(`webhook store: ${all.length} of ${count} webhooks usable ${problems.join('; ')}`);
  const secrets: Record<string, string> = {};
  for (const w of all) if (w.secret !== undefined) secrets[String(w.id)] = w.secret;
  return { list, secrets, close: () => store.close() };
}

/** Lets a phase swap the HTTP client between storms (the dispatcher is idle then). One extra call per request. */
export class SwitchableClient implements HttpClient {
  constructor(public current: HttpClient) {}
  send(request: HttpRequest): Promise<HttpResponse> {
    return this.current.send(request);
  }
}

export interface PipelineOptions {
  dir: string;
  devices: readonly BenchDevice[];
  /** Read for every event and before every attempt, as the app does. */
  webhooks: () => readonly DeliveryWebhook[];
  debounceMs?: Partial<DebounceMs>;
  outbox?: Partial<Omit<OutboxOptions, 'dir'>>;
  /** Default: createAxiosClient() with its defaults, as the app uses it. */
  http?: HttpClient;
  /** Start with the devices restored as Online from a previous run (default true); false: a fresh install. */
  restoreOnline?: boolean;
}

export interface Pipeline {
  tracker: DeviceTracker;
  dispatcher: Dispatcher;
  outbox: Outbox;
  history: DeliveryHistory;
  http: HttpClient;
  /** udid → shared-clock time of the device's last committed event (taken in the tracker's onEvent) */
  commits: Map<string, number>;
  /** dispatch() promises not yet collected */
  dispatches: Promise<DispatchResult>[];
  outcomes: Map<AttemptOutcome, number>;
  events: number;
  /** warn/error log lines from the delivery layer or the tracker (none expected) */
  problems: string[];
  /** Waits for every dispatch() so far, then for the dispatcher to be idle and on disk. */
  settle(): Promise<{ deliveries: number; refused: number }>;
  close(): Promise<void>;
}

export async function openPipeline(options: PipelineOptions): Promise<Pipeline> {
  await mkdir(options.dir, { recursive: true });
  const problems: string[] = [];
  const logger = (level: string, message: string): void => {
    // A storm flips each device more than 6 times in 10 minutes: flapping by the rule, expected here.
    if (message.startsWith('device is flapping')) return;
    if (level === 'warn' || level === 'error') problems.push(`${level}: ${message}`);
  };
  const outbox = await openOutbox({ dir: join(options.dir, 'outbox'), logger, ...options.outbox });
  const history = await openHistory({ dir: join(options.dir, 'history'), logger });
  const ownClient = options.http === undefined;
  // BENCH_CLIENT=stock (investigation): the phases that use the app's client use stock axios instead.
  const http = options.http ?? (process.env['BENCH_CLIENT'] === 'stock' ? createStockAxiosClient() : createAxiosClient());
  const dispatcher = createDispatcher({
    outbox,
    history,
    http,
    listWebhooks: options.webhooks,
    disableWebhook: (id, reason) => void problems.push(`webhook ${id} disabled: ${reason}`),
    pauseWebhook: (id) => void problems.push(`webhook ${id} paused`),
    version: VERSION,
    logger,
  });
  const tracker = new DeviceTracker({
    clock: systemClock,
    logger: (level, message) => logger(level, message),
    previous: options.restoreOnline === false ? [] : savedOnline(options.devices, systemClock.now()),
    sources: ['adb'],
    debounceMs: options.debounceMs,
  });

  const pipeline: Pipeline = {
    tracker,
    dispatcher,
    outbox,
    history,
    http,
    commits: new Map(),
    dispatches: [],
    outcomes: new Map(),
    events: 0,
    problems,
    async settle() {
      let deliveries = 0;
      let refused = 0;
      while (pipeline.dispatches.length > 0) {
        const batch = pipeline.dispatches.splice(0);
        for (const r of await Promise.all(batch)) {
          deliveries += r.deliveries.length;
          refused += r.refused.length;
          for (const x of r.refused) problems.push(`refused for webhook ${x.webhookId}: ${x.error.message}`);
        }
      }
      await dispatcher.flush();
      return { deliveries, refused };
    },
    async close() {
      tracker.dispose();
      await dispatcher.stop({ timeoutMs: 5_000 });
      await outbox.close();
      await history.close();
      if (ownClient) http.close?.();
    },
  };

  // The composition root's wiring: a committed transition goes to the dispatcher as it is.
  tracker.onEvent((event: DeviceEvent) => {
    pipeline.commits.set(event.udid, sharedNow());
    pipeline.events++;
    pipeline.dispatches.push(dispatcher.dispatch({ udid: event.udid, name: event.name, platform: event.platform, to: event.to, at: event.at, seq: event.seq }));
  });
  dispatcher.onAttempt((record) => pipeline.outcomes.set(record.outcome, (pipeline.outcomes.get(record.outcome) ?? 0) + 1));
  return pipeline;
}
