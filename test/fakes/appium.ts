// A fake Appium server on 127.0.0.1:<random port>, answering the session-listing routes the way the real
// server generations do:
//   Appium 1: GET {base}/sessions (base /wd/hub by default) → JSON wire `{ status: 0, value: [{ id, capabilities }] }`;
//             unknown routes → 404 `{ status: 9, value: { message } }`.
//   Appium 2: GET {base}/sessions → W3C `{ value: [{ id, capabilities }] }` (deprecated but served);
//             GET {base}/appium/sessions → `{ value: [{ id, created, capabilities }] }` only with the
//             `session_discovery` insecure feature, else the umbrella driver's refusal (500 unknown error).
//   Appium 3: GET {base}/sessions is gone (404 unknown method); GET {base}/appium/sessions as Appium 2.
//   GET {base}/status → `{ value: { ready: true, … } }` on every generation.
//
//   const appium = await startFakeAppium({ generation: 3, sessionDiscovery: true });
//   const id = appium.addSession({ 'appium:udid': 'R58M123', platformName: 'Android' });
//   appium.endSession(id); await appium.kill(); await appium.restart(); await appium.close();

import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FakeAppiumOptions {
  /** Which server generation's routes to serve. Default 3. */
  generation?: 1 | 2 | 3;
  /** The `session_discovery` insecure feature (`--allow-insecure=*:session_discovery`). Default false, as the real server. */
  sessionDiscovery?: boolean;
  /** Server base path (`--base-path`). Default `/wd/hub` for generation 1, '' otherwise. */
  basePath?: string;
}

export interface FakeAppium {
  readonly port: number;
  /** `http://127.0.0.1:PORT` plus the base path: what a person puts in the settings. */
  readonly url: string;
  /** Every request path, in order. */
  readonly requests: string[];
  /** Starts a session with these (already processed) capabilities; returns its id. */
  addSession(capabilities: Record<string, unknown>, id?: string): string;
  endSession(id: string): void;
  /** Stop listening and drop every connection (the port then refuses). */
  kill(): Promise<void>;
  /** Listen again on the same port (sessions kept, as a server that was only unreachable). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

const NOT_FOUND_MESSAGE = 'The requested resource could not be found, or a request was received using an HTTP method that is not supported by the mapped resource';

export async function startFakeAppium(options: FakeAppiumOptions = {}): Promise<FakeAppium> {
  const generation = options.generation ?? 3;
  const base = (options.basePath ?? (generation === 1 ? '/wd/hub' : '')).replace(/\/+$/, '');
  const discovery = options.sessionDiscovery ?? false;
  const sessions = new Map<string, { capabilities: Record<string, unknown>; created: number }>();
  const requests: string[] = [];

  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  };
  const notFound = (res: http.ServerResponse) =>
    generation === 1
      ? send(res, 404, { status: 9, value: { message: NOT_FOUND_MESSAGE }, sessionId: null })
      : send(res, 404, { value: { error: 'unknown method', message: NOT_FOUND_MESSAGE, stacktrace: '' } });
  const list = (withCreated: boolean) =>
    [...sessions].map(([id, s]) => (withCreated ? { id, created: s.created, capabilities: s.capabilities } : { id, capabilities: s.capabilities }));

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    requests.push(path);
    const route = path.startsWith(`${base}/`) ? path.slice(base.length) : null;
    if (req.method !== 'GET' || route === null) return notFound(res);
    if (route === '/status') {
      const value = { ready: true, message: 'The server is ready to accept new connections', build: { version: `${generation}.0.0` } };
      return generation === 1 ? send(res, 200, { status: 0, value, sessionId: null }) : send(res, 200, { value });
    }
    if (route === '/sessions') {
      if (generation === 1) return send(res, 200, { status: 0, value: list(false), sessionId: null });
      if (generation === 2) return send(res, 200, { value: list(false) });
      return notFound(res);
    }
    if (route === '/appium/sessions' && generation >= 2) {
      if (!discovery) {
        return send(res, 500, {
          value: {
            error: 'unknown error',
            message:
              "An unknown server-side error occurred while processing the command. Original error: Potentially insecure feature 'session_discovery' has not been enabled. If you want to enable this feature and accept the security ramifications, please do so by following the documented instructions at the Appium security guide",
            stacktrace: '',
          },
        });
      }
      return send(res, 200, { value: list(true) });
    }
    return notFound(res);
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  let listening = true;

  const kill = async () => {
    if (!listening) return;
    listening = false;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of sockets) s.destroy();
    await closed;
  };

  return {
    port,
    url: `http://127.0.0.1:${port}${base}`,
    requests,
    addSession(capabilities, id) {
      const sid = id ?? randomUUID();
      sessions.set(sid, { capabilities: { ...capabilities }, created: Date.now() });
      return sid;
    },
    endSession(id) {
      sessions.delete(id);
    },
    kill,
    async restart() {
      if (listening) return;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
      listening = true;
    },
    close: kill,
  };
}
