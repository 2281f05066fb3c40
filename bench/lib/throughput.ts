// Phase 2, throughput (and phase 5, memory, right after it): 1,000 tracked devices × 10 signed webhooks.
// A storm is one adb snapshot in which all 1,000 devices change (Online ↔ Offline): 1,000 committed
// events, 10,000 deliveries. Debounce is 0 here so the storm starts at the snapshot (the debounce
// only delays commits; latency is measured with the default debounce).
// Arms, alternated within each round (a warm-up round first, not counted):
//   deviceHooks      the real path: tracker → dispatcher (match, serialize, outbox on disk, sign,
//                    the app's axios client on its lean transport, history) → receiver; timed from the
//                    snapshot to dispatcher.flush()
//   bareAxios        stock axios alone (its own http adapter, the request config the app used before it
//                    had its own transport: createStockAxiosClient), the same bodies, the same
//                    concurrency (10 webhooks × 8 per webhook = 80 in flight over 16 keep-alive
//                    sockets), nothing else
//   bareHttp         node:http with a keep-alive agent of 16 sockets, same bodies, same concurrency
//   deviceHooksNodeHttp  the real path again with an HttpClient over node:http instead of axios
//                    (what another client would gain)
//   deviceHooksNoHttp    the real path with a stub HttpClient that answers 200 at once, no network:
//                    DeviceHooks' own cost per delivery (its ceiling on this machine)
import http from 'node:http';
import { join } from 'node:path';
import { buildPayload, createAxiosClient, serializePayload } from '../../main/delivery/index';
import type { DeliveryWebhook, HttpClient, OutboxOptions, Status } from '../../main/delivery/index';
import { bareAxiosLoop, bareHttpLoop, createNodeHttpClient, createStockAxiosClient } from './clients';
import type { Post } from './clients';
import { SwitchableClient, VERSION, adbSnapshot, benchDevices, benchWebhooks, openPipeline } from './pipeline';
import type { BenchDevice } from './pipeline';
import type { ReceiverProcess } from './receiverClient';
import { median } from './stats';

export type Arm = 'deviceHooks' | 'bareAxios' | 'bareHttp' | 'deviceHooksNodeHttp' | 'deviceHooksNoHttp';
export const ARMS: readonly Arm[] = ['deviceHooks', 'bareAxios', 'bareHttp', 'deviceHooksNodeHttp', 'deviceHooksNoHttp'];

export interface ArmRun {
  arm: Arm;
  round: number;
  warmup: boolean;
  deliveries: number;
  ms: number;
  perSec: number;
  received: number;
  lost: number;
  duplicates: number;
  /** this process's CPU (all threads) per delivery, µs */
  cpuUsPerDelivery: number;
  /** the receiver process's CPU per delivery, µs */
  receiverCpuUsPerDelivery: number;
  /** sampled every 50 ms during the run */
  peakHeapUsedMb: number;
  peakRssMb: number;
}

export interface ThroughputResult {
  devices: number;
  webhooks: number;
  concurrency: number;
  maxSockets: number;
  rounds: number;
  runs: ArmRun[];
  /** median deliveries per second of the counted rounds */
  perSec: Record<Arm, number>;
  /** medians of the counted rounds: bench-process CPU µs per delivery (all threads) */
  cpuUsPerDelivery: Record<Arm, number>;
  receiverCpuUsPerDelivery: Record<Arm, number>;
  lost: number;
  duplicates: number;
  signaturesChecked: number;
  signaturesInvalid: number;
  outcomes: Record<string, number>;
  problems: string[];
  memory: {
    /** process.resourceUsage().maxRSS after the storms: the peak so far in this process */
    peakRssMb: number;
    /** RSS right after the last storm */
    rssAfterStormMb: number;
    /** after a full GC, 1,000 devices still tracked and the pipeline open */
    rssSettledMb: number;
    heapUsedSettledMb: number;
    /** process.memoryUsage() after that GC, in MB */
    settled: Record<string, number>;
  };
}

const MAX_PER_WEBHOOK = 8; // the dispatcher's default maxConcurrentPerWebhook
const MAX_SOCKETS = 16; // createAxiosClient's default maxSocketsPerHost

function postsFor(devices: readonly BenchDevice[], hooks: readonly DeliveryWebhook[], to: Status): Post[] {
  const at = Date.now();
  const posts: Post[] = [];
  for (const d of devices) {
    for (const webhook of hooks) {
      const event = { udid: d.udid, name: d.name, platform: 'android' as const, to, at, seq: 1 };
      posts.push({ url: webhook.url, body: serializePayload(buildPayload({ event, webhook, org: { id: webhook.orgId }, at })) });
    }
  }
  return posts;
}

export async function runThroughput(options: {
  receiver: ReceiverProcess;
  dir: string;
  rounds: number;
  devices?: number;
  webhooks?: number;
  /** Default all; a subset is for investigating one arm (e.g. under --cpu-prof). */
  arms?: readonly Arm[];
  /** Default: the app's outbox defaults. */
  outbox?: Partial<Omit<OutboxOptions, 'dir'>>;
}): Promise<ThroughputResult> {
  const arms = options.arms ?? ARMS;
  const { receiver } = options;
  const devices = benchDevices('STORM', options.devices ?? 1000);
  const store = await benchWebhooks(join(options.dir, 'throughput'), receiver.url, options.webhooks ?? 10, process.env['BENCH_UNSIGNED'] !== '1');
  const hooks = store.list();
  const concurrency = hooks.length * MAX_PER_WEBHOOK;
  await receiver.setSecrets(store.secrets);

  const appAxios = createAxiosClient();
  const appNodeHttp = createNodeHttpClient(MAX_SOCKETS);
  const client = new SwitchableClient(appAxios);
  const bareAxios = createStockAxiosClient();
  const bareAgent = new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS });
  const okBody = Buffer.from('{"ok":true}');
  const stub: HttpClient = {
    send: () => Promise.resolve({ status: 200, headers: { 'content-type': 'application/json', 'content-length': '11' }, body: okBody, truncated: false }),
  };
  const userAgent = `DeviceHooks/${VERSION}`;

  const p = await openPipeline({
    dir: join(options.dir, 'throughput'),
    devices,
    webhooks: store.list,
    debounceMs: { online: 0, offline: 0, unplugged: 0 },
    http: client,
    outbox: options.outbox ?? {},
  });
  const runs: ArmRun[] = [];
  let usable = true;
  let signaturesChecked = 0;
  let signaturesInvalid = 0;
  let rssAfterStormMb = 0;

  const storm = async (): Promise<{ deliveries: number; ms: number }> => {
    usable = !usable;
    const events = p.events;
    const succeeded = p.outcomes.get('succeeded') ?? 0;
    const t0 = performance.now();
    p.tracker.ingest(adbSnapshot(devices, () => usable));
    const { deliveries } = await p.settle();
    const ms = performance.now() - t0;
    if (p.events - events !== devices.length) p.problems.push(`storm committed ${p.events - events} events, expected ${devices.length}`);
    const ok = (p.outcomes.get('succeeded') ?? 0) - succeeded;
    if (ok !== deliveries) p.problems.push(`storm: ${deliveries} deliveries queued but ${ok} attempts succeeded`);
    return { deliveries, ms };
  };

  const runArm = async (arm: Arm, round: number, warmup: boolean): Promise<void> => {
    await receiver.reset(false);
    let deliveries: number;
    let ms: number;
    let peakHeapUsedMb = 0;
    let peakRssMb = 0;
    const sample = (): void => {
      const m = process.memoryUsage();
      peakHeapUsedMb = Math.max(peakHeapUsedMb, m.heapUsed / 2 ** 20);
      peakRssMb = Math.max(peakRssMb, m.rss / 2 ** 20);
    };
    const sampler = setInterval(sample, 50);
    const cpu0 = process.cpuUsage();
    if (arm === 'deviceHooks' || arm === 'deviceHooksNodeHttp' || arm === 'deviceHooksNoHttp') {
      client.current = arm === 'deviceHooks' ? appAxios : arm === 'deviceHooksNodeHttp' ? appNodeHttp : stub;
      ({ deliveries, ms } = await storm());
      rssAfterStormMb = process.memoryUsage().rss / 2 ** 20;
    } else {
      const posts = postsFor(devices, hooks, usable ? 'Offline' : 'Online');
      const loop = arm === 'bareAxios' ? bareAxiosLoop(bareAxios, posts, concurrency, userAgent) : bareHttpLoop(bareAgent, posts, concurrency, userAgent);
      const r = await loop;
      deliveries = posts.length - r.failed;
      ms = r.ms;
      if (r.failed > 0) p.problems.push(`${arm}: ${r.failed} requests failed`);
    }
    clearInterval(sampler);
    sample();
    const cpu = process.cpuUsage(cpu0);
    const report = await receiver.report();
    signaturesChecked += report.signaturesChecked;
    signaturesInvalid += report.signaturesInvalid;
    // The stub arm sends nothing: check what the dispatcher says it delivered instead.
    const expected = arm === 'deviceHooksNoHttp' ? 0 : devices.length * hooks.length;
    if (arm === 'deviceHooksNoHttp' && deliveries !== devices.length * hooks.length) p.problems.push(`${arm}: ${deliveries} deliveries queued`);
    runs.push({
      arm,
      round,
      warmup,
      deliveries,
      ms,
      perSec: (deliveries / ms) * 1000,
      received: report.total,
      lost: Math.max(0, expected - report.unique),
      duplicates: report.duplicates,
      peakHeapUsedMb,
      peakRssMb,
      cpuUsPerDelivery: (cpu.user + cpu.system) / deliveries,
      receiverCpuUsPerDelivery: report.total > 0 ? report.cpuUs / report.total : Number.NaN,
    });
  };

  try {
    p.tracker.ingest(adbSnapshot(devices, () => true));
    await p.settle();
    for (let round = 0; round <= options.rounds; round++) {
      // Rotate the order so no arm always runs right after the same one.
      const order = arms.map((_, i) => arms[(i + round) % arms.length] as Arm);
      for (const arm of order) await runArm(arm, round, round === 0);
    }
    const counted = runs.filter((r) => !r.warmup);
    const perSec = Object.fromEntries(ARMS.map((arm) => [arm, median(counted.filter((r) => r.arm === arm).map((r) => r.perSec))])) as Record<Arm, number>;
    const medianOf = (pick: (r: ArmRun) => number) =>
      Object.fromEntries(ARMS.map((arm) => [arm, median(counted.filter((r) => r.arm === arm).map(pick))])) as Record<Arm, number>;
    const cpuUsPerDelivery = medianOf((r) => r.cpuUsPerDelivery);
    const receiverCpuUsPerDelivery = medianOf((r) => r.receiverCpuUsPerDelivery);
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    (globalThis as { gc?: () => void }).gc?.();
    const mem = process.memoryUsage();
    return {
      devices: devices.length,
      webhooks: hooks.length,
      concurrency,
      maxSockets: MAX_SOCKETS,
      rounds: options.rounds,
      runs,
      perSec,
      cpuUsPerDelivery,
      receiverCpuUsPerDelivery,
      lost: runs.reduce((s, r) => s + r.lost, 0),
      duplicates: runs.reduce((s, r) => s + r.duplicates, 0),
      signaturesChecked,
      signaturesInvalid,
      outcomes: Object.fromEntries(p.outcomes),
      problems: p.problems,
      memory: {
        peakRssMb,
        rssAfterStormMb,
        rssSettledMb: mem.rss / 2 ** 20,
        heapUsedSettledMb: mem.heapUsed / 2 ** 20,
        settled: Object.fromEntries(Object.entries(mem).map(([k, v]) => [k, Math.round((v / 2 ** 20) * 10) / 10])),
      },
    };
  } finally {
    await p.close();
    await store.close();
    appAxios.close();
    appNodeHttp.close();
    bareAxios.close();
    bareAgent.destroy();
  }
}
