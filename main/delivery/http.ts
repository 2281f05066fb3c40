// The HTTP client the dispatcher is given: an interface so a test can pass a fake, and an axios
// implementation for the app. Every status is an answer (validateStatus: () => true), redirects are
// not followed (a 3xx is a failure per Standard Webhooks), and only the first 16 KiB of a response
// body are kept (read from a stream, so a huge answer is never buffered whole).
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import axios from 'axios';
import type { AxiosInstance } from 'axios';
import { RESPONSE_BODY_LIMIT } from './history';
import type { ErrorClass } from './history';

export interface HttpRequest {
  method: 'POST';
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Whole attempt: connect, send, headers and the (capped) body. */
  timeoutMs: number;
  /** Aborts the request (used by stop()). */
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  /** lower-case names; repeated headers joined with ", " */
  headers: Record<string, string>;
  /** at most maxBodyBytes */
  body: Buffer;
  truncated: boolean;
}

export interface HttpClient {
  /** Resolves with any status; rejects on network errors and timeouts (see classifyError). */
  send(request: HttpRequest): Promise<HttpResponse>;
  close?(): void;
}

export class HttpTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(ms: number) {
    super(`no complete answer within ${ms} ms`);
    this.name = 'HttpTimeoutError';
  }
}

export class HttpAbortedError extends Error {
  readonly code = 'ERR_CANCELED';
  constructor() {
    super('request aborted');
    this.name = 'HttpAbortedError';
  }
}

export interface AxiosClientOptions {
  /** Sockets per host in the keep-alive agents. Default 16. */
  maxSocketsPerHost?: number;
  /** Response bytes kept. Default 16 KiB. */
  maxBodyBytes?: number;
  /**
   * axios reads HTTP(S)_PROXY from the environment unless told not to; a webhook to a LAN address
   * should not silently go through a proxy, so the default is false (no proxy). Pass a config to use one.
   */
  proxy?: false | { protocol?: string; host: string; port: number; auth?: { username: string; password: string } };
  /** For tests of the client itself. */
  instance?: AxiosInstance;
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
export function readCapped(stream: Readable, limit: number, signal: AbortSignal): Promise<{ body: Buffer; truncated: boolean }> {
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

export function createAxiosClient(options: AxiosClientOptions = {}): HttpClient & { close(): void } {
  const maxSockets = options.maxSocketsPerHost ?? 16;
  const maxBodyBytes = options.maxBodyBytes ?? RESPONSE_BODY_LIMIT;
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets });
  const httpsAgent = new https.Agent({ keepAlive: true, maxSockets });
  const instance = options.instance ?? axios.create();

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
          proxy: options.proxy ?? false,
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

export interface ClassifiedError {
  errorClass: ErrorClass;
  /** Plain label for the UI */
  label: string;
  detail: string;
}

const TLS_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'EPROTO',
  'HOSTNAME_MISMATCH',
]);

function codesOf(error: unknown): string[] {
  const codes: string[] = [];
  let e: unknown = error;
  for (let depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    e = (e as { cause?: unknown }).cause;
  }
  return codes;
}

/** Network error → class and plain label. HTTP answers are classified by the dispatcher ('http'). */
export function classifyError(error: unknown): ClassifiedError {
  const detail = error instanceof Error ? error.message : String(error);
  const codes = codesOf(error);
  const has = (...wanted: string[]): boolean => codes.some((c) => wanted.includes(c));
  if (error instanceof HttpTimeoutError || has('ETIMEDOUT', 'ECONNABORTED', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT')) {
    return { errorClass: 'timeout', label: 'Timeout', detail };
  }
  if (has('ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_NODATA', 'EAI_FAIL')) return { errorClass: 'dns', label: 'DNS', detail };
  if (has('ECONNREFUSED')) return { errorClass: 'refused', label: 'Connection refused', detail };
  if (codes.some((c) => TLS_CODES.has(c) || c.startsWith('ERR_TLS_') || c.startsWith('ERR_SSL_')) || /\b(SSL|TLS)\b/.test(detail)) {
    return { errorClass: 'tls', label: 'TLS', detail };
  }
  if (has('ECONNRESET', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET') || /socket hang up/i.test(detail)) {
    return { errorClass: 'reset', label: 'Connection reset', detail };
  }
  return { errorClass: 'other', label: 'Error', detail };
}
