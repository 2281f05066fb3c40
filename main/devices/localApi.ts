// A small HTTP API on loopback for test runners: list devices, reserve / renew / release one.
// node:http only. 127.0.0.1 only, bearer token, Host header guard (DNS rebinding), bodies ≤ 64 KiB.

import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { z } from 'zod';
import { batteryJson, deviceHeadJson, sessionJson } from './deviceJson';
import type { BatteryJson } from './deviceJson';
import { asLogMethods } from '../base/log';
import type { LoggerLike } from '../base/log';
import type { DeviceView } from './tracker';
import type { Reservation, ReservationErrorCode, ReservationGrant, Actor, MarkInUseOptions } from './reservations';
import { ReservationError } from './reservations';

export const MAX_BODY_BYTES = 64 * 1024;
const DEFAULT_TTL_SECONDS = 900;
const MAX_TTL_SECONDS = 86_400;

/** What the API needs (DeviceTracker and Reservations fit as they are). */
export interface LocalApiDevices {
  list(): DeviceView[];
  /** The last battery reading of a device (battery.ts), when there is one. */
  battery?(udid: string): BatteryJson | undefined;
}
export interface LocalApiReservations {
  markInUse(udid: string, options?: MarkInUseOptions): ReservationGrant;
  renew(udid: string, actor: Actor, ttlMs: number): Reservation;
  release(udid: string, actor: Actor): void;
}

interface LocalApiOptions {
  /** The bearer token clients must send. At least 16 characters. */
  token: string;
  /** 0 (default): any free port. */
  port?: number;
  devices: LocalApiDevices;
  reservations: LocalApiReservations;
  logger?: LoggerLike;
}

export interface LocalApi {
  readonly port: number;
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** Resolves once the server stopped; open keep-alive sockets are destroyed. */
  close(): Promise<void>;
}

/** The device as the API shows it (times as ISO-8601 UTC). */
export interface ApiDevice {
  udid: string;
  name: string;
  platform: DeviceView['platform'];
  connection: DeviceView['connection'];
  status: NonNullable<DeviceView['status']>;
  since: string;
  visibility: DeviceView['visibility'];
  sources: DeviceView['sources'];
  rawStates: DeviceView['rawStates'];
  inUse: { by?: string; note?: string; expiresAt: string | null; session?: { id: string; server: string; since: string } } | null;
  /** null where unknown (a USB-only device, an iPhone that refuses, not read yet). */
  battery: BatteryJson | null;
}

const reserveBody = z
  .object({
    ttlSeconds: z.number().int().min(1).max(MAX_TTL_SECONDS).default(DEFAULT_TTL_SECONDS),
    by: z.string().max(200).optional(),
    note: z.string().max(1000).optional(),
  })
  .strict();
const renewBody = z
  .object({
    ttlSeconds: z.number().int().min(1).max(MAX_TTL_SECONDS).default(DEFAULT_TTL_SECONDS),
  })
  .strict();

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly details?: unknown,
  ) {
    super(message);
  }
}

const RESERVATION_STATUS: Record<ReservationErrorCode, number> = {
  unknown_device: 404,
  not_reserved: 404,
  already_reserved: 409,
  device_not_online: 409,
  reserved_by_other: 409,
  invalid_ttl: 400,
};

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
const iso = (ms: number): string => new Date(ms).toISOString();

function toApiDevice(d: DeviceView & { status: NonNullable<DeviceView['status']> }, battery: BatteryJson | undefined): ApiDevice {
  let inUse: ApiDevice['inUse'] = null;
  if (d.inUse) {
    inUse = { expiresAt: d.inUse.until === undefined ? null : iso(d.inUse.until) };
    if (d.inUse.by !== undefined) inUse.by = d.inUse.by;
    if (d.inUse.note !== undefined) inUse.note = d.inUse.note;
    if (d.inUse.session) inUse.session = sessionJson(d.inUse.session);
  }
  return {
    ...deviceHeadJson(d),
    visibility: d.visibility,
    sources: d.sources,
    rawStates: d.rawStates,
    inUse,
    battery: batteryJson(battery),
  };
}

export async function startLocalApi(options: LocalApiOptions): Promise<LocalApi> {
  if (typeof options.token !== 'string' || options.token.length < 16) throw new RangeError('local API token must be at least 16 characters');
  const log = asLogMethods(options.logger);
  const tokenDigest = digest(options.token);
  const sockets = new Set<Socket>();
  let port = 0;

  const authorized = (header: string | undefined): boolean => {
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
    // Always hash and compare, so a missing header costs the same as a wrong one.
    const given = digest(m?.[1] ?? '');
    return timingSafeEqual(given, tokenDigest) && m !== null;
  };

  const send = (res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const payload = body === undefined ? undefined : JSON.stringify(body);
    res.writeHead(status, {
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      ...(payload === undefined ? {} : { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(payload)) }),
      ...headers,
    });
    res.end(payload);
  };

  const readJson = (req: IncomingMessage): Promise<unknown> =>
    new Promise<unknown>((resolve, reject) => {
      const declared = req.headers['content-length'];
      if (declared !== undefined && Number(declared) > MAX_BODY_BYTES) {
        reject(tooLarge());
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      const cleanup = (): void => {
        req.off('data', onData);
        req.off('end', onEnd);
        req.off('error', onError);
      };
      // Listeners rather than for-await: leaving a for-await early destroys the socket before the 413 is sent.
      const onData = (chunk: Buffer): void => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          cleanup();
          reject(tooLarge());
          return;
        }
        chunks.push(chunk);
      };
      const onEnd = (): void => {
        cleanup();
        const text = Buffer.concat(chunks).toString('utf8');
        if (text.trim() === '') {
          resolve({});
          return;
        }
        try {
          resolve(JSON.parse(text));
        } catch {
          reject(new HttpError(400, 'invalid_json', 'The request body is not valid JSON.'));
        }
      };
      const onError = (err: Error): void => {
        cleanup();
        reject(err);
      };
      req.on('data', onData);
      req.on('end', onEnd);
      req.on('error', onError);
    });

  const parse = <T>(schema: z.ZodType<T>, value: unknown): T => {
    const result = schema.safeParse(value);
    if (!result.success) {
      const details = result.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
      throw new HttpError(400, 'invalid_body', details.map((d) => (d.path ? `${d.path}: ${d.message}` : d.message)).join('; '), {}, details);
    }
    return result.data;
  };

  const reservationToken = (req: IncomingMessage): string => {
    const value = req.headers['x-reservation-token'];
    const token = Array.isArray(value) ? value[0] : value;
    if (!token) throw new HttpError(400, 'missing_reservation_token', 'The X-Reservation-Token header is required.');
    return token;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // DNS-rebinding guard: a page on evil.example resolving to 127.0.0.1 still sends its own Host.
    const host = (req.headers.host ?? '').toLowerCase();
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
      throw new HttpError(403, 'forbidden_host', 'Requests must be addressed to 127.0.0.1 or localhost.');
    }
    if (!authorized(req.headers.authorization)) {
      throw new HttpError(401, 'unauthorized', 'A valid bearer token is required.', { 'WWW-Authenticate': 'Bearer' });
    }
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const method = req.method ?? 'GET';

    if (path === '/v1/devices' || path === '/v1/devices/') {
      if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, 'method_not_allowed', `${method} is not allowed here.`, { Allow: 'GET, HEAD' });
      const devices = options.devices
        .list()
        .filter((d): d is DeviceView & { status: NonNullable<DeviceView['status']> } => d.status !== null)
        .map((d) => toApiDevice(d, options.devices.battery?.(d.udid)));
      send(res, 200, { devices });
      return;
    }

    const m = /^\/v1\/devices\/([^/]+)\/reservation\/?$/.exec(path);
    if (!m) throw new HttpError(404, 'not_found', 'No such endpoint.');
    let udid: string;
    try {
      udid = decodeURIComponent(m[1]!);
    } catch {
      throw new HttpError(400, 'invalid_udid', 'The device id in the path is not valid percent-encoding.');
    }

    switch (method) {
      case 'POST': {
        const body = parse(reserveBody, await readJson(req));
        const grant = options.reservations.markInUse(udid, { ttlMs: body.ttlSeconds * 1000, by: body.by, note: body.note, origin: 'api' });
        send(res, 201, { udid, token: grant.token, expiresAt: grant.expiresAt === null ? null : iso(grant.expiresAt) });
        return;
      }
      case 'PUT': {
        const token = reservationToken(req);
        const body = parse(renewBody, await readJson(req));
        const r = options.reservations.renew(udid, { kind: 'token', token }, body.ttlSeconds * 1000);
        send(res, 200, { udid, expiresAt: r.expiresAt === null ? null : iso(r.expiresAt) });
        return;
      }
      case 'DELETE': {
        const token = reservationToken(req);
        options.reservations.release(udid, { kind: 'token', token });
        send(res, 204);
        return;
      }
      default:
        throw new HttpError(405, 'method_not_allowed', `${method} is not allowed here.`, { Allow: 'POST, PUT, DELETE' });
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      let status = 500;
      let code = 'internal';
      let message = 'Internal error.';
      let headers: Record<string, string> = {};
      let details: unknown;
      if (err instanceof HttpError) {
        ({ status, code, message, headers, details } = err);
      } else if (err instanceof ReservationError) {
        status = RESERVATION_STATUS[err.code];
        code = err.code;
        message = err.message;
      } else {
        log.error('local API request failed', { error: String(err), method: req.method, url: req.url });
      }
      if (!req.complete) {
        // Unread body (e.g. 413): answer, then close the connection instead of reading the rest.
        headers = { ...headers, Connection: 'close' };
        req.resume();
      }
      const error: Record<string, unknown> = { code, message };
      if (details !== undefined) error.details = details;
      send(res, status, { error }, headers);
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_err, socket: Socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ host: '127.0.0.1', port: options.port ?? 0 }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('local API: unexpected server address');
  port = address.port;
  server.on('error', (err) => log.error('local API server error', { error: String(err) }));
  log.info('local API listening', { url: `http://127.0.0.1:${port}` });

  let closing: Promise<void> | null = null;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

function tooLarge(): HttpError {
  return new HttpError(413, 'body_too_large', `The request body is larger than ${MAX_BODY_BYTES} bytes.`);
}
