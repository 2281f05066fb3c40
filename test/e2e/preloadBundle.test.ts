// What real Electron enforces and the stand-in cannot: a sandboxed preload is one CommonJS file that can
// require nothing but `electron`. Checks the built output of `npm run build`.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { invokeChannels, listenerName, methodName, pushChannels } from '../../preload/contract';
import { repoRoot } from './harness';

const dir = join(repoRoot, 'out/preload');

describe('the built page', () => {
  it('carries the strict CSP of renderer/index.html (the dev-server relaxation never reaches a build)', () => {
    // test/unit/security.test.ts pins the source's meta tag to main's CONTENT_SECURITY_POLICY.
    const meta = (file: string) => /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(readFileSync(join(repoRoot, file), 'utf8'))?.[1];
    expect(meta('out/renderer/index.html')).toBe(meta('renderer/index.html'));
    expect(meta('out/renderer/index.html')).toContain("script-src 'self';");
  });
});

describe('the built preload', () => {
  it('is a single CommonJS file', () => {
    expect(readdirSync(dir)).toEqual(['index.cjs']);
    const source = readFileSync(join(dir, 'index.cjs'), 'utf8');
    expect(source).not.toMatch(/^\s*(import|export)\s/m);
  });

  it('carries the channel names, not the schemas (main parses every request; zod stays out of the preload)', () => {
    const source = readFileSync(join(dir, 'index.cjs'), 'utf8');
    expect(source).not.toMatch(/safeParse|ZodError|\$ZodType/);
    expect(source.length).toBeLessThan(16 * 1024);
  });

  it('requires only electron and exposes one function per contract channel, nothing raw', () => {
    const source = readFileSync(join(dir, 'index.cjs'), 'utf8');
    const required: string[] = [];
    const exposed: Record<string, unknown> = {};
    const invoked: unknown[][] = [];
    const electron = {
      contextBridge: { exposeInMainWorld: (key: string, value: unknown) => (exposed[key] = value) },
      ipcRenderer: { invoke: (...args: unknown[]) => invoked.push(args), on: () => undefined, removeListener: () => undefined },
    };
    const module = { exports: {} };
    runInNewContext(source, {
      module,
      exports: module.exports,
      require: (name: string) => {
        required.push(name);
        if (name !== 'electron') throw new Error(`a sandboxed preload cannot require ${name}`);
        return electron;
      },
    });
    expect(required).toEqual(['electron']);
    expect(Object.keys(exposed)).toEqual(['api']);
    const api = exposed.api as Record<string, (...args: unknown[]) => unknown>;
    const expected = [...invokeChannels.map(methodName), ...pushChannels.map(listenerName)].sort();
    expect(Object.keys(api).sort()).toEqual(expected);
    for (const fn of Object.values(api)) expect(typeof fn).toBe('function');
    expect(Object.isFrozen(api)).toBe(true);
    api.appInfo?.();
    expect(invoked).toEqual([['app:info', undefined]]);
  });
});
