// The test receiver is reachable by any web page the user opens (it listens on 127.0.0.1): it refuses
// requests whose Host is not its own address (DNS rebinding) or that carry a browser Origin, and it caps
// the memory its kept requests use by bytes, not only by count.
import { describe, expect, it } from 'vitest';
import { RECEIVER_MAX_KEPT_BYTES } from '../../main/delivery/receiver';
import { post, receiver } from '../support/delivery';

/** POSTs to the receiver on 127.0.0.1:`port` (the headers may name another Host). */
function send(port: number, path: string, body: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return post(`http://127.0.0.1:${port}${path}`, body, headers);
}

describe('test receiver: who may talk to it', () => {
  it('accepts its own address as Host (127.0.0.1 or localhost with its port)', async () => {
    const r = await receiver();
    expect((await send(r.port, '/a', '{}', { host: `127.0.0.1:${r.port}` })).status).toBe(200);
    expect((await send(r.port, '/b', '{}', { host: `localhost:${r.port}` })).status).toBe(200);
    expect(r.requests().map((q) => q.path)).toEqual(['/a', '/b']);
  });

  it('refuses another Host (a rebound name, another port), and keeps nothing of it', async () => {
    const r = await receiver();
    for (const host of ['evil.example', `evil.example:${r.port}`, `127.0.0.1:${r.port + 1}`, '127.0.0.1', `127.0.0.1.evil.example:${r.port}`]) {
      const answer = await send(r.port, '/x', '{"secret":1}', { host });
      expect(answer.status, host).toBe(403);
      expect(answer.body).toMatch(/Host/);
    }
    expect(r.requests()).toEqual([]);
  });

  it('refuses a request with a browser Origin, whatever it is', async () => {
    const r = await receiver();
    for (const origin of ['https://evil.example', 'null', `http://127.0.0.1:${r.port}`]) {
      const answer = await send(r.port, '/x', '{}', { host: `127.0.0.1:${r.port}`, origin });
      expect(answer.status, origin).toBe(403);
      expect(answer.body).toMatch(/browser/);
    }
    expect(r.requests()).toEqual([]);
  });

  it('caps the memory of kept requests by bytes: the oldest go first', async () => {
    const r = await receiver({ maxKeptBytes: 100_000 });
    const body = 'x'.repeat(30_000);
    for (let i = 0; i < 10; i++) await send(r.port, `/n${i}`, body, { host: `127.0.0.1:${r.port}` });
    const kept = r.requests();
    expect(kept.length).toBeLessThan(10);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.reduce((sum, q) => sum + q.body.length, 0)).toBeLessThanOrEqual(100_000);
    expect(kept.at(-1)?.path).toBe('/n9');
    // The default is a bounded figure.
    expect(RECEIVER_MAX_KEPT_BYTES).toBeGreaterThan(0);
    expect(RECEIVER_MAX_KEPT_BYTES).toBeLessThanOrEqual(64 * 1024 * 1024);
  });
});
