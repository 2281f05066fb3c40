// Killed at random points during an event storm, again and again: after the last restart every status
// change committed before a kill has reached the receiver (for every webhook), duplicates carry the same
// webhook-id, and no change is announced under two ids.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { receiver, tempDir } from './helpers';

const child = fileURLToPath(new URL('./fixtures/storm-child.mjs', import.meta.url));
const deliveryModule = fileURLToPath(new URL('../../main/delivery/index.ts', import.meta.url));

function run(dir: string, url: string, mode: 'storm' | 'drain', killAfter: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child, dir, url, mode, deliveryModule], { stdio: ['ignore', 'pipe', 'pipe'] });
    const committed: string[] = [];
    let buffered = '';
    let stderr = '';
    let done = false;
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith('committed ')) committed.push(line.slice('committed '.length));
        if ((line === 'drained' || (mode === 'storm' && committed.length >= killAfter)) && !done) {
          done = true;
          proc.kill('SIGKILL');
        }
      }
    });
    proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    proc.on('error', reject);
    proc.on('close', () => (done ? resolve(committed) : reject(new Error(`child ended on its own: ${stderr}`))));
  });
}

describe('crash loop during an event storm', () => {
  it('50 SIGKILLs: every committed change reaches the receiver for every webhook; duplicates only under the same webhook-id', { timeout: 240_000 }, async () => {
    const dir = await tempDir();
    const r = await receiver({ reply: { status: 200, delayMs: 2 }, maxRequests: 1_000_000 });
    const committed = new Set<string>();
    let seed = 12345;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    for (let kill = 0; kill < 50; kill++) {
      for (const c of await run(dir, r.url, 'storm', 1 + Math.floor(random() * 40))) committed.add(c);
    }
    await run(dir, r.url, 'drain', 0);

    const idsByChange = new Map<string, Set<string>>();
    for (const q of r.requests()) {
      const body = JSON.parse(q.body) as { deviceUdid: string; deviceName: string };
      const key = `${q.path} ${body.deviceUdid} ${body.deviceName.slice(1)}`;
      const ids = idsByChange.get(key) ?? new Set<string>();
      ids.add(q.headers['webhook-id'] ?? '');
      idsByChange.set(key, ids);
    }
    expect(committed.size).toBeGreaterThan(100);
    const missing = [...committed].flatMap((c) => ['/h1', '/h2'].map((h) => `${h} ${c}`)).filter((k) => !idsByChange.has(k));
    expect(missing).toEqual([]);
    const twoIds = [...idsByChange].filter(([, ids]) => ids.size > 1);
    expect(twoIds).toEqual([]);
  });
});
