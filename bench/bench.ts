// `npm run bench`: the real tracker → dispatcher → outbox → HTTP path under load, no Electron, against a
// receiver in its own process on loopback. bench/run.mjs bundles this file (and receiver.ts) with vite and
// runs the bundle with `node --expose-gc`. See bench/README.md for what each phase measures and how.
//
// Environment:
//   BENCH_IDLE_SECONDS  length of the idle measurement (default 60)
//   BENCH_ROUNDS        counted throughput rounds after the warm-up round (default 5)
//   BENCH_DIR           where the outbox/history files go (default: a fresh folder in the OS temp dir)
//   BENCH_KEEP=1        keep that folder
//   BENCH_RESULTS       results file (default bench/results.json, passed by run.mjs)
//   BENCH_ARMS          comma-separated subset of the throughput arms (deviceHooks,bareAxios,bareHttp,
//                       deviceHooksNodeHttp,deviceHooksNoHttp), to look at one alone (e.g. under --cpu-prof)
//   BENCH_OUTBOX_BATCH_WINDOW_MS  the throughput phase's outbox batchWindowMs (default: the app's, 0)
//   BENCH_PHASES        comma-separated subset of latency,throughput,memory,storage,resync,idle (default
//                       all; a partial run is for investigating: skipped figures are null)
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureFsync } from './lib/fsync';
import type { FsyncResult } from './lib/fsync';
import { runIdle } from './lib/idle';
import type { IdleResult } from './lib/idle';
import { runLatency } from './lib/latency';
import { runMemoryAlone } from './lib/memory';
import type { MemoryResult } from './lib/memory';
import type { LatencyResult } from './lib/latency';
import { ReceiverProcess } from './lib/receiverClient';
import type { ClockCheck } from './lib/receiverClient';
import { fixed, int, round } from './lib/stats';
import { runResync } from './lib/resync';
import type { ResyncResult } from './lib/resync';
import { runStorage } from './lib/storage';
import type { StorageResult } from './lib/storage';
import { ARMS, runThroughput } from './lib/throughput';
import type { Arm, ThroughputResult } from './lib/throughput';

// vsBareHttpRatio is a goal (reported, not judged in `met`'s summary line); the others are targets.
const TARGETS = { latencyOverFsyncP99Ms: 10, throughputRatio: 1.2, vsBareHttpRatio: 0.5, peakRssMb: 300, storageRatio: 1.5, idleCpuPercent: 1 };

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name}=${raw} is not a number >= 0`);
  return value;
}

function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    availableParallelism: os.availableParallelism(),
    memoryGb: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${os.release()} ${process.arch}`,
    loadAverageAtStart: os.loadavg().map((l) => round(l, 2)),
    /** set in main(): how busy all CPUs were (every process) during the second before the bench */
    busyPercentAtStart: 0,
    date: new Date().toISOString(),
  };
}

/** How busy the machine's CPUs are right now (all processes), over `ms`: others' work shows in the figures. */
async function machineBusyPercent(ms = 1000): Promise<number> {
  const total = (): { busy: number; all: number } => {
    let busy = 0;
    let all = 0;
    for (const c of os.cpus()) {
      const t = c.times.user + c.times.nice + c.times.sys + c.times.irq;
      busy += t;
      all += t + c.times.idle;
    }
    return { busy, all };
  };
  const a = total();
  await new Promise((r) => setTimeout(r, ms));
  const b = total();
  return b.all > a.all ? (100 * (b.busy - a.busy)) / (b.all - a.all) : 0;
}

function log(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

const mark = (ok: boolean): string => (ok ? '✓' : '✗');

const PHASES = ['latency', 'throughput', 'memory', 'storage', 'idle', 'resync'] as const;
type Phase = (typeof PHASES)[number];

function phasesFromEnv(): Set<Phase> {
  const raw = process.env['BENCH_PHASES'];
  if (!raw) return new Set(PHASES);
  const wanted = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const w of wanted) if (!(PHASES as readonly string[]).includes(w)) throw new Error(`BENCH_PHASES: unknown phase ${w} (known: ${PHASES.join(', ')})`);
  return new Set(wanted as Phase[]);
}

function armsFromEnv(): Arm[] | undefined {
  const raw = process.env['BENCH_ARMS'];
  if (!raw) return undefined;
  const wanted = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const w of wanted) if (!(ARMS as readonly string[]).includes(w)) throw new Error(`BENCH_ARMS: unknown arm ${w} (known: ${ARMS.join(', ')})`);
  return wanted as Arm[];
}

async function main(): Promise<number> {
  const idleSeconds = envNumber('BENCH_IDLE_SECONDS', 60);
  const rounds = Math.max(1, Math.floor(envNumber('BENCH_ROUNDS', 5)));
  const phases = phasesFromEnv();
  const resultsPath = resolve(process.env['BENCH_RESULTS'] ?? 'bench/results.json');
  const dir = process.env['BENCH_DIR'] ? resolve(process.env['BENCH_DIR']) : await mkdtemp(join(os.tmpdir(), 'devicehooks-bench-'));
  await mkdir(dir, { recursive: true });
  const started = performance.now();
  const info = machine();
  info['busyPercentAtStart'] = round(await machineBusyPercent(), 1);
  log(`${String(info['cpuModel'])}, ${String(info['cores'])} cores, Node ${process.version}; data in ${dir}`);

  const receiver = await ReceiverProcess.start(fileURLToPath(new URL('./receiver.mjs', import.meta.url)));
  const latency: LatencyResult[] = [];
  let fsync: FsyncResult | undefined;
  let throughput: ThroughputResult | undefined;
  let memory: MemoryResult | undefined;
  let storage: StorageResult | undefined;
  let idle: IdleResult | undefined;
  let resync: ResyncResult | undefined;
  let clock: ClockCheck | undefined;
  try {
    clock = await receiver.checkClock();
    log(`receiver pid ${String(receiver.pid)} on port ${receiver.port}; clock offset ${fixed(clock.offsetMs, 3)} ± ${fixed(clock.uncertaintyMs, 3)} ms`);
    if (phases.has('latency')) {
      fsync = await measureFsync(dir);
      log(`fdatasync of a ${fsync.bytes}-byte append in ${dir}: p50 ${fixed(fsync.p50Ms, 3)} ms, p99 ${fixed(fsync.p99Ms, 3)} ms (${fsync.samples} samples)`);
      log('latency: 200 devices × 5 signed webhooks (app defaults, then without fdatasync)');
      latency.push(await runLatency({ receiver, dir, label: 'app defaults (outbox batchWindowMs 0: group commit, datasync)', outbox: {} }));
      latency.push(await runLatency({ receiver, dir: join(dir, 'w0n'), label: 'tried: durability none (no fdatasync)', outbox: { durability: 'none' } }));
    }
    if (phases.has('throughput')) {
      log(`throughput: 1,000 devices × 10 signed webhooks, 1 warm-up + ${rounds} rounds of 5 alternating arms`);
      const window = process.env['BENCH_OUTBOX_BATCH_WINDOW_MS'];
      throughput = await runThroughput({ receiver, dir, rounds, arms: armsFromEnv(), outbox: window ? { batchWindowMs: envNumber('BENCH_OUTBOX_BATCH_WINDOW_MS', 0) } : {} });
    }
    if (phases.has('memory')) {
      log(`memory: the real path alone in a fresh process, 1,000 devices × 10 signed webhooks, 1 warm-up + ${rounds} storms`);
      memory = await runMemoryAlone({ script: fileURLToPath(import.meta.url), dir, rounds });
      log(`memory: peak RSS ${fixed(memory.peakRssMb, 0)} MB (${int(memory.perSec)}/s in that process)`);
    }
    if (phases.has('storage')) {
      log('storage: per-event cost with an empty history and with 50,000 past deliveries');
      storage = await runStorage({ dir });
    }
    if (phases.has('resync')) {
      log('resync: 500 devices listed offline for 3 s by a restarted adb server, 20 rounds');
      resync = runResync();
      log(
        `resync: ${resync.falseEvents} false events; pass over 500 devices p50/max: resync ${fixed(resync.resyncPassMs.p50, 2)}/${fixed(resync.resyncPassMs.max, 2)} ms, recovery ${fixed(resync.recoveryPassMs.p50, 2)}/${fixed(resync.recoveryPassMs.max, 2)} ms, plain change ${fixed(resync.plainPassMs.p50, 2)}/${fixed(resync.plainPassMs.max, 2)} ms`,
      );
    }
    if (phases.has('idle')) {
      log(`idle: 20 devices through the real AdbSource, ${idleSeconds} s`);
      idle = await runIdle({ receiver, dir, seconds: idleSeconds });
    }
  } finally {
    await receiver.stop();
    if (process.env['BENCH_KEEP'] !== '1' && !process.env['BENCH_DIR']) await rm(dir, { recursive: true, force: true });
  }

  const headline = latency[0];
  const tp = throughput?.perSec;
  const throughputRatio = tp ? tp.deviceHooks / tp.bareAxios : Number.NaN;
  // The same comparison in CPU time of this process per delivery: what each delivery costs, less
  // sensitive than the rates to whatever else the machine runs at the time.
  const cpuRatio = throughput ? throughput.cpuUsPerDelivery.bareAxios / throughput.cpuUsPerDelivery.deviceHooks : Number.NaN;
  const axiosVsHttpRatio = tp ? tp.bareAxios / tp.bareHttp : Number.NaN;
  const vsBareHttpRatio = tp ? tp.deviceHooks / tp.bareHttp : Number.NaN;
  // A callback may wait for one group commit in flight, then for its own: two fdatasyncs are the disk's.
  const overFsync = headline && fsync ? headline.staggered.p99 - 2 * fsync.p99Ms : Number.NaN;
  // The real path alone (the memory phase); without that phase, this process's own peak over the arms it ran.
  const peakRss = memory?.peakRssMb ?? throughput?.memory.peakRssMb;
  const nodeHttpGain = tp ? tp.deviceHooksNodeHttp / tp.deviceHooks : Number.NaN;
  const ownCostUs = throughput ? throughput.cpuUsPerDelivery.deviceHooksNoHttp : Number.NaN;
  const lost = latency.reduce((s, l) => s + l.lost, 0) + (throughput?.lost ?? 0) + (memory?.lost ?? 0) + (idle?.lost ?? 0);
  const duplicates = latency.reduce((s, l) => s + l.duplicates, 0) + (throughput?.duplicates ?? 0) + (memory?.duplicates ?? 0);
  const problems = [...latency.flatMap((l) => l.problems), ...(throughput?.problems ?? []), ...(memory?.problems ?? []), ...(storage?.problems ?? []), ...(idle?.problems ?? []), ...(resync?.problems ?? [])];
  if (throughput && throughput.signaturesInvalid > 0) problems.push(`${throughput.signaturesInvalid} of ${throughput.signaturesChecked} sampled signatures invalid`);
  const num = (v: number | undefined, digits: number): number | null => (v === undefined || !Number.isFinite(v) ? null : round(v, digits));

  const met = {
    latencyOverFsyncP99: Number.isFinite(overFsync) ? overFsync <= TARGETS.latencyOverFsyncP99Ms : null,
    throughputRatio: tp ? throughputRatio >= TARGETS.throughputRatio : null,
    vsBareHttpRatio: tp ? vsBareHttpRatio >= TARGETS.vsBareHttpRatio : null,
    peakRss: peakRss !== undefined ? peakRss <= TARGETS.peakRssMb : null,
    storageRatio: storage ? storage.ratio <= TARGETS.storageRatio : null,
    idleCpu: idle ? idle.cpuPercent <= TARGETS.idleCpuPercent : null,
    nothingLost: lost === 0,
  };
  const results = {
    latencyP50Ms: num(headline?.staggered.p50, 2),
    latencyP99Ms: num(headline?.staggered.p99, 2),
    latencyMaxMs: num(headline?.staggered.max, 2),
    fsyncP50Ms: num(fsync?.p50Ms, 3),
    fsyncP99Ms: num(fsync?.p99Ms, 3),
    latencyOverFsyncP99Ms: num(overFsync, 2),
    throughputPerSec: num(tp?.deviceHooks, 0),
    bareAxiosPerSec: num(tp?.bareAxios, 0),
    bareHttpPerSec: num(tp?.bareHttp, 0),
    throughputRatio: num(throughputRatio, 3),
    throughputCpuRatio: num(cpuRatio, 3),
    axiosVsHttpRatio: num(axiosVsHttpRatio, 3),
    vsBareHttpRatio: num(vsBareHttpRatio, 3),
    deviceHooksNodeHttpPerSec: num(tp?.deviceHooksNodeHttp, 0),
    nodeHttpClientGain: num(nodeHttpGain, 3),
    deviceHooksNoHttpPerSec: num(tp?.deviceHooksNoHttp, 0),
    ownCostUsPerDelivery: num(ownCostUs, 1),
    storageRatio: num(storage?.ratio, 3),
    idleCpuPercent: num(idle?.cpuPercent, 3),
    peakRssMb: num(peakRss, 1),
    peakRssAllArmsMb: num(throughput?.memory.peakRssMb, 1),
    lost,
    duplicates,
    targets: TARGETS,
    met,
    machine: info,
    config: { phases: [...phases], idleSeconds, rounds, dataDir: dir, signedWebhooks: 'all', clock },
    details: { fsync, latency, throughput, memory, storage, idle, resync },
    problems,
    loadAverageAtEnd: os.loadavg().map((l) => round(l, 2)),
    durationSec: round((performance.now() - started) / 1000, 1),
  };
  await mkdir(resolve(resultsPath, '..'), { recursive: true });
  await writeFile(resultsPath, `${JSON.stringify(results, null, 2)}\n`);

  // ---- the table ----
  type Row = [string, string, string, string];
  const ms = (v: number): string => fixed(v, 1);
  const lat = (s: LatencyResult['staggered']): string => `${ms(s.p50)} / ${ms(s.p99)} / ${ms(s.max)} ms`;
  const rows: Row[] = [['phase', 'measure', 'value', 'target']];
  if (fsync) {
    rows.push(['disk', `fdatasync of a ${fsync.bytes}-byte append, p50 / p99 / max (${fsync.samples})`, `${fixed(fsync.p50Ms, 2)} / ${fixed(fsync.p99Ms, 2)} / ${fixed(fsync.maxMs, 2)} ms`, 'info']);
  }
  if (headline) {
    rows.push(['latency', 'p50 / p99 / max, 200 devices × 5 hooks, one every 20 ms', lat(headline.staggered), '']);
    if (Number.isFinite(overFsync)) rows.push(['latency', 'p99 − 2 × fdatasync p99', `${ms(overFsync)} ms`, `≤ ${TARGETS.latencyOverFsyncP99Ms} ms ${mark(overFsync <= TARGETS.latencyOverFsyncP99Ms)}`]);
    rows.push(['latency', 'same, all 200 in one snapshot (1,000 callbacks)', lat(headline.burst), 'info']);
    for (const l of latency.slice(1)) rows.push(['latency', l.label, `${lat(l.staggered)} (burst p99 ${ms(l.burst.p99)})`, 'tried']);
  }
  if (throughput && tp) {
    const cpu = (arm: Arm): string =>
      `${int(tp[arm])}/s  (CPU/delivery: ${fixed(throughput.cpuUsPerDelivery[arm], 0)} µs here, ${fixed(throughput.receiverCpuUsPerDelivery[arm], 0)} µs receiver)`;
    rows.push(['throughput', `DeviceHooks, ${int(throughput.devices * throughput.webhooks)} deliveries per storm`, cpu('deviceHooks'), '']);
    rows.push(['throughput', `bare stock axios (its http adapter), ${throughput.concurrency} in flight`, cpu('bareAxios'), '']);
    rows.push(['throughput', `bare node:http keep-alive, ${throughput.concurrency} in flight`, cpu('bareHttp'), '']);
    rows.push(['throughput', 'DeviceHooks with a plain node:http HttpClient', cpu('deviceHooksNodeHttp'), 'tried']);
    rows.push(['throughput', 'DeviceHooks with HTTP stubbed (its own cost)', `${int(tp.deviceHooksNoHttp)}/s  (CPU/delivery: ${fixed(throughput.cpuUsPerDelivery.deviceHooksNoHttp, 0)} µs)`, 'info']);
  }
  if (storage) {
    rows.push(['storage', 'CPU per event: empty history / 50,000 past', `${fixed(storage.empty.cpuUsPerEvent, 1)} / ${fixed(storage.full.cpuUsPerEvent, 1)} µs`, '']);
    rows.push(['storage', 'wall per event: empty history / 50,000 past', `${fixed(storage.empty.wallUsPerEvent, 1)} / ${fixed(storage.full.wallUsPerEvent, 1)} µs`, '']);
    rows.push(['storage', 'reopen with 50,000 past deliveries', `${ms(storage.reopenMs)} ms`, 'info']);
  }
  if (idle) {
    rows.push(['idle', `main-process CPU, ${idle.devices} adb devices, ${fixed(idle.seconds, 0)} s`, `${fixed(idle.cpuPercent, 3)} %`, `≤ ${TARGETS.idleCpuPercent} % ${mark(idle.cpuPercent <= TARGETS.idleCpuPercent)}`]);
  }
  if (memory) {
    rows.push(['memory', 'peak RSS, real path alone, 1,000 devices × 10 hooks, after storms', `${fixed(memory.peakRssMb, 0)} MB`, `≤ ${TARGETS.peakRssMb} MB ${mark(memory.peakRssMb <= TARGETS.peakRssMb)}`]);
    rows.push(['memory', 'that process after GC, still tracking 1,000: RSS / heap used', `${fixed(memory.rssSettledMb, 0)} / ${fixed(memory.heapUsedSettledMb, 0)} MB`, 'info']);
  }
  if (throughput) {
    const m = throughput.memory;
    const judged = memory ? 'info' : `≤ ${TARGETS.peakRssMb} MB ${mark(m.peakRssMb <= TARGETS.peakRssMb)}`;
    rows.push(['memory', 'peak RSS of this process over every arm it ran', `${fixed(m.peakRssMb, 0)} MB`, judged]);
    rows.push(['memory', 'this process after GC, still tracking 1,000: RSS / heap used', `${fixed(m.rssSettledMb, 0)} / ${fixed(m.heapUsedSettledMb, 0)} MB`, 'info']);
  }
  rows.push(['delivery', 'lost / duplicated, every run', `${lost} / ${duplicates}`, `0 ${mark(lost === 0)}`]);
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c]?.length ?? 0)));
  const out: string[] = [];
  out.push(`DeviceHooks bench — ${String(info['cpuModel'])}, ${String(info['cores'])} cores, Node ${process.version}, ${String(info['platform'])}, ${String(info['date'])}`);
  out.push('');
  rows.forEach((r, i) => {
    out.push(r.map((cell, c) => cell.padEnd(widths[c] as number)).join('  ').trimEnd());
    if (i === 0) out.push(widths.map((w) => '-'.repeat(w)).join('  '));
  });
  out.push('');
  if (tp) {
    out.push(
      `throughputRatio ${fixed(throughputRatio)} (DeviceHooks ${int(tp.deviceHooks)}/s vs bare stock axios ${int(tp.bareAxios)}/s) target ≥ ${TARGETS.throughputRatio} ${mark(throughputRatio >= TARGETS.throughputRatio)}`,
    );
    out.push(
      `throughputCpuRatio ${fixed(cpuRatio)} (CPU per delivery: bare axios ${fixed(throughput?.cpuUsPerDelivery.bareAxios ?? Number.NaN, 0)} µs vs DeviceHooks ${fixed(throughput?.cpuUsPerDelivery.deviceHooks ?? Number.NaN, 0)} µs) info`,
    );
    out.push(
      `vsBareHttpRatio ${fixed(vsBareHttpRatio)} (DeviceHooks ${int(tp.deviceHooks)}/s vs bare node:http ${int(tp.bareHttp)}/s) goal ≥ ${TARGETS.vsBareHttpRatio} ${mark(vsBareHttpRatio >= TARGETS.vsBareHttpRatio)}`,
    );
    out.push(`axiosVsHttpRatio ${fixed(axiosVsHttpRatio)} (bare stock axios ${int(tp.bareAxios)}/s vs bare node:http ${int(tp.bareHttp)}/s) info`);
    out.push(`nodeHttpClientGain ${fixed(nodeHttpGain)} (DeviceHooks over a plain node:http client ${int(tp.deviceHooksNodeHttp)}/s vs over axios on its lean transport ${int(tp.deviceHooks)}/s) info`);
  }
  if (storage) {
    out.push(
      `storageRatio ${fixed(storage.ratio)} (${fixed(storage.full.cpuUsPerEvent, 1)} µs CPU per event with 50,000 past deliveries vs ${fixed(storage.empty.cpuUsPerEvent, 1)} µs empty; wall ${fixed(storage.wallRatio)}) target ≤ ${TARGETS.storageRatio} ${mark(storage.ratio <= TARGETS.storageRatio)}`,
    );
  }
  const busy = info['busyPercentAtStart'] as number;
  if (busy > 10) out.push(`note: the CPUs were ${fixed(busy, 0)} % busy just before the bench started: something else was running, the figures are noisier than on a quiet machine`);
  out.push('');
  if (problems.length > 0) out.push(`problems (${problems.length}):`, ...problems.slice(0, 20).map((p) => `  ${p}`), '');
  out.push(`results: ${resultsPath} (${results.durationSec} s)`);
  process.stdout.write(`${out.join('\n')}\n`);
  return lost === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(2);
  },
);
