// Runs @doyensec/electronegativity over our Electron sources (main/, preload/, renderer/ and
// package.json, copied to one folder so its global checks see the whole app, without out/ or test/)
// and fails on any finding above LOW. A suppression is an inline `// eng-disable CHECK_ID` comment with
// its reason on the line above.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const work = mkdtempSync(join(tmpdir(), 'electronegativity-'));
const app = join(work, 'app');
const report = join(work, 'report.csv');
let findings;
try {
  for (const part of ['main', 'preload', 'renderer/index.html', 'renderer/src', 'package.json']) cpSync(part, join(app, part), { recursive: true });
  // -e: the Electron we ship (the tool cannot look releases up offline).
  const run = spawnSync('npx', ['--no-install', 'electronegativity', '-i', app, '-r', '-e', '45.0.0', '-o', report], { encoding: 'utf8' });
  if (run.status !== 0) {
    console.error(run.stdout, run.stderr);
    throw new Error(`electronegativity failed (exit ${run.status})`);
  }
  const [, ...rows] = readFileSync(report, 'utf8').trim().split('\n');
  findings = rows.map((row) => {
    const cells = row.match(/("([^"]|"")*"|[^,]*)(,|$)/g).map((c) => c.replace(/,$/, '').replace(/^"|"$/g, '').trim());
    return { check: cells[0], severity: cells[1], confidence: cells[2], file: `${cells[3]}:${cells[4]}`, message: cells[6] };
  });
} finally {
  rmSync(work, { recursive: true, force: true });
}

for (const f of findings) console.log(`${f.severity.padEnd(7)} ${f.check.padEnd(40)} ${f.file}  ${f.message}`);
const serious = findings.filter((f) => !['LOW', 'INFORMATIONAL'].includes(f.severity));
if (serious.length > 0) {
  console.error(`\nelectronegativity: ${serious.length} finding(s) above LOW.`);
  process.exit(1);
}
console.log(`\nelectronegativity: ${findings.length} finding(s), none above LOW.`);
