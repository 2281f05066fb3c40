// Phase 1, latency: 200 devices, 5 signed webhooks, default debounce. Each device makes one committed
// transition (Online → Offline); the time from the commit (taken in the tracker's onEvent, on the
// shared clock) to the receiver having read the whole request (its clock, same shared clock).
//   staggered: one device goes offline every `intervalMs` (a busy lab: 50 devices/s, 250 callbacks/s)
//   burst:     then all 200 come back Online in ONE adb snapshot (1,000 callbacks at once): queueing shows
import { join } from 'node:path';
import type { OutboxOptions } from '../../main/delivery/index';
import { adbSnapshot, benchDevices, benchWebhooks, openPipeline } from './pipeline';
import { deliveryKey } from './protocol';
import type { ReceiverProcess } from './receiverClient';
import { percentile, sleep, waitFor } from './stats';

export interface LatencySummary {
  samples: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  missing: number;
}

export interface LatencyResult {
  label: string;
  outbox: Partial<Omit<OutboxOptions, 'dir'>>;
  staggered: LatencySummary;
  burst: LatencySummary;
  expected: number;
  lost: number;
  duplicates: number;
  problems: string[];
}

function summarize(latencies: number[], missing: number): LatencySummary {
  return { samples: latencies.length, p50: percentile(latencies, 50), p90: percentile(latencies, 90), p99: percentile(latencies, 99), max: percentile(latencies, 100), missing };
}

export async function runLatency(options: {
  receiver: ReceiverProcess;
  dir: string;
  label: string;
  outbox: Partial<Omit<OutboxOptions, 'dir'>>;
  devices?: number;
  webhooks?: number;
  intervalMs?: number;
}): Promise<LatencyResult> {
  const { receiver } = options;
  const devices = benchDevices('LAT', options.devices ?? 200);
  const store = await benchWebhooks(join(options.dir, 'latency'), receiver.url, options.webhooks ?? 5, true);
  const hooks = store.list();
  const intervalMs = options.intervalMs ?? 20;
  await receiver.setSecrets(store.secrets);
  const p = await openPipeline({ dir: join(options.dir, 'latency'), devices, webhooks: store.list, outbox: options.outbox });
  let lost = 0;
  let duplicates = 0;

  const measure = async (activity: string): Promise<LatencySummary> => {
    const report = await receiver.report();
    const arrivals = new Map(report.arrivals ?? []);
    const latencies: number[] = [];
    let missing = 0;
    for (const d of devices) {
      const committed = p.commits.get(d.udid);
      for (const h of hooks) {
        const at = arrivals.get(deliveryKey(h.id, d.udid, activity));
        if (at === undefined || committed === undefined) missing++;
        else latencies.push(at - committed);
      }
    }
    lost += Math.max(0, devices.length * hooks.length - report.unique);
    duplicates += report.duplicates;
    if (report.signaturesInvalid > 0) p.problems.push(`${report.signaturesInvalid} invalid signatures of ${report.signaturesChecked} checked`);
    return summarize(latencies, missing);
  };

  try {
    // Launch: every device listed and usable, as the last run left them: nothing fires.
    p.tracker.ingest(adbSnapshot(devices, () => true));
    await p.settle();

    await receiver.reset(true);
    const offline = new Set<number>();
    for (let i = 0; i < devices.length; i++) {
      offline.add(i);
      p.tracker.ingest(adbSnapshot(devices, (j) => !offline.has(j)));
      await sleep(intervalMs);
    }
    await waitFor('every offline commit', () => p.events >= devices.length, 30_000);
    await p.settle();
    const staggered = await measure('device.status.offline');

    await receiver.reset(true);
    p.tracker.ingest(adbSnapshot(devices, () => true));
    await waitFor('every online commit', () => p.events >= 2 * devices.length, 30_000);
    await p.settle();
    const burst = await measure('device.status.online');

    return { label: options.label, outbox: options.outbox, staggered, burst, expected: 2 * devices.length * hooks.length, lost, duplicates, problems: p.problems };
  } finally {
    await p.close();
    await store.close();
  }
}
