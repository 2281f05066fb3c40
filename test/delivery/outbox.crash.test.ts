// A real crash: a child process enqueues as fast as it can and is SIGKILLed; every delivery whose
// enqueue() had resolved must be there when the outbox is opened again.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openOutbox } from '../../main/delivery/outbox';
import { tempDir } from '../support/delivery';

const child = fileURLToPath(new URL('./fixtures/enqueue-child.mjs', import.meta.url));
const outboxModule = fileURLToPath(new URL('../../main/delivery/outbox.ts', import.meta.url));

function runAndKill(dir: string, killAfter: number): Promise<{ confirmed: string[]; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child, dir, outboxModule], { stdio: ['ignore', 'pipe', 'pipe'] });
    const confirmed: string[] = [];
    let buffered = '';
    let stderr = '';
    let killed = false;
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) if (line.startsWith('ok ')) confirmed.push(line.slice(3));
      if (!killed && confirmed.length >= killAfter) {
        killed = true;
        proc.kill('SIGKILL');
      }
    });
    proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    proc.on('error', reject);
    // Lines already in the pipe when it died were confirmed too: 'close' comes after stdout has drained.
    proc.on('close', (_code, signal) => {
      if (!killed) reject(new Error(`child ended on its own: ${stderr}`));
      else resolve({ confirmed, signal });
    });
  });
}

describe('outbox after a killed process', () => {
  it('has every delivery enqueue() confirmed before SIGKILL, and accepts new ones', { timeout: 60_000 }, async () => {
    const dir = await tempDir();
    const all = new Set<string>();
    for (const killAfter of [150, 420, 777]) {
      const { confirmed, signal } = await runAndKill(dir, killAfter);
      expect(signal).toBe('SIGKILL');
      expect(confirmed.length).toBeGreaterThanOrEqual(killAfter);
      for (const id of confirmed) all.add(id);
      // Open between kills too: recovery must leave a journal the next crash can be recovered from.
      const outbox = await openOutbox({ dir });
      const present = new Set(outbox.list().map((d) => d.id));
      const missing = [...all].filter((id) => !present.has(id));
      expect(missing).toEqual([]);
      expect(outbox.openReport.badLines).toBe(0);
      for (const d of outbox.list()) expect((JSON.parse(d.body ?? '') as { pad: string }).pad).toHaveLength(3000);
      await outbox.close();
    }
  });
});
