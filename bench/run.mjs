// `npm run bench`: bundles bench/bench.ts and bench/receiver.ts (with main/ and the adb fake) into
// plain ESM with vite — as electron-vite bundles main/ for the app — then runs the bundle under plain
// Node with --expose-gc. Dependencies (axios, zod) stay external and load from node_modules.
//
// The bundle goes to node_modules/.cache/devicehooks-bench/: outside git (node_modules/ is ignored)
// and outside ESLint (which lints every .mjs it finds, bench/ included, but ignores node_modules/).
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { writeTables } from './table.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'node_modules', '.cache', 'devicehooks-bench');

const t0 = performance.now();
try {
  await build({
    configFile: false,
    root,
    logLevel: 'warn',
    build: {
      ssr: true,
      outDir,
      emptyOutDir: true,
      target: 'node20',
      minify: false,
      sourcemap: false,
      copyPublicDir: false,
      reportCompressedSize: false,
      rolldownOptions: {
        input: { bench: join(root, 'bench', 'bench.ts'), receiver: join(root, 'bench', 'receiver.ts') },
        output: { format: 'esm', entryFileNames: '[name].mjs', chunkFileNames: 'chunks/[name]-[hash].mjs' },
      },
    },
  });
} catch (error) {
  // Exit 2 when the bench cannot run (1 means a callback was lost).
  process.stderr.write(`[bench] build failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(2);
}
process.stderr.write(`[bench] built in ${Math.round(performance.now() - t0)} ms → ${outDir}\n`);
// `node bench/run.mjs --build-only`: then run the bundle yourself, e.g. under --cpu-prof.
if (process.argv.includes('--build-only')) process.exit(0);

const child = spawn(process.execPath, ['--expose-gc', join(outDir, 'bench.mjs')], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, BENCH_RESULTS: process.env.BENCH_RESULTS ?? join(root, 'bench', 'results.json') },
});
// Pass a stop on to the bench (Ctrl-C in a terminal reaches both anyway; a plain `kill` of this one would not).
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => {
  const status = code ?? (signal ? 1 : 0);
  // A full run (0: ran; 1: ran and lost a callback) writes the table in docs/benchmark.md and bench/README.md; a partial one does not.
  if ((status === 0 || status === 1) && !process.env.BENCH_PHASES && !process.env.BENCH_ARMS && !process.env.BENCH_RESULTS) {
    writeTables().then(
      (files) => {
        process.stderr.write(`[bench] table written to ${files.join(', ') || 'no file (markers missing)'}\n`);
        process.exit(status);
      },
      (error) => {
        process.stderr.write(`[bench] could not write the table: ${String(error)}\n`);
        process.exit(status);
      },
    );
  } else process.exit(status);
});
