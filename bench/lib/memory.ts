// Phase 5, memory: the peak RSS of a process that runs the real path alone through the storms.
//
// The bench process itself also runs the comparison arms (stock axios, bare node:http) and the two
// investigation arms (a plain node:http client, and a stub client that answers at once): its peak is
// theirs as much as DeviceHooks'. The stub arm alone goes highest (an instant answer packs a storm's
// garbage into a fraction of a second, so more of it is alive when V8 sizes the heap), a configuration
// the app never runs. So `peakRssMb` is taken in a fresh Node process (the same bundle, started with
// BENCH_PHASES=throughput BENCH_ARMS=deviceHooks) that sets up the same pipeline, 1,000 devices and
// 10 signed webhooks, and runs the same warm-up and counted storms over the app's client, and nothing
// else; the bench process's own peak over every arm is still reported (`peakRssAllArmsMb`, info).
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface MemoryResult {
  /** process.resourceUsage().maxRSS of the process that ran the real path alone, after its storms */
  peakRssMb: number;
  /** that process after a full GC, 1,000 devices still tracked, the pipeline open */
  rssSettledMb: number;
  heapUsedSettledMb: number;
  /** its storms: deliveries per second (median of the counted rounds), for information */
  perSec: number;
  storms: number;
  lost: number;
  duplicates: number;
  problems: string[];
}

interface ChildResults {
  lost: number;
  duplicates: number;
  problems: string[];
  details: { throughput?: { perSec: { deviceHooks: number }; runs: unknown[]; memory: { peakRssMb: number; rssSettledMb: number; heapUsedSettledMb: number } } };
}

/** Runs the bench bundle `script` again, in its own process, with the real path only. */
export async function runMemoryAlone(options: { script: string; dir: string; rounds: number }): Promise<MemoryResult> {
  const resultsPath = join(options.dir, 'memory-results.json');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    BENCH_PHASES: 'throughput',
    BENCH_ARMS: 'deviceHooks',
    BENCH_ROUNDS: String(options.rounds),
    BENCH_DIR: join(options.dir, 'memory'),
    BENCH_RESULTS: resultsPath,
  };
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', options.script], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (status) => resolve(status));
  });
  if (code !== 0 && code !== 1) throw new Error(`memory phase: the process running the real path alone exited with ${String(code)}`);
  const child = JSON.parse(await readFile(resultsPath, 'utf8')) as ChildResults;
  const tp = child.details.throughput;
  if (!tp) throw new Error('memory phase: the process running the real path alone reported no throughput phase');
  return {
    peakRssMb: tp.memory.peakRssMb,
    rssSettledMb: tp.memory.rssSettledMb,
    heapUsedSettledMb: tp.memory.heapUsedSettledMb,
    perSec: tp.perSec.deviceHooks,
    storms: tp.runs.length,
    lost: child.lost,
    duplicates: child.duplicates,
    problems: child.problems.map((p) => `memory phase: ${p}`),
  };
}
