// The headless runner is also the package's command: `devicehooks-headless` (package.json "bin"), which
// npm links into node_modules/.bin (a symlink) or a global bin folder.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { headlessJs, repoRoot } from './runner';

describe('the package entry', () => {
  it('names the built runner as its bin, with a Node shebang', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(join(repoRoot, pkg.bin['devicehooks-headless'] ?? '')).toBe(headlessJs);
    expect(readFileSync(headlessJs, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    expect(readFileSync(join(repoRoot, 'out/main/index.js'), 'utf8').startsWith('#!')).toBe(false);
  });

  it('runs through a symlink, as npm links bins', () => {
    const bin = mkdtempSync(join(tmpdir(), 'dh-bin-'));
    const link = join(bin, 'devicehooks-headless');
    symlinkSync(headlessJs, link);
    chmodSync(headlessJs, 0o755);
    const run = spawnSync(link, ['--help'], { encoding: 'utf8', env: { ...process.env, PATH: `${join(process.execPath, '..')}:${process.env.PATH ?? ''}` } });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^Usage: /);
  });
});
