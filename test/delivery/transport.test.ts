// The lean axios transport (main/delivery/transport.ts) through the app's client (createAxiosClient),
// against real loopback servers: plain http, and https with a certificate made for the test.
import { getEventListeners } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import axios, { AxiosError } from 'axios';
import selfsigned from 'selfsigned';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { classifyError, createAxiosClient } from '../../main/delivery/http';
import type { AxiosHttpClient, HttpRequest } from '../../main/delivery/http';
import { RESPONSE_BODY_LIMIT } from '../../main/delivery/history';
import { createTransport } from '../../main/delivery/transport';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

interface Served {
  url: string;
  /** every request's path, in order */
  paths: string[];
  /** distinct client sockets (by remote port) that sent requests */
  sockets: Set<number>;
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(handler: Handler, tls?: { key: string; cert: string }): Promise<Served> {
  const paths: string[] = [];
  const sockets = new Set<number>();
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    paths.push(req.url ?? '');
    sockets.add(req.socket.remotePort ?? 0);
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => handler(req, res, body));
  };
  const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, onRequest) : http.createServer(onRequest);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { url: `${tls ? 'https' : 'http'}://${tls ? 'localhost' : '127.0.0.1'}:${port}`, paths, sockets };
}

function client(options: Parameters<typeof createAxiosClient>[0] = {}): AxiosHttpClient {
  const c = createAxiosClient(options);
  cleanups.push(() => c.close());
  return c;
}

const post = (url: string, extra: Partial<HttpRequest> = {}): HttpRequest => ({
  method: 'POST',
  url,
  headers: { 'Content-Type': 'application/json', 'User-Agent': 'DeviceHooks/test' },
  body: '{"eventType":"DEVICE","deviceName":"Zoë 📱"}',
  timeoutMs: 5_000,
  ...extra,
});

async function rejection(promise: Promise<unknown>): Promise<AxiosError> {
  try {
    await promise;
  } catch (error) {
    expect(axios.isAxiosError(error)).toBe(true);
    return error as AxiosError;
  }
  throw new Error('expected the request to fail');
}

describe('the lean transport over node:http', () => {
  it('sends the exact bytes and headers, and answers with status, lower-case headers and the body', async () => {
    let seen: { method?: string; headers?: http.IncomingHttpHeaders; body?: string } = {};
    const s = await serve((req, res, body) => {
      seen = { method: req.method, headers: req.headers, body };
      res.writeHead(201, { 'Content-Type': 'application/json', 'X-Reply': 'yes' }).end('{"ok":true}');
    });
    const answer = await client().send(post(`${s.url}/hooks/1?x=1`));
    expect(answer.status).toBe(201);
    expect(answer.headers['x-reply']).toBe('yes');
    expect(answer.body.toString('utf8')).toBe('{"ok":true}');
    expect(answer.truncated).toBe(false);
    expect(s.paths).toEqual(['/hooks/1?x=1']);
    expect(seen.method).toBe('POST');
    expect(seen.body).toBe('{"eventType":"DEVICE","deviceName":"Zoë 📱"}');
    expect(seen.headers?.['content-length']).toBe(String(Buffer.byteLength(seen.body ?? '')));
    expect(seen.headers?.['user-agent']).toBe('DeviceHooks/test');
    expect(seen.headers?.['content-type']).toBe('application/json');
    // Nothing it would have to decode.
    expect(seen.headers?.['accept-encoding']).toBeUndefined();
  });

  it('reads a URL as node:http does: credentials become Basic auth, the query is kept, an IPv6 host is reached; each URL is parsed once and stays itself', async () => {
    const seen: { url?: string; authorization?: string; host?: string }[] = [];
    const s = await serve((req, res) => {
      seen.push({ url: req.url, authorization: req.headers.authorization, host: req.headers.host });
      res.end('ok');
    });
    const port = new URL(s.url).port;
    const c = client();
    await c.send(post(`http://lab%20user:p%40ss@127.0.0.1:${port}/hooks/a?team=qa&x=%20`));
    await c.send(post(`http://127.0.0.1:${port}/hooks/b`));
    // The same URL again (from the cache) and the first one again: each request goes where its own URL says.
    await c.send(post(`http://lab%20user:p%40ss@127.0.0.1:${port}/hooks/a?team=qa&x=%20`));
    expect(seen.map((r) => r.url)).toEqual(['/hooks/a?team=qa&x=%20', '/hooks/b', '/hooks/a?team=qa&x=%20']);
    expect(seen[0]?.authorization).toBe(`Basic ${Buffer.from('lab user:p@ss').toString('base64')}`);
    expect(seen[1]?.authorization).toBeUndefined();
    expect(seen[2]?.authorization).toBe(seen[0]?.authorization);

    const v6 = http.createServer((req, res) => res.end(req.headers.host ?? ''));
    const listening = await new Promise<boolean>((resolve) => {
      v6.once('error', () => resolve(false));
      v6.listen(0, '::1', () => resolve(true));
    });
    if (listening) {
      cleanups.push(() => new Promise<void>((resolve) => v6.close(() => resolve())));
      const v6port = (v6.address() as AddressInfo).port;
      const answer = await c.send(post(`http://[::1]:${v6port}/v6`));
      expect(answer.body.toString('utf8')).toBe(`[::1]:${v6port}`);
    }
  });

  it('reuses its keep-alive sockets: 20 requests one after the other go over one connection', async () => {
    const s = await serve((_req, res) => res.end('ok'));
    const c = client();
    for (let i = 0; i < 20; i++) expect((await c.send(post(`${s.url}/${i}`))).status).toBe(200);
    expect(s.paths).toHaveLength(20);
    expect(s.sockets.size).toBe(1);
  });

  it('keeps the first 16 KiB of a longer answer and says it was cut; exactly 16 KiB is whole', async () => {
    const s = await serve((req, res) => {
      if (req.url === '/exact') return void res.end(Buffer.alloc(RESPONSE_BODY_LIMIT, 0x61));
      // 1 MiB in chunks: far more than is kept.
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      const chunk = Buffer.alloc(64 * 1024, 0x62);
      for (let i = 0; i < 16; i++) res.write(chunk);
      res.end();
    });
    const c = client();
    const big = await c.send(post(`${s.url}/big`));
    expect(big.status).toBe(200);
    expect(big.truncated).toBe(true);
    expect(big.body.length).toBe(RESPONSE_BODY_LIMIT);
    expect(big.body.every((b) => b === 0x62)).toBe(true);
    const exact = await c.send(post(`${s.url}/exact`));
    expect(exact.truncated).toBe(false);
    expect(exact.body.length).toBe(RESPONSE_BODY_LIMIT);
  });

  it('follows no redirect: a 3xx is the answer the caller sees, and the Location is never asked for', async () => {
    const s = await serve((req, res) => {
      if (req.url === '/moved') return void res.writeHead(307, { Location: '/elsewhere' }).end();
      res.end('should not be reached');
    });
    const answer = await client().send(post(`${s.url}/moved`));
    expect(answer.status).toBe(307);
    expect(answer.headers['location']).toBe('/elsewhere');
    // With axios's default validateStatus, the same answer is an AxiosError carrying the response.
    const plain = axios.create({ adapter: client().axios.defaults.adapter });
    const error = await rejection(plain.post(`${s.url}/moved`, '{}'));
    expect(error.code).toBe(AxiosError.ERR_BAD_REQUEST);
    expect(error.response?.status).toBe(307);
    expect(s.paths).toEqual(['/moved', '/moved']);
  });

  it('times out the whole attempt with one timer: a body dribbling in never resets it', async () => {
    const s = await serve((_req, res) => {
      // Headers at once, then a byte every 20 ms, never ending: an idle-socket timeout would never fire.
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      const t = setInterval(() => res.write('.'), 20);
      res.on('close', () => clearInterval(t));
    });
    const c = client();
    const error = await rejection(c.send(post(s.url, { timeoutMs: 300 })));
    expect(error.code).toBe('ETIMEDOUT');
    expect(classifyError(error).errorClass).toBe('timeout');
    // axios's own convention without transitional.clarifyTimeoutError: ECONNABORTED, also a timeout.
    const unclarified = axios.create({ adapter: c.axios.defaults.adapter, timeout: 300 });
    const again = await rejection(unclarified.post(s.url, '{}'));
    expect(again.code).toBe('ECONNABORTED');
    expect(classifyError(again).errorClass).toBe('timeout');
  });

  it('a server that never answers times out too', async () => {
    const s = await serve(() => undefined);
    const error = await rejection(client().send(post(s.url, { timeoutMs: 200 })));
    expect(error.code).toBe('ETIMEDOUT');
  });

  it('a refused connection is ECONNREFUSED, classified "refused"', async () => {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const error = await rejection(client().send(post(`http://127.0.0.1:${port}/`)));
    expect(error.code).toBe('ECONNREFUSED');
    expect(error.message).toMatch(/ECONNREFUSED/);
    expect(classifyError(error)).toMatchObject({ errorClass: 'refused', label: 'Connection refused' });
  });

  it('a connection closed before the answer is a reset', async () => {
    const s = await serve((req) => req.socket.destroy());
    const error = await rejection(client().send(post(s.url)));
    expect(classifyError(error).errorClass).toBe('reset');
  });

  it('an abort cancels the request in flight (ERR_CANCELED), and one aborted before start sends nothing', async () => {
    const s = await serve(() => undefined);
    const c = client();
    const controller = new AbortController();
    const pending = c.send(post(s.url, { signal: controller.signal }));
    await vi.waitFor(() => expect(s.paths).toHaveLength(1), { timeout: 5_000, interval: 5 });
    controller.abort();
    const error = await rejection(pending);
    expect(error.code).toBe('ERR_CANCELED');
    expect(axios.isCancel(error)).toBe(true);
    const before = await rejection(c.send(post(`${s.url}/never`, { signal: AbortSignal.abort() })));
    expect(before.code).toBe('ERR_CANCELED');
    expect(s.paths).toEqual(['/']);
  });

  it('all requests in flight with one signal share one abort listener, and one abort cancels them all', async () => {
    const s = await serve(() => undefined);
    const c = client();
    const controller = new AbortController();
    const pending = Array.from({ length: 5 }, (_, i) => rejection(c.send(post(`${s.url}/${i}`, { signal: controller.signal }))));
    await vi.waitFor(() => expect(s.paths).toHaveLength(5), { timeout: 5_000, interval: 5 });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort();
    for (const error of await Promise.all(pending)) expect(error.code).toBe('ERR_CANCELED');
  });

  it('keeps axios as the interface: request interceptors run, and so do response interceptors', async () => {
    let seen: http.IncomingHttpHeaders = {};
    const s = await serve((req, res) => {
      seen = req.headers;
      res.end('fine');
    });
    const c = client();
    c.axios.interceptors.request.use((config) => {
      config.headers.set('X-Intercepted', 'request');
      return config;
    });
    c.axios.interceptors.response.use((response) => {
      response.headers['x-seen-by'] = 'interceptor';
      return response;
    });
    const answer = await c.send(post(s.url));
    expect(seen['x-intercepted']).toBe('request');
    expect(answer.headers['x-seen-by']).toBe('interceptor');
  });

  it('without interceptors, sends through the adapter what axios would: the same headers in the same order, body and answer', async () => {
    const seen: { raw: string[]; body: string }[] = [];
    const s = await serve((req, res, body) => {
      seen.push({ raw: req.rawHeaders, body });
      res.setHeader('Set-Cookie', ['a=1', 'b=2']);
      res.setHeader('X-Answer', 'yes');
      res.end('answer');
    });
    const request = post(s.url, { headers: { 'X-Team': 'lab', 'Content-Type': 'application/json', 'User-Agent': 'DeviceHooks/test', 'webhook-id': 'msg_1' } });
    const direct = client();
    const full = client();
    full.axios.interceptors.request.use((config) => config);
    const spy = vi.spyOn(direct.axios, 'request');
    const a = await direct.send(request);
    const b = await full.send(request);
    expect(spy).not.toHaveBeenCalled();
    expect(seen[0]).toEqual(seen[1]);
    expect(seen[0]?.raw.filter((_, i) => i % 2 === 0)).toEqual(seen[1]?.raw.filter((_, i) => i % 2 === 0));
    expect(seen[0]?.raw.slice(0, 2)).toEqual(['Accept', 'application/json, text/plain, */*']);
    expect({ ...a, headers: { ...a.headers, date: '' } }).toEqual({ ...b, headers: { ...b.headers, date: '' } });
    expect(a.headers['set-cookie']).toBe('a=1, b=2');
  });

  it('without interceptors, the headers are what axios makes of them, case by case, and each request keeps its own values', async () => {
    const seen: string[][] = [];
    const s = await serve((req, res) => {
      seen.push(req.rawHeaders);
      res.end('ok');
    });
    const direct = client();
    const full = client();
    full.axios.interceptors.request.use((config) => config);
    for (const c of [direct, full]) {
      // Defaults in every place axios reads them from: a value set to false blocks the name for good.
      c.axios.defaults.headers.common['X-Blocked'] = false;
      c.axios.defaults.headers.post['X-From-Post'] = 'post bucket';
      (c.axios.defaults.headers as unknown as Record<string, string>)['X-Outside'] = 'outside any bucket';
    }
    const cases: Record<string, string>[] = [
      // one name in two cases (the first spelling stays, the last value wins), values axios trims and cleans
      { 'x-team': 'first', 'X-Team': 'second', 'X-Spaced': '  padded\t', 'X-Bell': 'ri\u0007ng', 'X-Tab': 'a\tb', 'x-blocked': 'never sent', 'User-Agent': 'DeviceHooks/test' },
      // no Content-Type (axios's default for a POST), a length and an encoding the transport sets or drops itself
      { 'Content-Length': '999', 'Accept-Encoding': 'gzip', 'x-from-post': 'request wins' },
      // the first shape again with other values: the same names, this request's values
      { 'x-team': 'third', 'X-Team': 'fourth', 'X-Spaced': 'plain', 'X-Bell': 'quiet', 'X-Tab': 'c', 'x-blocked': 'still not', 'User-Agent': 'DeviceHooks/again' },
    ];
    for (const headers of cases) {
      await direct.send(post(s.url, { headers }));
      await full.send(post(s.url, { headers }));
    }
    expect(seen).toHaveLength(6);
    for (let i = 0; i < cases.length; i++) expect(seen[2 * i]).toEqual(seen[2 * i + 1]);
    const pairs = (raw: string[] | undefined): [string, string][] => (raw ?? []).flatMap((v, i, all) => (i % 2 === 0 ? [[v, all[i + 1] ?? '']] : [])) as [string, string][];
    const first = pairs(seen[0]);
    expect(first.filter(([n]) => n.toLowerCase() === 'x-team')).toEqual([['x-team', 'second']]);
    expect(first).toContainEqual(['X-Spaced', 'padded']);
    expect(first).toContainEqual(['X-Bell', 'ring']);
    expect(first).toContainEqual(['X-Tab', 'a\tb']);
    expect(first.some(([n]) => n.toLowerCase() === 'x-blocked')).toBe(false);
    expect(first).toContainEqual(['X-Outside', 'outside any bucket']);
    const second = pairs(seen[2]);
    expect(second).toContainEqual(['Content-Type', 'application/x-www-form-urlencoded']);
    expect(second.filter(([n]) => n.toLowerCase() === 'content-length')).toEqual([['Content-Length', String(Buffer.byteLength(post(s.url).body))]]);
    expect(second.some(([n]) => n.toLowerCase() === 'accept-encoding')).toBe(false);
    expect(second.filter(([n]) => n.toLowerCase() === 'x-from-post')).toEqual([['X-From-Post', 'request wins']]);
    const third = pairs(seen[4]);
    expect(third.filter(([n]) => n.toLowerCase() === 'x-team')).toEqual([['x-team', 'fourth']]);
    expect(third).toContainEqual(['User-Agent', 'DeviceHooks/again']);
  });

  it('without interceptors, errors are the same AxiosErrors: timeout, aborted in flight, aborted before', async () => {
    const hang = await serve(() => undefined);
    const direct = client();
    const full = client();
    full.axios.interceptors.response.use((r) => r);
    const timeout = post(hang.url, { timeoutMs: 100 });
    for (const c of [direct, full]) {
      const t = await rejection(c.send(timeout));
      expect([t.code, classifyError(t).errorClass]).toEqual(['ETIMEDOUT', 'timeout']);
      const controller = new AbortController();
      const pending = rejection(c.send(post(hang.url, { signal: controller.signal })));
      controller.abort();
      expect((await pending).code).toBe('ERR_CANCELED');
      const aborted = new AbortController();
      aborted.abort();
      expect((await rejection(c.send(post(hang.url, { signal: aborted.signal })))).code).toBe('ERR_CANCELED');
    }
  });

  it('refuses a body it cannot send as bytes (a stream) with a clear AxiosError, before connecting', async () => {
    const s = await serve((_req, res) => res.end());
    const { adapter, close } = createTransport();
    cleanups.push(close);
    const { Readable } = await import('node:stream');
    const error = await rejection(axios.create({ adapter, transformRequest: [] }).post(s.url, Readable.from(['x'])));
    expect(error.code).toBe(AxiosError.ERR_BAD_REQUEST);
    expect(error.message).toMatch(/string, a Buffer/);
    expect(s.paths).toEqual([]);
  });
});

describe('the lean transport over node:https (TLS verification always on)', () => {
  let pem: { key: string; cert: string };
  beforeAll(async () => {
    const made = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
      keyType: 'ec',
      notAfterDate: new Date(Date.now() + 2 * 86_400_000),
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }] }],
    });
    pem = { key: made.private, cert: made.cert };
  });

  it('refuses a self-signed certificate (classified "tls"), even with NODE_TLS_REJECT_UNAUTHORIZED=0', async () => {
    const s = await serve((_req, res) => res.end('secret'), pem);
    const error = await rejection(client().send(post(s.url)));
    expect(error.code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(classifyError(error).errorClass).toBe('tls');
    const saved = process.env['NODE_TLS_REJECT_UNAUTHORIZED'];
    process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = '0';
    try {
      const still = await rejection(client().send(post(s.url)));
      expect(classifyError(still).errorClass).toBe('tls');
    } finally {
      if (saved === undefined) delete process.env['NODE_TLS_REJECT_UNAUTHORIZED'];
      else process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = saved;
    }
    expect(s.paths).toEqual([]);
  });

  it('with the certificate given as the CA: verified, answered, and the connection kept alive', async () => {
    const s = await serve((_req, res) => res.end('hello over tls'), pem);
    const c = client({ ca: pem.cert });
    for (let i = 0; i < 5; i++) {
      const answer = await c.send(post(`${s.url}/${i}`));
      expect(answer.status).toBe(200);
      expect(answer.body.toString()).toBe('hello over tls');
    }
    expect(s.sockets.size).toBe(1);
  });

  it('the CA does not excuse a name mismatch: 127.0.0.1 is not in the certificate', async () => {
    const s = await serve((_req, res) => res.end('x'), pem);
    const error = await rejection(client({ ca: pem.cert }).send(post(s.url.replace('localhost', '127.0.0.1'))));
    expect(error.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(classifyError(error).errorClass).toBe('tls');
  });
});
