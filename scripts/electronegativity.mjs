// Runs @doyensec/electronegativity over our Electron sources (main/, preload/, renderer/ and
// package.json, copied to one folder so its global checks see the whole app, without out/ or test/)
// and fails on any finding above LOW. A suppression is an inline `// eng-disable CHECK_ID` comment with
// its reason on the line above.
//
// We call the tool's own runner (its documented programmatic entry, dist/runner.js) rather than its
// CSV output: the CLI writes the CSV header and rows with two concurrent writeFile calls, and the
// header sometimes lands on top of the first row.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const run = require('@doyensec/electronegativity/dist/runner.js');

const work = mkdtempSync(join(tmpdir(), 'electronegativity-'));
const app = join(work, 'app');
let result;
try {
  for (const part of ['main', 'preload', 'renderer/index.html', 'renderer/src', 'package.json']) cpSync(part, join(app, part), { recursive: true });
  // The Electron we ship: the tool cannot look releases up offline.
  result = await run({ input: app, isRelative: true, isVerbose: false, electronVersionOverride: '45.0.0', parserPlugins: [] }, false);
} finally {
  rmSync(work, { recursive: true, force: true });
}

const findings = result.issues.map((issue) => ({
  check: issue.id,
  severity: issue.severity.name,
  confidence: issue.confidence.name,
  file: `${issue.file}:${issue.location.line}:${issue.location.column}`,
  message: issue.description,
}));
for (const f of findings) console.log(`${f.severity.padEnd(7)} ${f.confidence.padEnd(9)} ${f.check.padEnd(40)} ${f.file}  ${f.message}`);
if (result.errors.length > 0) {
  for (const e of result.errors) console.error(`could not scan ${e.file}: ${e.message ?? e.error ?? ''}`);
  console.error(`\nelectronegativity: ${result.errors.length} file(s) could not be scanned.`);
  process.exit(1);
}
const serious = findings.filter((f) => !['LOW', 'INFORMATIONAL'].includes(f.severity));
if (serious.length > 0) {
  console.error(`\nelectronegativity: ${serious.length} finding(s) above LOW.`);
  process.exit(1);
}
console.log(`\nelectronegativity: ${findings.length} finding(s), none above LOW (${result.atomicChecks} atomic and ${result.globalChecks} global checks).`);
