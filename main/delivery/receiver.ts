// A callback receiver on this machine, for people checking their webhooks (and for our tests):
// listens on 127.0.0.1 only, keeps the last requests in memory, checks Standard Webhooks signatures
// when it knows the secret, and answers with a chosen status and delay to rehearse failures.
// Any web page the user opens can reach 127.0.0.1 too: a request whose Host is not the receiver's own
// address (DNS rebinding) or that carries a browser's Origin header is refused and not kept, and what is
// kept is bounded by bytes as well as by count.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { ReceivedCallback } from '../../preload/contract';
import { verify, DEFAULT_TOLERANCE_SEC } from './signing';
import type { VerifyResult } from './signing';
import { Listeners } from '../base/listeners';

type SignatureCheck =
  | { status: 'valid'; secretIndex: number }
  | { status: 'invalid'; reason: Exclude<VerifyResult, { ok: true }>['reason'] }
  | { status: 'no-secret' };

/** A captured request: the contract's ReceivedCallback, its signature verdict with this verifier's reasons. */
export interface ReceivedRequest extends Omit<ReceivedCallback, 'signature'> {
  signature: SignatureCheck;
}

interface ReceiverReply {
  status?: number;
  /** ms before answering */
  delayMs?: number;
  body?: string;
  headers?: Record<string, string>;
}

export interface ReceiverOptions {
  /** 0 (default) = any free port */
  port?: number;
  /** Requests kept (oldest dropped). Default 500. */
  maxRequests?: number;
  /** Request bodies kept up to this many bytes. Default 1 MiB. */
  maxBodyBytes?: number;
  /** All kept requests together (bodies and headers) at most this many bytes; the oldest go first. */
  maxKeptBytes?: number;
  /** Secrets for every path. */
  secrets?: string[];
  /** Secrets for one path (exact pathname, without the query), used instead of the global ones. */
  secretsByPath?: Record<string, string[]>;
  toleranceSec?: number;
  /** The default answer: 200 `{"ok":true}` at once. */
  reply?: ReceiverReply;
  /** Decides the answer per request (overrides `reply`). */
  respond?: (request: ReceivedRequest) => ReceiverReply | Promise<ReceiverReply>;
  /** Time for receivedAt and the timestamp tolerance. Default Date.now. */
  now?: () => number;
}

export interface Receiver {
  readonly port: number;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  requests(): ReceivedRequest[];
  onRequest(listener: (request: ReceivedRequest) => void): () => void;
  setReply(reply: ReceiverReply): void;
  setSecrets(secrets: string[], path?: string): void;
  clear(): void;
  /** Stops listening, ends delayed answers and destroys keep-alive sockets. */
  close(): Promise<void>;
}

/** Default cap on the memory the kept requests use. */
export const RECEIVER_MAX_KEPT_BYTES = 16 * 1024 * 1024;

/** About how many bytes a kept request holds. */
function keptSize(r: ReceivedRequest): number {
  let size = Buffer.byteLength(r.body) + Buffer.byteLength(r.path) + 64;
  for (const [k, v] of Object.entries(r.headers)) size += k.length + Buffer.byteLength(v);
  return size;
}

function flatten(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

export async function startReceiver(options: ReceiverOptions = {}): Promise<Receiver> {
  const maxRequests = Math.max(1, options.maxRequests ?? 500);
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const maxKeptBytes = options.maxKeptBytes ?? RECEIVER_MAX_KEPT_BYTES;
  let keptBytes = 0;
  const sizes = new WeakMap<ReceivedRequest, number>();
  let port = 0;
  const toleranceSec = options.toleranceSec ?? DEFAULT_TOLERANCE_SEC;
  const now = options.now ?? Date.now;
  let reply: ReceiverReply = { status: 200, body: '{"ok":true}', ...options.reply };
  let globalSecrets = [...(options.secrets ?? [])];
  const secretsByPath = new Map(Object.entries(options.secretsByPath ?? {}));
  const kept: ReceivedRequest[] = [];
  // A listener's problem is not the sender's.
  const listeners = new Listeners<ReceivedRequest>(() => {});
  const sockets = new Set<Socket>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let counter = 0;
  let closing = false;

  const server = http.createServer((req, res) => {
    const refusal = refuse(req.headers, port);
    if (refusal) {
      // Not read, not kept, not shown: answered and closed.
      res.writeHead(403, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify({ ok: false, error: refusal }));
      req.resume();
      return;
    }
    const parts: Buffer[] = [];
    let size = 0;
    let truncated = false;
    req.on('data', (chunk: Buffer) => {
      if (size < maxBodyBytes) parts.push(chunk.subarray(0, maxBodyBytes - size));
      if (size + chunk.length > maxBodyBytes) truncated = true;
      size += chunk.length;
    });
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(parts).toString('utf8');
        const url = req.url ?? '/';
        const pathname = url.split('?')[0] ?? '/';
        const secrets = secretsByPath.get(pathname) ?? globalSecrets;
        let signature: SignatureCheck;
        if (secrets.length === 0) signature = { status: 'no-secret' };
        else {
          const result = verify(req.headers, body, secrets, toleranceSec, now());
          signature = result.ok ? { status: 'valid', secretIndex: result.secretIndex } : { status: 'invalid', reason: result.reason };
        }
        const record: ReceivedRequest = {
          n: ++counter,
          method: req.method ?? 'GET',
          path: url,
          headers: flatten(req.headers),
          body,
          bodyTruncated: truncated,
          receivedAt: now(),
          signature,
        };
        kept.push(record);
        sizes.set(record, keptSize(record));
        keptBytes += sizes.get(record) ?? 0;
        while (kept.length > maxRequests || (keptBytes > maxKeptBytes && kept.length > 1)) {
          const dropped = kept.shift();
          if (dropped) keptBytes -= sizes.get(dropped) ?? 0;
        }
        listeners.emit(record);
        let answer: ReceiverReply = reply;
        if (options.respond) {
          try {
            answer = { ...reply, ...(await options.respond(record)) };
          } catch {
            answer = { status: 500, body: '{"ok":false}' };
          }
        }
        const send = (): void => {
          if (res.destroyed || closing) return;
          record.answeredStatus = answer.status ?? 200;
          const text = answer.body ?? '';
          res.writeHead(record.answeredStatus, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...answer.headers });
          res.end(text);
        };
        const delay = answer.delayMs ?? 0;
        if (delay > 0) {
          const t = setTimeout(() => {
            timers.delete(t);
            send();
          }, delay);
          timers.add(t);
        } else send();
      })();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;

  return {
    port,
    url: `http://127.0.0.1:${port}`,
    requests: () => [...kept],
    onRequest(listener) {
      return listeners.add(listener);
    },
    setReply(next) {
      reply = { status: 200, body: '{"ok":true}', ...next };
    },
    setSecrets(secrets, path) {
      if (path === undefined) globalSecrets = [...secrets];
      else secretsByPath.set(path, [...secrets]);
    },
    clear() {
      kept.length = 0;
      keptBytes = 0;
    },
    close() {
      closing = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        server.closeAllConnections?.();
      });
    },
  };
}

/** Why a request must be refused (a sentence), or null. */
function refuse(headers: http.IncomingHttpHeaders, port: number): string | null {
  const host = (headers.host ?? '').toLowerCase();
  if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) return `Host must be 127.0.0.1:${port}: this receiver answers only requests sent to its own address`;
  if (headers.origin !== undefined) return 'Requests from a browser page (with an Origin header) are refused: this receiver is for webhook senders';
  return null;
}
