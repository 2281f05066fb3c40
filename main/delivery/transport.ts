// A lean axios adapter over node:http / node:https: axios stays the interface (config, interceptors,
// AxiosError codes), this file only moves the bytes. What it does, and nothing more:
//   - keep-alive agents of its own (one for http, one for https), `maxSocketsPerHost` sockets per host;
//   - TLS verification always on: `rejectUnauthorized: true` on every request, whatever an agent or
//     NODE_TLS_REJECT_UNAUTHORIZED says; a private CA can be trusted with `ca` (it replaces the default
//     list, as in node:tls), never by turning verification off;
//   - no redirect following: a 3xx is an answer like any other (validateStatus decides);
//   - the response body is read from the stream and at most `maxBodyBytes` are kept; past that the
//     response is dropped (the socket with it) and the result says `truncated: true`;
//   - one timer for the whole attempt (connect, send, headers and body): `config.timeout` ms;
//   - no proxy (not even from HTTP(S)_PROXY), no decompression (no Accept-Encoding is sent), the body is
//     always a Buffer (responseType is not read).
// Errors are the AxiosErrors axios's own http adapter gives: a network error keeps its system code
// (ECONNREFUSED, ECONNRESET, ENOTFOUND, a TLS code…) with the Node error as `cause`; a timeout is
// ETIMEDOUT with `transitional.clarifyTimeoutError`, ECONNABORTED without; an abort is a CanceledError
// (ERR_CANCELED); a status validateStatus refuses is ERR_BAD_REQUEST (4xx) / ERR_BAD_RESPONSE (5xx).
import http from 'node:http';
import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import axios, { AxiosError, CanceledError } from 'axios';
import type { AxiosAdapter, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import { RESPONSE_BODY_LIMIT } from './history';

export interface TransportOptions {
  /** Sockets per host in each keep-alive agent. Default 16. */
  maxSocketsPerHost?: number;
  /** Response bytes kept. Default 16 KiB. */
  maxBodyBytes?: number;
  /** Certificate authorities to trust for https instead of the default ones (verification stays on). */
  ca?: string | Buffer | (string | Buffer)[];
}

/** What the adapter resolves with: axios's response, the body a Buffer, and whether it was cut. */
export interface TransportResponse extends AxiosResponse<Buffer> {
  truncated: boolean;
}

export interface Transport {
  adapter: AxiosAdapter;
  /**
   * What the adapter does once the headers are flattened: `headers` are the names and values to send,
   * without Content-Length (set here from the body) and Accept-Encoding (never sent), and become the
   * request's own (Content-Length is added to them). The app's client calls it directly when no
   * interceptor is registered (main/delivery/http.ts); `config` is what errors and the response carry.
   */
  send(config: InternalAxiosRequestConfig, headers: OutgoingHttpHeaders): Promise<TransportResponse>;
  readonly httpAgent: http.Agent;
  readonly httpsAgent: https.Agent;
  /** Closes the agents' sockets. */
  close(): void;
}

const EMPTY = Buffer.alloc(0);

// A string stays a string: node:http then sends the head and the body in one write.
function bodyOf(data: unknown, config: InternalAxiosRequestConfig): string | Buffer {
  if (data === undefined || data === null) return EMPTY;
  if (typeof data === 'string') return data;
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  throw new AxiosError('The request body must be a string, a Buffer, an ArrayBuffer or a typed array (streams and forms are not supported)', AxiosError.ERR_BAD_REQUEST, config);
}

function urlOf(config: InternalAxiosRequestConfig): string {
  // The common case (an absolute URL, no params) without axios's URL building.
  const plain = config.baseURL === undefined && config.params === undefined && typeof config.url === 'string';
  return plain ? (config.url as string) : axios.getUri(config);
}

/** Where a URL points: the fields node:http's own urlToHttpOptions() gives http.request(url, …) and a request reads. */
interface Target {
  secure: boolean;
  protocol: string;
  hostname: string;
  port: number | undefined;
  path: string;
  auth: string | undefined;
}

/**
 * The request options of a URL, parsed once per URL: a webhook posts to the same URL every time, and
 * parsing it (WHATWG URL, then node:http's conversion) costs as much as the rest of the bookkeeping.
 * The same fields node:http itself takes from a URL object given to http.request (its urlToHttpOptions):
 * the host without IPv6 brackets, the path with the query, the port, and user:password as Basic auth.
 */
class Targets {
  private readonly known = new Map<string, Target>();

  of(url: string): Target {
    const cached = this.known.get(url);
    if (cached) return cached;
    const u = new URL(url);
    const target: Target = {
      secure: u.protocol === 'https:',
      protocol: u.protocol,
      hostname: u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname,
      port: u.port !== '' ? Number(u.port) : undefined,
      path: `${u.pathname}${u.search}`,
      auth: u.username || u.password ? `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}` : undefined,
    };
    // Webhook URLs are few; a client fed ever new URLs starts over rather than grow without bound.
    if (this.known.size >= 256) this.known.clear();
    this.known.set(url, target);
    return target;
  }
}

/** Whether this transport sets or drops a header itself: the length is ours to set, and it never decodes a compressed answer. */
export function isTransportHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return lower === 'content-length' || lower === 'accept-encoding';
}

/** The headers of an axios config as sent: unset values (false / null / undefined) and the transport's own left out. */
function headersOf(config: InternalAxiosRequestConfig): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  // toJSON(): AxiosHeaders without the values axios marks as unset.
  const all = config.headers.toJSON() as Record<string, string | string[]>;
  for (const name in all) if (!isTransportHeader(name)) out[name] = all[name];
  return out;
}

/**
 * One 'abort' listener per signal, whatever the number of requests in flight with it: the dispatcher
 * passes the same signal to every attempt, and adding and removing an EventTarget listener per
 * request costs more than the rest of the bookkeeping.
 */
class AbortWatch {
  private readonly waiting = new WeakMap<AbortSignal, Set<() => void>>();

  /** Calls `onAbort` once if `signal` aborts; the returned function stops watching. */
  watch(signal: AbortSignal, onAbort: () => void): () => void {
    let set = this.waiting.get(signal);
    if (!set) {
      const callbacks = new Set<() => void>();
      set = callbacks;
      this.waiting.set(signal, callbacks);
      signal.addEventListener(
        'abort',
        () => {
          for (const callback of [...callbacks]) callback();
          callbacks.clear();
        },
        { once: true },
      );
    }
    const callbacks = set;
    callbacks.add(onAbort);
    return () => void callbacks.delete(onAbort);
  }
}

const noop = (): void => undefined;

export function createTransport(options: TransportOptions = {}): Transport {
  const maxSockets = options.maxSocketsPerHost ?? 16;
  const limit = options.maxBodyBytes ?? RESPONSE_BODY_LIMIT;
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets });
  const httpsAgent = new https.Agent({ keepAlive: true, maxSockets, rejectUnauthorized: true, ...(options.ca !== undefined ? { ca: options.ca } : {}) });
  const aborts = new AbortWatch();
  const targets = new Targets();

  const send = (config: InternalAxiosRequestConfig, headers: OutgoingHttpHeaders): Promise<TransportResponse> =>
    new Promise<TransportResponse>((resolve, reject) => {
      let target: Target;
      let body: string | Buffer;
      try {
        target = targets.of(urlOf(config));
        body = bodyOf(config.data, config);
      } catch (error) {
        reject(error instanceof AxiosError ? error : AxiosError.from(error as Error, AxiosError.ERR_INVALID_URL, config));
        return;
      }
      const { secure } = target;
      if (!secure && target.protocol !== 'http:') {
        reject(new AxiosError(`Unsupported protocol ${target.protocol}`, AxiosError.ERR_BAD_REQUEST, config));
        return;
      }
      const signal = config.signal as AbortSignal | undefined;
      if (signal?.aborted) {
        reject(new CanceledError(undefined, config));
        return;
      }

      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      let req: ClientRequest | undefined;
      let unwatch = noop;
      const settle = (error: unknown, response?: TransportResponse): void => {
        if (settled) return;
        settled = true;
        if (timer !== undefined) clearTimeout(timer);
        unwatch();
        if (response === undefined) reject(error);
        else resolve(response);
      };
      // A failure we raise ourselves: settle first (so the error the destroy causes is ignored), then close.
      const fail = (error: AxiosError): void => {
        settle(error);
        req?.destroy();
      };
      const onAbort = (): void => fail(new CanceledError(undefined, config, req));

      const onResponse = (res: IncomingMessage): void => {
        const parts: Buffer[] = [];
        let size = 0;
        const answer = (data: Buffer, truncated: boolean): void => {
          const status = res.statusCode ?? 0;
          const response: TransportResponse = {
            data,
            status,
            statusText: res.statusMessage ?? '',
            // dispatchRequest turns these into AxiosHeaders.
            headers: res.headers as TransportResponse['headers'],
            config,
            request: req,
            truncated,
          };
          const valid = config.validateStatus;
          if (!valid || valid(status)) settle(undefined, response);
          else settle(new AxiosError(`Request failed with status code ${status}`, status >= 500 ? AxiosError.ERR_BAD_RESPONSE : AxiosError.ERR_BAD_REQUEST, config, req, response));
        };
        res.on('data', (chunk: Buffer) => {
          if (settled) return;
          size += chunk.length;
          if (size <= limit) {
            parts.push(chunk);
            return;
          }
          // The rest is not wanted: closing costs this keep-alive socket, reading on could cost megabytes.
          parts.push(chunk.subarray(0, chunk.length - (size - limit)));
          answer(parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts), true);
          res.destroy();
        });
        res.on('end', () => answer(parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, size), false));
        res.on('error', (error) => settle(AxiosError.from(error, undefined, config, req)));
        // Neither 'end' nor 'error' (a socket closed under a half-read body): still an answer to give.
        res.on('close', () => {
          if (!settled) settle(new AxiosError('The connection closed before the whole response was read', 'ECONNRESET', config, req));
        });
      };

      headers['Content-Length'] = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
      const options: https.RequestOptions = {
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        path: target.path,
        auth: target.auth,
        method: config.method === 'post' ? 'POST' : (config.method ?? 'get').toUpperCase(),
        headers,
        agent: secure ? httpsAgent : httpAgent,
      };
      if (secure) options.rejectUnauthorized = true;
      try {
        req = (secure ? https : http).request(options, onResponse);
      } catch (error) {
        // Invalid header names or values are refused here, before anything is sent.
        settle(AxiosError.from(error as Error, AxiosError.ERR_BAD_REQUEST, config));
        return;
      }
      req.on('error', (error) => settle(AxiosError.from(error, undefined, config, req)));
      const timeout = config.timeout ?? 0;
      if (timeout > 0) {
        timer = setTimeout(() => {
          const clarify = config.transitional?.clarifyTimeoutError === true;
          fail(new AxiosError(config.timeoutErrorMessage ?? `timeout of ${timeout}ms exceeded`, clarify ? AxiosError.ETIMEDOUT : AxiosError.ECONNABORTED, config, req));
        }, timeout);
      }
      if (signal) unwatch = aborts.watch(signal, onAbort);
      req.end(body);
    });

  const adapter: AxiosAdapter = (config) => {
    let headers: OutgoingHttpHeaders;
    try {
      headers = headersOf(config);
    } catch (error) {
      return Promise.reject(AxiosError.from(error as Error, AxiosError.ERR_BAD_REQUEST, config));
    }
    return send(config, headers);
  };

  return {
    adapter,
    send,
    httpAgent,
    httpsAgent,
    close(): void {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
