// Appium servers as a source of "in use": every 2 s each configured server is asked for its sessions and each
// session's device (capabilities `udid`, `appium:udid`, `deviceUDID`) counts as held. Plain Node; time comes
// only from the injected Clock, HTTP from the injected getter.
//
// Routes: `GET {url}/appium/sessions` (Appium 2 and 3; Appium 3 answers it only with the `session_discovery`
// insecure feature), then `GET {url}/sessions` (Appium 1 and 2). A server that has never answered is "not
// running"; one that stops answering keeps its sessions for the grace period (a restart is not a release storm).

import http from 'node:http';
import https from 'node:https';
import { normalizeAppiumUrl } from '../../preload/contract/settings';
import type { AppiumServerState } from '../../preload/contract/vocabulary';
import { monotonicNow } from './types';
import type { Clock } from './types';
import type { Logger } from '../base/log';
import { Listeners } from '../base/listeners';

export interface AppiumSession {
  /** The server's session id. */
  id: string;
  /** The configured server URL it runs on. */
  server: string;
  /** The device as the capabilities name it (adb serial, Wi-Fi `ip:port`, iOS UDID). */
  udid: string;
  /** epoch ms: the server's creation time when it says, else when it was first seen. */
  since: number;
}

interface AppiumServerHealth {
  url: string;
  state: AppiumServerState;
  /** A plain sentence for the source strip. */
  message: string;
  /** epoch ms of the last change of state */
  since: number;
}

interface HttpAnswer {
  status: number;
  body: unknown;
}
/** GET url, JSON body (undefined when not JSON); rejects when nothing answers within timeoutMs. */
export type HttpGet = (url: string, timeoutMs: number) => Promise<HttpAnswer>;

interface AppiumWatcherOptions {
  urls: readonly string[];
  clock: Clock;
  logger?: Logger;
  get?: HttpGet;
  /** Default 2000. */
  intervalMs?: number;
  /** Sessions of a server that stopped answering are released after this long without an answer. Default 30 000. */
  graceMs?: number;
  /** Per request. Default 1500. */
  timeoutMs?: number;
}

// The watched servers are a General setting: their URL rule and default live with its schema.
export { normalizeAppiumUrl } from '../../preload/contract/settings';
const SESSION_DISCOVERY_FLAG = '--allow-insecure=*:session_discovery';

/** `DEVICEHOOKS_APPIUM_URLS` (comma-separated) replaces the configured list when set. */
export function appiumUrlsFrom(env: NodeJS.ProcessEnv, configured: readonly string[]): string[] {
  const raw = env['DEVICEHOOKS_APPIUM_URLS'];
  if (raw === undefined) return [...configured];
  return raw
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '');
}

/** The device a session runs on, from its capabilities (W3C-prefixed or not). */
export function sessionUdid(capabilities: unknown): string | undefined {
  if (!capabilities || typeof capabilities !== 'object') return undefined;
  const caps = capabilities as Record<string, unknown>;
  for (const key of ['udid', 'appium:udid', 'deviceUDID', 'appium:deviceUDID']) {
    const v = caps[key];
    if (typeof v === 'string' && v.trim() !== '' && v.length <= 256) return v.trim();
  }
  return undefined;
}

/** The `value` list of a sessions answer (W3C or JSON wire), or undefined when it is not one. */
function sessionList(body: unknown): { id: string; created?: number; capabilities?: unknown }[] | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const value = (body as { value?: unknown }).value;
  if (!Array.isArray(value)) return undefined;
  const out: { id: string; created?: number; capabilities?: unknown }[] = [];
  for (const s of value as unknown[]) {
    if (!s || typeof s !== 'object') continue;
    const { id, created, capabilities } = s as { id?: unknown; created?: unknown; capabilities?: unknown };
    if (typeof id !== 'string' || id === '') continue;
    const entry: { id: string; created?: number; capabilities?: unknown } = { id, capabilities };
    if (typeof created === 'number' && Number.isFinite(created)) entry.created = created;
    out.push(entry);
  }
  return out;
}

function refusedDiscovery(body: unknown): boolean {
  const message = (body as { value?: { message?: unknown } } | undefined)?.value?.message;
  return typeof message === 'string' && message.includes('session_discovery');
}

/** GET with node:http(s) (cheaper than fetch when nothing listens: a refused connection costs next to nothing). */
const httpGet: HttpGet = (url, timeoutMs) =>
  new Promise<HttpAnswer>((resolve, reject) => {
    const target = new URL(url);
    const request = (target.protocol === 'https:' ? https : http).get(target, { headers: { Accept: 'application/json' }, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        // A sessions list is small; anything huge is not Appium.
        if (size > 4 * 1024 * 1024) request.destroy(new Error('answer too large'));
        else chunks.push(chunk);
      });
      res.on('end', () => {
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
      res.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', reject);
  });

interface ServerState {
  url: string;
  health: AppiumServerHealth;
  /** Monotonic ms of the last answer; null: never answered. */
  lastAnswer: number | null;
  sessions: Map<string, AppiumSession>;
  /** Which route answered last ('appium' first, 'legacy' for /sessions). */
  route: 'appium' | 'legacy';
}

export class AppiumWatcher {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly get: HttpGet;
  private readonly intervalMs: number;
  private readonly graceMs: number;
  private readonly timeoutMs: number;
  private readonly servers: ServerState[];
  private readonly sessionListeners = new Listeners<AppiumSession[]>((err) => this.log('error', `appium session listener failed: ${String(err)}`));
  private readonly healthListeners = new Listeners<AppiumServerHealth[]>((err) => this.log('error', `appium health listener failed: ${String(err)}`));
  private timer: unknown = null;
  private running = false;
  private polling: Promise<void> | null = null;
  private lastSessionsKey = '[]';

  constructor(options: AppiumWatcherOptions) {
    this.clock = options.clock;
    this.log = options.logger ?? (() => {});
    this.get = options.get ?? httpGet;
    this.intervalMs = options.intervalMs ?? 2000;
    this.graceMs = options.graceMs ?? 30_000;
    this.timeoutMs = options.timeoutMs ?? 1500;
    const now = this.clock.now();
    const urls = [...new Set(options.urls.map((u) => normalizeAppiumUrl(u)).flatMap((r) => (r.ok ? [r.url] : [])))];
    this.servers = urls.map((url) => ({
      url,
      health: { url, state: 'not-running', message: notRunning(url), since: now },
      lastAnswer: null,
      sessions: new Map(),
      route: 'appium',
    }));
  }

  start(): void {
    if (this.running || this.servers.length === 0) return;
    this.running = true;
    this.tick();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    await this.polling;
  }

  /** One round over every server (tests call it directly with start() never called). */
  async pollOnce(): Promise<void> {
    await Promise.all(this.servers.map((s) => this.pollServer(s)));
    this.publish();
  }

  sessions(): AppiumSession[] {
    return this.servers.flatMap((s) => [...s.sessions.values()].map((x) => ({ ...x })));
  }

  health(): AppiumServerHealth[] {
    return this.servers.map((s) => ({ ...s.health }));
  }

  onSessions(listener: (sessions: AppiumSession[]) => void): () => void {
    return this.sessionListeners.add(listener);
  }

  onHealth(listener: (health: AppiumServerHealth[]) => void): () => void {
    return this.healthListeners.add(listener);
  }

  private tick(): void {
    if (!this.running) return;
    this.polling = this.pollOnce()
      .catch((err: unknown) => this.log('error', `appium poll failed: ${String(err)}`))
      .finally(() => {
        this.polling = null;
        if (this.running) this.timer = this.clock.setTimeout(() => this.tick(), this.intervalMs);
      });
  }

  private async pollServer(server: ServerState): Promise<void> {
    const answer = await this.ask(server);
    const now = monotonicNow(this.clock);
    if (answer === 'unreachable') {
      if (server.lastAnswer === null) return this.setHealth(server, 'not-running', notRunning(server.url));
      this.setHealth(server, 'down', `Appium server ${server.url} is not answering`);
      if (server.sessions.size > 0 && now - server.lastAnswer >= this.graceMs) {
        this.log('warn', `appium ${server.url}: no answer for ${Math.round((now - server.lastAnswer) / 1000)} s; its sessions are released`);
        server.sessions.clear();
      }
      return;
    }
    server.lastAnswer = now;
    if (answer === 'refused') {
      server.sessions.clear();
      return this.setHealth(server, 'refused', `Appium server ${server.url} refuses to list its sessions: start it with ${SESSION_DISCOVERY_FLAG}`);
    }
    this.setHealth(server, 'ok', `Appium server ${server.url} answering`);
    const next = new Map<string, AppiumSession>();
    for (const s of answer ?? []) {
      const udid = sessionUdid(s.capabilities);
      if (udid === undefined) continue;
      const before = server.sessions.get(s.id);
      next.set(s.id, { id: s.id, server: server.url, udid, since: before?.since ?? s.created ?? this.clock.now() });
    }
    server.sessions = next;
  }

  /** The server's sessions, 'refused' (discovery not enabled), or 'unreachable' (no HTTP answer or not Appium). */
  private async ask(server: ServerState): Promise<ReturnType<typeof sessionList> | 'refused' | 'unreachable'> {
    const routes = server.route === 'legacy' ? (['legacy', 'appium'] as const) : (['appium', 'legacy'] as const);
    let refused = false;
    for (const route of routes) {
      let answer: HttpAnswer;
      try {
        answer = await this.get(`${server.url}${route === 'appium' ? '/appium/sessions' : '/sessions'}`, this.timeoutMs);
      } catch {
        return 'unreachable';
      }
      const list = answer.status === 200 ? sessionList(answer.body) : undefined;
      if (list) {
        server.route = route;
        return list;
      }
      if (refusedDiscovery(answer.body)) refused = true;
    }
    return refused ? 'refused' : 'unreachable';
  }

  private setHealth(server: ServerState, state: AppiumServerState, message: string): void {
    if (server.health.state === state && server.health.message === message) return;
    server.health = { url: server.url, state, message, since: server.health.state === state ? server.health.since : this.clock.now() };
    this.healthListeners.emit(this.health());
  }

  private publish(): void {
    const list = this.sessions();
    const key = JSON.stringify(list);
    if (key === this.lastSessionsKey) return;
    this.lastSessionsKey = key;
    this.sessionListeners.emit(list);
  }
}

function notRunning(url: string): string {
  return `Appium server ${url} not running`;
}
