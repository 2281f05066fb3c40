// The baselines of the throughput phase, and the alternative client it tries.
//   bareAxiosLoop: the app's axios client (createAxiosClient: same agent, same request config), posting
//                  the same bodies with the same concurrency, and nothing else.
//   bareHttpLoop:  node:http with a keep-alive agent of the same size, same bodies, same concurrency.
//   createNodeHttpClient: an HttpClient over node:http, to show what DeviceHooks would gain with it.
//   createStockAxiosClient: stock axios (its own http adapter), the "bare stock axios" baseline.
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import axios from 'axios';
import { HttpAbortedError, HttpTimeoutError, RESPONSE_BODY_LIMIT } from '../../main/delivery/index';
import type { HttpClient, HttpRequest, HttpResponse } from '../../main/delivery/index';

export interface Post {
  url: string;
  body: string;
}

/** Runs `concurrency` workers over `posts`; resolves with the elapsed ms once every answer is in. */
async function loop(posts: readonly Post[], concurrency: number, send: (post: Post) => Promise<number>): Promise<{ ms: number; failed: number }> {
  let next = 0;
  let failed = 0;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      const post = posts[i];
      if (post === undefined) return;
      try {
        const status = await send(post);
        if (status < 200 || status >= 300) failed++;
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { ms: performance.now() - t0, failed };
}

export function bareAxiosLoop(client: HttpClient, posts: readonly Post[], concurrency: number, userAgent: string): Promise<{ ms: number; failed: number }> {
  return loop(posts, concurrency, async (post) => {
    const response = await client.send({
      method: 'POST',
      url: post.url,
      headers: { 'Content-Type': 'application/json', 'User-Agent': userAgent },
      body: post.body,
      timeoutMs: 10_000,
    });
    return response.status;
  });
}

export function bareHttpLoop(agent: http.Agent, posts: readonly Post[], concurrency: number, userAgent: string): Promise<{ ms: number; failed: number }> {
  return loop(
    posts,
    concurrency,
    (post) =>
      new Promise<number>((resolve, reject) => {
        const body = Buffer.from(post.body, 'utf8');
        const req = http.request(
          post.url,
          { method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'User-Agent': userAgent, 'Content-Length': body.length } },
          (res) => {
            res.on('data', () => undefined);
            res.on('end', () => resolve(res.statusCode ?? 0));
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(body);
      }),
  );
}

/**
 * The HttpClient contract (any status is an answer, no redirects followed, first 16 KiB of the body
 * kept, whole-attempt timeout, abort) over node:http. Not part of the app: the bench's measure of
 * what the client costs. Plain http only (the bench's receiver is on loopback).
 */
export function createNodeHttpClient(maxSocketsPerHost = 16): HttpClient & { close(): void } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: maxSocketsPerHost });
  return {
    send(request: HttpRequest): Promise<HttpResponse> {
      return new Promise<HttpResponse>((resolve, reject) => {
        const body = Buffer.from(request.body, 'utf8');
        let settled = false;
        const finish = (error: unknown, response?: HttpResponse): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          request.signal?.removeEventListener('abort', onAbort);
          if (response) resolve(response);
          else reject(error);
        };
        const req = http.request(request.url, { method: request.method, agent, headers: { ...request.headers, 'Content-Length': String(body.length) } }, (res) => {
          const parts: Buffer[] = [];
          let size = 0;
          let truncated = false;
          res.on('data', (chunk: Buffer) => {
            if (size < RESPONSE_BODY_LIMIT) parts.push(chunk);
            size += chunk.length;
            if (size > RESPONSE_BODY_LIMIT && !truncated) {
              truncated = true;
              res.destroy();
              finish(undefined, { status: res.statusCode ?? 0, headers: flatten(res.headers), body: Buffer.concat(parts).subarray(0, RESPONSE_BODY_LIMIT), truncated });
            }
          });
          res.on('end', () => finish(undefined, { status: res.statusCode ?? 0, headers: flatten(res.headers), body: Buffer.concat(parts), truncated: false }));
          res.on('error', (error) => finish(error));
        });
        const timer = setTimeout(() => {
          req.destroy(new HttpTimeoutError(request.timeoutMs));
        }, request.timeoutMs);
        const onAbort = (): void => {
          req.destroy(new HttpAbortedError());
        };
        if (request.signal?.aborted) onAbort();
        request.signal?.addEventListener('abort', onAbort, { once: true });
        req.on('error', (error) => finish(error));
        req.end(body);
      });
    },
    close(): void {
      agent.destroy();
    },
  };
}

function flatten(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function flattenHeaders(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!raw || typeof raw !== 'object') return out;
  const plain = typeof (raw as { toJSON?: unknown }).toJSON === 'function' ? (raw as { toJSON(): unknown }).toJSON() : raw;
  for (const [key, value] of Object.entries(plain as Record<string, unknown>)) {
    if (value === undefined || value === null) continue;
    out[key.toLowerCase()] = Array.isArray(value) ? value.map(String).join(', ') : String(value);
  }
  return out;
}

/** Reads at most `limit` bytes (+1 to know it was longer), then drops the rest of the stream. */
function readCapped(stream: Readable, limit: number, signal: AbortSignal): Promise<{ body: Buffer; truncated: boolean }> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (error?: unknown): void => {
      if (done) return;
      done = true;
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      signal.removeEventListener('abort', onAbort);
      // Whatever the stream says after we stopped listening must not become an uncaught 'error'.
      stream.on('error', () => undefined);
      if (error !== undefined) reject(error);
    };
    const onData = (chunk: Buffer | string): void => {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      parts.push(buf);
      size += buf.length;
      if (size > limit) {
        finish();
        // The rest is not wanted: closing costs this keep-alive socket, reading on could cost megabytes.
        stream.destroy();
        resolve({ body: Buffer.concat(parts).subarray(0, limit), truncated: true });
      }
    };
    const onEnd = (): void => {
      finish();
      resolve({ body: Buffer.concat(parts), truncated: false });
    };
    const onError = (error: unknown): void => finish(error);
    const onAbort = (): void => {
      stream.destroy();
      finish(new HttpAbortedError());
    };
    if (signal.aborted) return onAbort();
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Stock axios as the app used it before it had a transport of its own: axios's own http adapter with
 * the same request config (keep-alive agents of 16 sockets, no redirects, no proxy, the body streamed
 * and capped at 16 KiB, a timer for the whole attempt). The bench's "bare stock axios" baseline.
 */
export function createStockAxiosClient(options: { maxSocketsPerHost?: number; maxBodyBytes?: number } = {}): HttpClient & { close(): void } {
  const maxSockets = options.maxSocketsPerHost ?? 16;
  const maxBodyBytes = options.maxBodyBytes ?? RESPONSE_BODY_LIMIT;
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets });
  const httpsAgent = new https.Agent({ keepAlive: true, maxSockets });
  const instance = axios.create();

  return {
    async send(request: HttpRequest): Promise<HttpResponse> {
      const controller = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, request.timeoutMs);
      const onOuterAbort = (): void => controller.abort();
      if (request.signal?.aborted) controller.abort();
      request.signal?.addEventListener('abort', onOuterAbort, { once: true });
      try {
        const response = await instance.request<Readable>({
          method: request.method,
          url: request.url,
          headers: request.headers,
          // A Buffer, and no transform: axios would otherwise re-parse and trim a JSON string.
          data: Buffer.from(request.body, 'utf8'),
          transformRequest: [(data: unknown) => data],
          responseType: 'stream',
          validateStatus: () => true,
          maxRedirects: 0,
          timeout: request.timeoutMs,
          transitional: { clarifyTimeoutError: true, silentJSONParsing: true, forcedJSONParsing: false },
          signal: controller.signal,
          httpAgent,
          httpsAgent,
          proxy: false,
          decompress: true,
        });
        const { body, truncated } = await readCapped(response.data, maxBodyBytes, controller.signal);
        return { status: response.status, headers: flattenHeaders(response.headers), body, truncated };
      } catch (error) {
        if (timedOut) throw new HttpTimeoutError(request.timeoutMs);
        if (request.signal?.aborted) throw new HttpAbortedError();
        throw error;
      } finally {
        clearTimeout(timer);
        request.signal?.removeEventListener('abort', onOuterAbort);
      }
    },
    close(): void {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
