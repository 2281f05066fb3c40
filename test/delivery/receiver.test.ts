import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { startReceiver } from '../../main/delivery/receiver';
import type { ReceivedRequest } from '../../main/delivery/receiver';
import { generateSecret, signatureHeaders } from '../../main/delivery/signing';
import { post, receiver } from '../support/delivery';

describe('test receiver', () => {
  it('listens on 127.0.0.1 only, on the port it reports, and answers 200 {"ok":true} by default', async () => {
    const r = await receiver();
    expect(r.port).toBeGreaterThan(0);
    expect(r.url).toBe(`http://127.0.0.1:${r.port}`);
    const answer = await post(`${r.url}/hooks/a?x=1`, '{"a":1}', { 'x-custom': 'yes' });
    expect(answer).toEqual({ status: 200, body: '{"ok":true}' });
    const [req] = r.requests();
    expect(req).toMatchObject({ n: 1, method: 'POST', path: '/hooks/a?x=1', body: '{"a":1}', signature: { status: 'no-secret' }, answeredStatus: 200 });
    expect(req?.headers['x-custom']).toBe('yes');
    expect(typeof req?.receivedAt).toBe('number');
  });

  it('checks signatures with the global or per-path secrets: valid, invalid, no secret', async () => {
    const global = generateSecret();
    const pathSecret = generateSecret();
    const r = await receiver({ secrets: [global], secretsByPath: { '/special': [pathSecret] } });
    const body = '{"eventType":"DEVICE"}';
    const ts = Math.floor(Date.now() / 1000);
    await post(`${r.url}/x`, body, signatureHeaders({ id: 'msg_1', timestamp: ts, body, secret: global }));
    await post(`${r.url}/x`, body, signatureHeaders({ id: 'msg_2', timestamp: ts, body: `${body} `, secret: global }));
    await post(`${r.url}/special?q`, body, signatureHeaders({ id: 'msg_3', timestamp: ts, body, secret: pathSecret }));
    await post(`${r.url}/special`, body, signatureHeaders({ id: 'msg_4', timestamp: ts, body, secret: global }));
    await post(`${r.url}/x`, body, signatureHeaders({ id: 'msg_5', timestamp: ts - 3600, body, secret: global }));
    r.setSecrets([]);
    await post(`${r.url}/x`, body);
    expect(r.requests().map((q) => q.signature)).toEqual([
      { status: 'valid', secretIndex: 0 },
      { status: 'invalid', reason: 'no-match' },
      { status: 'valid', secretIndex: 0 },
      { status: 'invalid', reason: 'no-match' },
      { status: 'invalid', reason: 'too-old' },
      { status: 'no-secret' },
    ]);
  });

  it('answers with the configured status, body and delay; tells listeners live; keeps a bounded list', async () => {
    const r = await receiver({ maxRequests: 3 });
    const heard: ReceivedRequest[] = [];
    const off = r.onRequest((q) => heard.push(q));
    r.setReply({ status: 503, body: 'busy', headers: { 'retry-after': '7' }, delayMs: 30 });
    const answer = await post(r.url, 'one');
    expect(answer).toEqual({ status: 503, body: 'busy' });
    r.setReply({});
    for (const b of ['two', 'three', 'four']) await post(r.url, b);
    off();
    await post(r.url, 'five');
    expect(heard.map((q) => q.body)).toEqual(['one', 'two', 'three', 'four']);
    expect(r.requests().map((q) => [q.n, q.body])).toEqual([
      [3, 'three'],
      [4, 'four'],
      [5, 'five'],
    ]);
    r.clear();
    expect(r.requests()).toEqual([]);
  });

  it('close() ends keep-alive connections and pending delayed answers, so nothing keeps the process alive', async () => {
    const r = await startReceiver({ reply: { delayMs: 60_000 } });
    const agent = new http.Agent({ keepAlive: true });
    const pending = post(r.url, 'x', {}, agent).catch((e: Error) => e);
    await new Promise<void>((resolve) => r.onRequest(() => resolve()));
    await r.close();
    expect(await pending).toBeInstanceOf(Error);
    agent.destroy();
    await expect(post(r.url, 'again')).rejects.toThrow(/ECONNREFUSED/);
  });
});
