// The disk's own fdatasync latency in the data folder, measured in the same run as the latency phase:
// what one outbox group commit costs at the least (main/delivery/files.ts: write the batch at the end
// of an append-mode file, then datasync). A callback is sent once its journal line is on disk, and it
// may wait for one group commit in flight and then its own: its latency cannot be below two of these,
// so the bench judges `latencyP99Ms − 2 × fsyncP99Ms`.
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { percentile } from './stats';

export interface FsyncResult {
  samples: number;
  /** bytes per write: about one journal line */
  bytes: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

export async function measureFsync(dir: string, samples = 500, bytes = 400): Promise<FsyncResult> {
  const file = join(dir, 'fsync-probe.jsonl');
  const handle = await open(file, 'a');
  const line = Buffer.from(`${'x'.repeat(bytes - 1)}\n`);
  const times: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      await handle.write(line, 0, line.length);
      await handle.datasync();
      times.push(performance.now() - t0);
    }
  } finally {
    await handle.close();
    await rm(file, { force: true });
  }
  return { samples, bytes, p50Ms: percentile(times, 50), p90Ms: percentile(times, 90), p99Ms: percentile(times, 99), maxMs: percentile(times, 100) };
}
