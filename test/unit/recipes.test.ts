// The recipes of docs/architecture.md, followed for real: scripts/follow-recipes.mjs adds a device source,
// a General setting and an IPC channel to a scratch copy of this tree, touching only the files each
// recipe's table names, then type-checks the copy and runs the tests those files concern.
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runTool } from '../support/runTool';

it('each recipe touches only the files its table names, and the tree still type-checks and passes its tests', async () => {
  const script = join(import.meta.dirname, '../../scripts/follow-recipes.mjs');
  const result = await runTool(process.execPath, [script], { timeout: 240_000, maxBuffer: 16 * 1024 * 1024 });
  expect(result.stdout, result.stderr).toContain('✓ Add a device source: 2 existing file(s) changed');
  expect(result.stdout).toContain('✓ Add a General setting: 3 existing file(s) changed');
  expect(result.stdout).toContain('✓ Add an IPC channel: 3 existing file(s) changed');
  expect(result.stdout).not.toContain('✗');
  expect(result.code, result.stdout).toBe(0);
}, 300_000);
