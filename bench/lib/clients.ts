// The baselines of the throughput phase, and the alternative client it tries.
//   bareAxiosLoop: the app's axios client (createAxiosClient: same agent, same request config), posting
//                  the same bodies with the same concurrency, and nothing else.
//   bareHttpLoop:  node:http with a keep-alive agent of the same size, same bodies, same concurrency.
//   createNodeHttpClient: an HttpClient over node:http, to show what DeviceHooks would gain with it.
import http from 'node:http';
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
