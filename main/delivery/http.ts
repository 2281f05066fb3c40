// The HTTP client the dispatcher is given: an interface so a test can pass a fake, and an axios
// implementation for the app. axios is the interface (its config, interceptors and AxiosError codes);
// the bytes go through our own lean adapter (main/delivery/transport.ts: keep-alive node:http/https
// agents, TLS verification always on, no redirects followed, the response read from the stream and
// capped at 16 KiB, one timer for the whole attempt). Every status is an answer
// (validateStatus: () => true): a 3xx is a failure per Standard Webhooks, and it is not followed.
import axios, { AxiosHeaders, CanceledError } from 'axios';
import type { AxiosInstance, AxiosRequestConfig, InternalAxiosRequestConfig, RawAxiosRequestHeaders } from 'axios';
import type { OutgoingHttpHeaders } from 'node:http';
import type { ErrorClass } from './history';
import { createTransport, isTransportHeader } from './transport';
import type { TransportResponse } from './transport';

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
   * Certificate authorities trusted for https instead of the default ones (a private CA). TLS
   * verification itself cannot be turned off. No proxy is ever used (HTTP(S)_PROXY is not read): a
   * webhook to a LAN address must not silently go through one.
   */
  ca?: string | Buffer | (string | Buffer)[];
}

export interface AxiosHttpClient extends HttpClient {
  /**
   * The axios instance requests go through: add interceptors here. Its defaults are read once, when
   * the first request is sent (set them before, or change requests with an interceptor).
   */
  readonly axios: AxiosInstance;
  close(): void;
}

/** AxiosHeaders (or a plain object) → lower-case names, string values; unset values left out. */
function flattenHeaders(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!raw || typeof raw !== 'object') return out;
  const headers = raw as Record<string, unknown>;
  for (const key in headers) {
    if (!Object.prototype.hasOwnProperty.call(headers, key)) continue;
    const value = headers[key];
    if (value === undefined || value === null || value === false || typeof value === 'function') continue;
    out[key.toLowerCase()] = Array.isArray(value) ? value.map(String).join(', ') : String(value);
  }
  return out;
}

/** A value axios's header normalisation leaves as it is (a private-use character around an index). */
const PLACEHOLDER = /^\uE000(\d+)\uE000$/;
/** Header values axios would change (control characters dropped, spaces and tabs trimmed at the ends). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what it looks for
const NEEDS_AXIOS = /[\u0000-\u001f\u007f]|^[ \t]|[ \t]$/;

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** One header of a request's AxiosHeaders, in axios's order: its name as axios keeps it, and its value's source. */
interface PlannedHeader {
  key: string;
  /** the request header (by position among the request's names) whose value it takes, or none: `value` */
  from: number | undefined;
  value: unknown;
}

/**
 * The request headers as axios's dispatchRequest makes them for a POST (AxiosHeaders.concat of the
 * defaults' `common` and `post` buckets, the headers set outside any bucket and the request's own, then
 * a Content-Type if none), without running AxiosHeaders' per-header lookups for every request. Which
 * names a request has decides everything but the values: for each list of names, axios itself is run
 * once on placeholder values, and the plan it gives (the names it keeps, their case and order, which
 * value wins, what a default set to `false` blocks) is replayed with the request's values. A value that
 * axios would normalise is normalised by axios.
 */
class HeaderComposer {
  private readonly plans = new Map<string, PlannedHeader[]>();
  /** The last request's names and plan: a webhook's requests have the same names every time. */
  private last: { names: string[]; plan: PlannedHeader[] } | undefined;

  constructor(
    private readonly context: RawAxiosRequestHeaders,
    private readonly rest: RawAxiosRequestHeaders,
  ) {}

  /** `headers`: the request's AxiosHeaders (what axios would build); `sent`: what goes on the wire. */
  compose(request: Record<string, string>): { headers: AxiosHeaders; sent: OutgoingHttpHeaders } {
    const names = Object.keys(request);
    const plan = this.planFor(names);
    const headers = new AxiosHeaders() as AxiosHeaders & Record<string, unknown>;
    const sent: OutgoingHttpHeaders = {};
    for (const entry of plan) {
      let value = entry.value;
      if (entry.from !== undefined) {
        const raw = request[names[entry.from] as string];
        value = typeof raw === 'string' && !NEEDS_AXIOS.test(raw) ? raw : new AxiosHeaders({ v: raw as string }).get('v');
      }
      headers[entry.key] = value;
      if (value !== undefined && value !== null && value !== false && !isTransportHeader(entry.key)) sent[entry.key] = value as string | string[];
    }
    return { headers, sent };
  }

  private planFor(names: string[]): PlannedHeader[] {
    const last = this.last;
    if (last && sameNames(last.names, names)) return last.plan;
    const shape = names.join('\n');
    const known = this.plans.get(shape);
    if (known) {
      this.last = { names, plan: known };
      return known;
    }
    const probe: Record<string, string> = {};
    names.forEach((name, i) => (probe[name] = `\uE000${i}\uE000`));
    const built = AxiosHeaders.concat(this.context as AxiosHeaders, this.rest as AxiosHeaders, probe as unknown as AxiosHeaders);
    // What dispatchRequest does for a POST: a Content-Type if none was given (ours always gives one).
    built.setContentType('application/x-www-form-urlencoded', false);
    const slots = built as unknown as Record<string, unknown>;
    const plan = Object.keys(built).map((key): PlannedHeader => {
      const value = slots[key];
      const match = typeof value === 'string' ? PLACEHOLDER.exec(value) : null;
      return match ? { key, from: Number(match[1]), value: undefined } : { key, from: undefined, value };
    });
    // A client fed ever new header names starts over rather than grow without bound.
    if (this.plans.size >= 64) this.plans.clear();
    this.plans.set(shape, plan);
    this.last = { names, plan };
    return plan;
  }
}

/** The per-method header buckets of axios defaults (`headers.common`, `headers.post`, …). */
const METHOD_BUCKETS = new Set(['delete', 'get', 'head', 'post', 'put', 'patch', 'options', 'purge', 'link', 'unlink', 'query', 'common']);

export function createAxiosClient(options: AxiosClientOptions = {}): AxiosHttpClient {
  const transport = createTransport({
    ...(options.maxSocketsPerHost !== undefined ? { maxSocketsPerHost: options.maxSocketsPerHost } : {}),
    ...(options.maxBodyBytes !== undefined ? { maxBodyBytes: options.maxBodyBytes } : {}),
    ...(options.ca !== undefined ? { ca: options.ca } : {}),
  });
  const instance = axios.create({
    adapter: transport.adapter,
    // The body is sent as it is: axios's default transform would re-parse and trim a JSON string.
    transformRequest: [],
    transformResponse: [],
    validateStatus: () => true,
    maxRedirects: 0,
    transitional: { clarifyTimeoutError: true },
  });

  // axios's request() merges the instance defaults into every request, flattens the header buckets,
  // checks options and runs the interceptor chain: most of what axios costs per request. With no
  // interceptor registered, the same merge is done once (a POST config prepared from the defaults) and
  // each request goes straight to the transport (what the adapter runs) with the config and headers
  // dispatchRequest would give it (the headers from a plan axios makes once per set of names, see
  // HeaderComposer); the result and the errors are the same AxiosResponse / AxiosError. Any
  // interceptor: every request takes the full way.
  let prepared: { config: InternalAxiosRequestConfig; headers: HeaderComposer } | undefined;
  const prepare = (): NonNullable<typeof prepared> => {
    const merged = axios.mergeConfig(instance.defaults as AxiosRequestConfig, { method: 'post' }) as InternalAxiosRequestConfig;
    const buckets = (merged.headers ?? {}) as unknown as Record<string, unknown>;
    // As request() does: the `common` and `post` buckets first, then headers set outside any bucket.
    const context: RawAxiosRequestHeaders = { ...(buckets['common'] as object), ...(buckets['post'] as object) };
    const rest: RawAxiosRequestHeaders = {};
    for (const [name, value] of Object.entries(buckets)) if (!METHOD_BUCKETS.has(name)) rest[name] = value as string;
    const config = { ...merged, method: 'post', allowAbsoluteUrls: merged.allowAbsoluteUrls ?? true } as InternalAxiosRequestConfig;
    return { config, headers: new HeaderComposer(context, rest) };
  };
  const intercepted = (): boolean => {
    let any = false;
    const mark = (): void => {
      any = true;
    };
    (instance.interceptors.request as unknown as { forEach(fn: () => void): void }).forEach(mark);
    (instance.interceptors.response as unknown as { forEach(fn: () => void): void }).forEach(mark);
    return any;
  };
  const direct = async (request: HttpRequest): Promise<TransportResponse> => {
    prepared ??= prepare();
    const { headers, sent } = prepared.headers.compose(request.headers);
    // The prepared config with this request's fields on top: every field reads as in a merged config,
    // without copying its thirty-odd fields per request (only these are the config's own).
    const config = Object.create(prepared.config) as InternalAxiosRequestConfig;
    config.url = request.url;
    config.data = request.body;
    config.timeout = request.timeoutMs;
    config.headers = headers;
    if (request.signal) config.signal = request.signal;
    const response = await transport.send(config, sent);
    if (request.signal?.aborted) throw new CanceledError(undefined, config);
    return response;
  };

  return {
    axios: instance,
    async send(request: HttpRequest): Promise<HttpResponse> {
      const response = intercepted()
        ? ((await instance.request<Buffer>({
            method: request.method,
            url: request.url,
            headers: request.headers,
            data: request.body,
            timeout: request.timeoutMs,
            ...(request.signal ? { signal: request.signal } : {}),
          })) as TransportResponse)
        : await direct(request);
      return { status: response.status, headers: flattenHeaders(response.headers), body: response.data, truncated: response.truncated === true };
    },
    close(): void {
      transport.close();
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
