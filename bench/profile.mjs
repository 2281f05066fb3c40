// Summarises a V8 CPU profile (`node --cpu-prof`) of a bench run: self time by area (DeviceHooks'
// own modules, axios, Node internals, GC, …) and the heaviest functions, per delivery when told how
// many deliveries the profile covers.
//   node bench/profile.mjs FILE.cpuprofile [deliveries] [top]
import { readFile } from 'node:fs/promises';

const [file, deliveriesArg, topArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node bench/profile.mjs FILE.cpuprofile [deliveries] [top]\n');
  process.exit(2);
}
const profile = JSON.parse(await readFile(file, 'utf8'));
const deliveries = Number(deliveriesArg ?? 0);
const top = Number(topArg ?? 25);

// Self time per node id from the samples and their time deltas (µs).
const self = new Map();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

function area(frame) {
  const url = frame.url ?? '';
  const name = frame.functionName;
  if (name === '(garbage collector)') return 'GC';
  if (name === '(idle)' || name === '(program)' || name === '(root)') return name;
  if (url.includes('devicehooks-bench')) return 'bundle (DeviceHooks + bench)';
  if (url.includes('node_modules/axios')) return 'axios';
  if (url.includes('node_modules/')) return `package ${url.split('node_modules/')[1]?.split('/')[0] ?? '?'}`;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  if (url === '') return 'native / V8 builtins';
  // The bench bundle: DeviceHooks' modules and the bench's own code are inlined in one file.
  return 'bundle (DeviceHooks + bench)';
}

const byArea = new Map();
const byFunction = new Map();
let total = 0;
for (const node of profile.nodes) {
  const t = self.get(node.id) ?? 0;
  if (t === 0) continue;
  total += t;
  const a = area(node.callFrame);
  byArea.set(a, (byArea.get(a) ?? 0) + t);
  const key = `${node.callFrame.functionName || '(anonymous)'}  ${(node.callFrame.url ?? '').replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\//, '')}:${node.callFrame.lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + t);
}
const busy = total - (byArea.get('(idle)') ?? 0);
const per = (t) => (deliveries > 0 ? `${(t / deliveries).toFixed(1).padStart(7)} µs/delivery` : '');
const pct = (t) => `${((100 * t) / busy).toFixed(1).padStart(5)} %`;
const lines = [`${file}: ${(total / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s busy${deliveries > 0 ? `, ${deliveries} deliveries` : ''}`, '', 'by area (self time, % of busy):'];
for (const [a, t] of [...byArea].sort((x, y) => y[1] - x[1])) if (a !== '(idle)') lines.push(`  ${pct(t)}  ${per(t)}  ${a}`);
lines.push('', `top ${top} functions (self time):`);
for (const [f, t] of [...byFunction].sort((x, y) => y[1] - x[1]).slice(0, top)) lines.push(`  ${pct(t)}  ${per(t)}  ${f}`);
process.stdout.write(`${lines.join('\n')}\n`);
