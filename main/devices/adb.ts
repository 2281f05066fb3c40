// Android devices through the adb server's host protocol (our own small client; the tests
// talk to test/fakes/adbServer.ts, which test/devices/adb.realclient.test.ts keeps honest against the real adb).
//
// Wire summary: a request is 4 hex digits (byte length) + service name. The server answers `OKAY`, or `FAIL`
// + 4 hex digits + message. `host:track-devices-l` then sends the whole device list as hex4 + text, at once and
// again on every change, on a connection that stays open. The real server usually puts `OKAY` and the first list
// in ONE packet; lists can also be split across packets or several lists can share one: the decoder below is a
// byte-stream state machine and never assumes packet boundaries.

import { parseDumpsysBattery } from './battery';
import type { Battery } from './battery';
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { spawn as nodeSpawn } from 'node:child_process';
import { monotonicNow, systemClock } from './types';
import type { Clock, Connection, DeviceSource, Observation } from './types';
import { silentLogger } from '../log';
import type { Logger } from '../log';
import { Backoff, ReconnectingSource, errorCode, errorText } from './sourceKit';
import type { BackoffOptions } from './sourceKit';
import { cleanDeviceText } from './deviceText';

// ---------------------------------------------------------------------------------------------------------------
// Where the server is

export type AdbAddress =
  | { kind: 'tcp'; host: string; port: number; label: string; warning?: string }
  | { kind: 'unix'; path: string; label: string; warning?: string };

export const DEFAULT_ADB_PORT = 5037;

function tcpAddress(host: string, port: number, warning?: string): AdbAddress {
  const label = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return warning ? { kind: 'tcp', host, port, label, warning } : { kind: 'tcp', host, port, label };
}

function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : undefined;
}

/** adb's socket specs for the server: `tcp:PORT`, `tcp:HOST:PORT`, `tcp:[V6]:PORT`, `localfilesystem:/path`, `localabstract:name`. */
function parseServerSocketSpec(spec: string): AdbAddress | undefined {
  if (spec.startsWith('tcp:')) {
    const rest = spec.slice(4);
    const onlyPort = parsePort(rest);
    if (onlyPort !== undefined) return tcpAddress('127.0.0.1', onlyPort);
    const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(rest);
    const port = m?.[3] !== undefined ? parsePort(m[3]) : undefined;
    const host = m?.[1] ?? m?.[2];
    return host && port !== undefined ? tcpAddress(host, port) : undefined;
  }
  if (spec.startsWith('localfilesystem:') && spec.length > 16) {
    const p = spec.slice(16);
    return { kind: 'unix', path: p, label: p };
  }
  if (spec.startsWith('localabstract:') && spec.length > 14) {
    const name = spec.slice(14);
    return { kind: 'unix', path: `\0${name}`, label: `@${name}` };
  }
  return undefined;
}

/**
 * Resolves the server address exactly like the adb client: `ADB_SERVER_SOCKET` first (e.g. `tcp:HOST:PORT`),
 * else `ANDROID_ADB_SERVER_ADDRESS` / `ANDROID_ADB_SERVER_PORT`, else 127.0.0.1:5037. Where adb would exit on a
 * bad value we fall back to the default and say why in `warning`.
 */
export function resolveAdbAddress(env: Readonly<Record<string, string | undefined>>): AdbAddress {
  const spec = env.ADB_SERVER_SOCKET;
  if (spec !== undefined && spec !== '') {
    return (
      parseServerSocketSpec(spec) ??
      tcpAddress('127.0.0.1', DEFAULT_ADB_PORT, `ADB_SERVER_SOCKET="${spec}" is not a socket spec adb understands; using the default`)
    );
  }
  let port = DEFAULT_ADB_PORT;
  let warning: string | undefined;
  const portText = env.ANDROID_ADB_SERVER_PORT;
  if (portText !== undefined && portText !== '') {
    const parsed = parsePort(portText);
    if (parsed === undefined) warning = `ANDROID_ADB_SERVER_PORT="${portText}" is not a port number; using ${DEFAULT_ADB_PORT}`;
    else port = parsed;
  }
  const host = env.ANDROID_ADB_SERVER_ADDRESS || '127.0.0.1';
  return tcpAddress(host, port, warning);
}

function isLoopback(address: AdbAddress): address is Extract<AdbAddress, { kind: 'tcp' }> {
  return address.kind === 'tcp' && (address.host === 'localhost' || address.host === '::1' || address.host.startsWith('127.'));
}

function connectTo(address: AdbAddress): net.Socket {
  return address.kind === 'tcp' ? net.connect({ host: address.host, port: address.port }) : net.connect({ path: address.path });
}

// ---------------------------------------------------------------------------------------------------------------
// Framing

export class AdbProtocolError extends Error {}
/** The server answered FAIL with this message (e.g. "device 'X' not found", "device unauthorized"). */
export class AdbFailError extends Error {}

export function encodeAdbRequest(service: string): Buffer {
  const body = Buffer.from(service, 'utf8');
  if (body.length > 0xffff) throw new AdbProtocolError('adb request too long');
  return Buffer.concat([Buffer.from(body.length.toString(16).padStart(4, '0'), 'latin1'), body]);
}

function parseHex4(buf: Buffer, offset: number): number {
  const text = buf.toString('latin1', offset, offset + 4);
  if (!/^[0-9a-fA-F]{4}$/.test(text)) throw new AdbProtocolError(`bad length prefix ${JSON.stringify(text)}`);
  return parseInt(text, 16);
}

export type AdbFrame = { kind: 'okay' } | { kind: 'fail'; message: string } | { kind: 'data'; text: string };

/**
 * Decodes a reply stream: one status (OKAY / FAIL+hex4+message), then any number of hex4-prefixed payloads
 * (one per device list on a track connection). Feed it chunks exactly as they come off the socket.
 */
export class AdbStreamDecoder {
  private buffer: Buffer = Buffer.alloc(0);
  private status: 'waiting' | 'okay' | 'failed' = 'waiting';

  push(chunk: Buffer): AdbFrame[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const frames: AdbFrame[] = [];
    for (;;) {
      if (this.status === 'failed') break;
      if (this.status === 'waiting') {
        if (this.buffer.length < 4) break;
        const word = this.buffer.toString('latin1', 0, 4);
        if (word === 'OKAY') {
          this.status = 'okay';
          this.buffer = this.buffer.subarray(4);
          frames.push({ kind: 'okay' });
          continue;
        }
        if (word !== 'FAIL') throw new AdbProtocolError(`expected OKAY or FAIL, got ${JSON.stringify(word)}`);
        if (this.buffer.length < 8) break;
        const len = parseHex4(this.buffer, 4);
        if (this.buffer.length < 8 + len) break;
        frames.push({ kind: 'fail', message: this.buffer.toString('utf8', 8, 8 + len) });
        this.status = 'failed';
        this.buffer = this.buffer.subarray(8 + len);
        continue;
      }
      if (this.buffer.length < 4) break;
      const len = parseHex4(this.buffer, 0);
      if (this.buffer.length < 4 + len) break;
      frames.push({ kind: 'data', text: this.buffer.toString('utf8', 4, 4 + len) });
      this.buffer = this.buffer.subarray(4 + len);
    }
    return frames;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Device lists

export interface AdbDeviceLine {
  serial: string;
  state: string;
  /** devpath without the `usb:` key, e.g. `1-1.4` on Linux (macOS gives an opaque number like `336592896X`). */
  usb?: string;
  product?: string;
  /** As the server prints it: non-alphanumerics turned into `_` (`SM_N950F`). */
  model?: string;
  device?: string;
  transportId?: number;
}

/** Keys of the long listing, in the order they are searched from the END of the line (the reverse of print order). */
const LONG_KEYS = ['device', 'model', 'product', 'usb'] as const;

/**
 * Parses `host:devices-l` / `host:track-devices-l` text (and the short `serial\tstate` form too).
 * Long lines are `%-22s` serial, a space, the state, then optional ` usb:` ` product:` ` model:` ` device:` and
 * always ` transport_id:N`. Empty fields are left out and the state may contain spaces
 * (`no permissions (...); see [...]`), so fields are taken by key from the end, never by column.
 */
export function parseDevicesLong(text: string): AdbDeviceLine[] {
  const out: AdbDeviceLine[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/\r$/, '');
    if (line.trim() === '') continue;
    const parsed = parseLongLine(line);
    if (parsed) out.push(parsed);
  }
  return out;
}

function parseLongLine(line: string): AdbDeviceLine | undefined {
  let rest = line;
  const result: Partial<AdbDeviceLine> = {};
  const tid = / transport_id:(\d+)$/.exec(rest);
  if (tid?.[1] !== undefined) {
    result.transportId = Number(tid[1]);
    rest = rest.slice(0, tid.index);
  } else if (rest.includes('\t')) {
    // Short listing: serial TAB state.
    const tab = rest.lastIndexOf('\t');
    const serial = rest.slice(0, tab);
    const state = rest.slice(tab + 1).trim();
    return serial && state ? { serial, state } : undefined;
  }
  for (const key of LONG_KEYS) {
    const marker = ` ${key}:`;
    const at = rest.lastIndexOf(marker);
    // The value runs to the end of what is left; a field never contains a later field's key.
    if (at > 0 && !rest.slice(at + marker.length).includes(' ')) {
      result[key] = rest.slice(at + marker.length);
      rest = rest.slice(0, at);
    }
  }
  // What remains is "serial<padding> state"; the state is one word, except "no permissions (...)".
  const noPerm = rest.indexOf(' no permissions');
  let serial: string;
  let state: string;
  if (noPerm >= 0) {
    serial = rest.slice(0, noPerm).trimEnd();
    state = rest.slice(noPerm + 1).trim();
  } else {
    const m = /^(.*\S)\s+(\S+)\s*$/.exec(rest);
    if (!m?.[1] || !m[2]) return undefined;
    serial = m[1].trimEnd();
    state = m[2];
  }
  if (!serial || !state) return undefined;
  return { ...result, serial, state };
}

/** `host:port` (`adb connect`) and mDNS (`adb-XXXX._adb-tls-connect._tcp`) serials, and emulators, are not USB. */
export function adbConnectionOf(serial: string): Connection {
  if (/\._adb(-tls-connect)?\._tcp\.?$/.test(serial)) return 'network';
  if (/^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):\d{1,5}$/.test(serial)) return 'network';
  // The emulator's transport is a local TCP socket: calling it "usb" would make the tracker look for a cable.
  if (/^emulator-\d+$/.test(serial)) return 'network';
  return 'usb';
}

const USB_PATH = /^\d+-\d+(\.\d+)*$/;
/** Emulators are never merged with anything, whatever their ro.serialno says. */
const EMULATOR_SERIAL = /^emulator-\d+$/;

// ---------------------------------------------------------------------------------------------------------------
// One-shot requests (shell)

/** Buffers a socket and hands out exact byte counts; errors and EOF wake the reader. */
class SocketReader {
  private buffer: Buffer = Buffer.alloc(0);
  private ended = false;
  private error: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.poke();
    });
    socket.on('end', () => {
      this.ended = true;
      this.poke();
    });
    socket.on('close', () => {
      this.ended = true;
      this.poke();
    });
    socket.on('error', (err) => {
      this.error = err;
      this.poke();
    });
  }

  private poke(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private wait(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  async readExactly(n: number): Promise<Buffer> {
    while (this.buffer.length < n) {
      if (this.error) throw this.error;
      if (this.ended) throw new AdbProtocolError('adb server closed the connection');
      await this.wait();
    }
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    return out;
  }

  /** Everything until the peer closes, or the first `maxBytes` as soon as that many arrived. */
  async readToEnd(maxBytes = Infinity): Promise<Buffer> {
    while (!this.ended && this.buffer.length < maxBytes) {
      if (this.error) throw this.error;
      await this.wait();
    }
    return this.buffer.length > maxBytes ? this.buffer.subarray(0, maxBytes) : this.buffer;
  }
}

async function expectOkay(reader: SocketReader): Promise<void> {
  const status = (await reader.readExactly(4)).toString('latin1');
  if (status === 'OKAY') return;
  if (status !== 'FAIL') throw new AdbProtocolError(`expected OKAY or FAIL, got ${JSON.stringify(status)}`);
  const len = parseHex4(await reader.readExactly(4), 0);
  throw new AdbFailError((await reader.readExactly(len)).toString('utf8'));
}

/** A device's shell answer is read up to this many bytes; the rest is not read (a name is a few dozen). */
export const ADB_SHELL_MAX_BYTES = 16 * 1024;

/** Runs `shell:<command>` on one device (legacy shell: raw output until the server closes, at most `maxBytes`). */
export async function adbShell(
  address: AdbAddress,
  serial: string,
  command: string,
  opts: { clock?: Clock; timeoutMs?: number; track?: Set<net.Socket>; maxBytes?: number } = {},
): Promise<string> {
  const clock = opts.clock ?? systemClock;
  const timeoutMs = opts.timeoutMs ?? 5000;
  const socket = connectTo(address);
  opts.track?.add(socket);
  const reader = new SocketReader(socket);
  const timer = clock.setTimeout(() => socket.destroy(new Error(`adb shell timed out after ${timeoutMs} ms`)), timeoutMs);
  try {
    socket.write(encodeAdbRequest(`host:transport:${serial}`));
    await expectOkay(reader);
    socket.write(encodeAdbRequest(`shell:${command}`));
    await expectOkay(reader);
    return (await reader.readToEnd(opts.maxBytes ?? ADB_SHELL_MAX_BYTES)).toString('utf8');
  } finally {
    clock.clearTimeout(timer);
    socket.destroy();
    opts.track?.delete(socket);
  }
}

/** A shell answer worth showing: one non-empty line that is not `null` nor a shell/framework error. */
export function cleanShellValue(output: string): string | undefined {
  const text = output.replace(/\r/g, '').trim();
  if (text === '' || text === 'null' || text.includes('\n')) return undefined;
  if (/^(\/system\/bin\/sh:|\/bin\/sh:|sh:|cmd:|Exception occurred|java\.lang\.|Failure \[|error:)/.test(text)) return undefined;
  return text;
}

// ---------------------------------------------------------------------------------------------------------------
// Finding and starting the server

export interface ChildLike {
  once(event: 'exit', listener: (code: number | null) => void): unknown;
  once(event: 'error', listener: (err: Error) => void): unknown;
}
export type SpawnLike = (command: string, args: string[], options: { stdio: 'ignore'; windowsHide: boolean }) => ChildLike;

/** Looks for `adb` on PATH, then in $ANDROID_HOME / $ANDROID_SDK_ROOT platform-tools. */
export function findAdbOnPath(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string | undefined {
  const dirs = (env.PATH ?? env.Path ?? '').split(path.delimiter).filter(Boolean);
  for (const sdk of [env.ANDROID_HOME, env.ANDROID_SDK_ROOT]) if (sdk) dirs.push(path.join(sdk, 'platform-tools'));
  const names = platform === 'win32' ? ['adb.exe'] : ['adb'];
  for (const dir of dirs) {
    for (const name of names) {
      const candidate = path.join(dir, name);
      try {
        fs.accessSync(candidate, fs.constants.X_OK);
        if (fs.statSync(candidate).isFile()) return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// The source

export interface AdbSourceOptions {
  /** Default: resolveAdbAddress(env). */
  address?: AdbAddress;
  env?: Readonly<Record<string, string | undefined>>;
  clock?: Clock;
  logger?: Logger;
  /** Starts `adb start-server` (default child_process.spawn). */
  spawn?: SpawnLike;
  /** Default: findAdbOnPath(). Return undefined to never start a server. */
  findAdb?: () => string | undefined;
  backoff?: BackoffOptions;
  /** Per shell command of the name lookup. */
  nameTimeoutMs?: number;
  /** From connect until the first list. */
  connectTimeoutMs?: number;
  startServerTimeoutMs?: number;
  /** Between `adb start-server` attempts while the server keeps refusing. Default 1 s, doubling up to 60 s. */
  startServerBackoff?: BackoffOptions;
}

export class AdbSource extends ReconnectingSource implements DeviceSource {
  readonly address: AdbAddress;
  private readonly spawn: SpawnLike;
  private readonly findAdb: () => string | undefined;
  private readonly nameTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly startServerTimeoutMs: number;

  private track: net.Socket | undefined;
  /** true once the current connection delivered a list: only then may snapshots go out. */
  private listed = false;
  private longMode = true;
  private retryNow = false;
  /** `adb start-server` is tried again (an `adb kill-server` can happen any number of times), backing off. */
  private readonly startServerBackoff: Backoff;
  private nextStartServerAt = 0;
  private lines: AdbDeviceLine[] = [];
  private readonly names = new Map<string, string>();
  /** Per transport (adb serial): its hardware serial (`ro.serialno`) and whether it is an emulator; asked once. */
  private readonly identities = new Map<string, { hardwareSerial?: string; emulator: boolean }>();
  private readonly identityAttempts = new Map<string, object>();
  /** One lookup per appearance of a serial; the token tells a current lookup from an outdated one. */
  private readonly attempts = new Map<string, object>();
  private readonly shellSockets = new Set<net.Socket>();

  constructor(opts: AdbSourceOptions = {}) {
    super('adb', opts.clock ?? systemClock, opts.logger ?? silentLogger, opts.backoff);
    this.address = opts.address ?? resolveAdbAddress(opts.env ?? process.env);
    this.spawn = opts.spawn ?? ((command, args, options) => nodeSpawn(command, args, options));
    this.findAdb = opts.findAdb ?? (() => findAdbOnPath());
    this.nameTimeoutMs = opts.nameTimeoutMs ?? 5000;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
    this.startServerTimeoutMs = opts.startServerTimeoutMs ?? 20_000;
    this.startServerBackoff = new Backoff(opts.startServerBackoff ?? { initialMs: 1000, maxMs: 60_000 });
    if (this.address.warning) this.log('warn', this.address.warning);
  }

  /** `dumpsys battery` of a usable device, by its adb serial or hardware serial (a USB transport first). */
  async readBattery(udid: string): Promise<Battery | undefined> {
    if (!this.running) return undefined;
    const serials = this.lines
      .filter((l) => l.state === 'device' && (l.serial === udid || this.identities.get(l.serial)?.hardwareSerial === udid))
      .sort((a, b) => Number(adbConnectionOf(a.serial) === 'network') - Number(adbConnectionOf(b.serial) === 'network'))
      .map((l) => l.serial);
    const serial = serials[0];
    if (serial === undefined) return undefined;
    const out = await adbShell(this.address, serial, 'dumpsys battery', { clock: this.clock, timeoutMs: this.nameTimeoutMs, track: this.shellSockets });
    return parseDumpsysBattery(out, this.clock.now());
  }

  protected releaseConnections(): net.Socket[] {
    const sockets = [...(this.track ? [this.track] : []), ...this.shellSockets];
    this.track = undefined;
    this.listed = false;
    this.attempts.clear();
    this.identityAttempts.clear();
    return sockets;
  }

  private get downMessage(): string {
    return `adb server not reachable on ${this.address.label}`;
  }

  protected connect(): void {
    if (!this.running) return;
    const socket = connectTo(this.address);
    const decoder = new AdbStreamDecoder();
    const service = this.longMode ? 'host:track-devices-l' : 'host:track-devices';
    let lastError: Error | undefined;
    let gotList = false;
    this.track = socket;
    this.listed = false;
    const firstListTimer = this.clock.setTimeout(() => {
      socket.destroy(new Error(`no device list within ${this.connectTimeoutMs} ms`));
    }, this.connectTimeoutMs);

    socket.on('connect', () => socket.write(encodeAdbRequest(service)));
    socket.on('data', (chunk: Buffer) => {
      let frames: AdbFrame[];
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        socket.destroy(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      for (const frame of frames) {
        if (this.track !== socket) return;
        if (frame.kind === 'fail') {
          this.clock.clearTimeout(firstListTimer);
          this.onTrackFail(frame.message);
          socket.destroy();
          return;
        }
        if (frame.kind === 'data') {
          if (!gotList) {
            gotList = true;
            this.clock.clearTimeout(firstListTimer);
            this.backoff.reset();
            this.startServerBackoff.reset();
            this.nextStartServerAt = 0;
          }
          this.onList(frame.text);
        }
      }
    });
    socket.on('error', (err) => {
      lastError = err;
    });
    socket.on('close', () => {
      this.clock.clearTimeout(firstListTimer);
      if (this.track !== socket) return;
      this.track = undefined;
      this.listed = false;
      this.onDisconnected(lastError, gotList);
    });
  }

  private onTrackFail(message: string): void {
    if (this.longMode) {
      // Servers older than `track-devices-l` answer "unknown host service": fall back to the short listing.
      this.log('info', `adb server refused host:track-devices-l (${message}); using host:track-devices`);
      this.longMode = false;
      this.retryNow = true;
    } else {
      this.log('warn', `adb server refused host:track-devices: ${message}`);
    }
  }

  private onDisconnected(err: Error | undefined, hadList: boolean): void {
    if (!this.running) return;
    if (this.retryNow) {
      this.retryNow = false;
      this.connect();
      return;
    }
    // Down: say so, and emit NO snapshot — the tracker keeps the last-known devices.
    this.setHealth('down', this.downMessage);
    if (hadList) this.log('warn', `lost the adb server on ${this.address.label}${err ? `: ${errorText(err)}` : ''}`);
    else this.log('debug', `adb server on ${this.address.label}: ${err ? errorText(err) : 'closed'}`);
    const code = errorCode(err);
    if ((code === 'ECONNREFUSED' || code === 'ENOENT') && isLoopback(this.address) && monotonicNow(this.clock) >= this.nextStartServerAt) {
      const adb = this.findAdb();
      if (adb) {
        this.nextStartServerAt = monotonicNow(this.clock) + this.startServerBackoff.next();
        this.startServer(adb, this.address.port);
        return;
      }
    }
    this.scheduleReconnect('adb');
  }

  /** Like the adb client does on ECONNREFUSED; again after each backoff while the server stays away. */
  private startServer(adb: string, port: number): void {
    const args = ['-P', String(port), 'start-server'];
    const generation = this.generation;
    this.log('info', `starting the adb server: ${adb} ${args.join(' ')}`);
    let finished = false;
    const timer = this.clock.setTimeout(() => finish('did not finish in time'), this.startServerTimeoutMs);
    const finish = (how: string): void => {
      if (finished) return;
      finished = true;
      this.clock.clearTimeout(timer);
      this.log('info', `adb start-server ${how}`);
      if (this.running && generation === this.generation) this.connect();
    };
    try {
      const child = this.spawn(adb, args, { stdio: 'ignore', windowsHide: true });
      child.once('exit', (code) => finish(`exited with code ${code ?? 'none'}`));
      child.once('error', (err) => finish(`failed: ${errorText(err)}`));
    } catch (err) {
      finish(`failed: ${errorText(err)}`);
    }
  }

  private onList(text: string): void {
    const lines = parseDevicesLong(text);
    this.lines = lines;
    const listedSerials = new Set(lines.map((l) => l.serial));
    for (const serial of [...this.attempts.keys(), ...this.names.keys(), ...this.identities.keys(), ...this.identityAttempts.keys()]) {
      if (!listedSerials.has(serial)) {
        // Gone: forget, so a re-plug asks again (the name may have changed meanwhile; an ip:port may be another phone).
        this.attempts.delete(serial);
        this.names.delete(serial);
        this.identities.delete(serial);
        this.identityAttempts.delete(serial);
      }
    }
    for (const line of lines) {
      if (line.state !== 'device') continue;
      if (!this.identities.has(line.serial) && !this.identityAttempts.has(line.serial)) this.resolveIdentity(line.serial);
      if (!this.attempts.has(line.serial)) this.resolveName(line);
    }
    const first = !this.listed;
    this.listed = true;
    this.publish(first);
    this.setHealth('ok');
  }

  private publish(force: boolean): void {
    if (!this.running || !this.listed) return;
    const seen = new Set<string>();
    const devices: Observation[] = [];
    // A usable line wins over an unusable duplicate of the same serial (adb cannot tell them apart either).
    const ordered = [...this.lines].sort((a, b) => Number(b.state === 'device') - Number(a.state === 'device'));
    for (const line of ordered) {
      if (seen.has(line.serial)) continue;
      seen.add(line.serial);
      // A usable network transport waits for its hardware serial (one quick getprop): listed before, a Wi-Fi twin
      // would show as a second phone for a moment.
      if (line.state === 'device' && adbConnectionOf(line.serial) === 'network' && !EMULATOR_SERIAL.test(line.serial) && this.identityAttempts.has(line.serial)) continue;
      devices.push(this.toObservation(line));
    }
    this.emitSnapshot(devices, force);
  }

  /**
   * For a usable device `name` stays undefined until the lookup finishes (then it is always set, falling back to
   * the model field and the serial); an unusable device cannot be asked, so it shows the model field if any.
   */
  private toObservation(line: AdbDeviceLine): Observation {
    const usable = line.state === 'device';
    const obs: Observation = {
      source: 'adb',
      udid: line.serial,
      platform: 'android',
      connection: adbConnectionOf(line.serial),
      usable,
      rawState: line.state,
    };
    const name = this.names.get(line.serial) ?? (usable || line.model === undefined ? undefined : cleanDeviceText(line.model));
    if (name !== undefined) obs.name = name;
    if (line.usb && USB_PATH.test(line.usb)) obs.usbPath = line.usb;
    const identity = this.identities.get(line.serial);
    if (identity?.hardwareSerial && !identity.emulator && !EMULATOR_SERIAL.test(line.serial)) obs.hardwareSerial = identity.hardwareSerial;
    return obs;
  }

  /** `getprop ro.serialno` and `ro.kernel.qemu`, once per appearance of a transport. */
  private resolveIdentity(serial: string): void {
    const attempt = {};
    const generation = this.generation;
    this.identityAttempts.set(serial, attempt);
    const ask = async (prop: string): Promise<string | undefined> =>
      cleanShellValue(await adbShell(this.address, serial, `getprop ${prop}`, { clock: this.clock, timeoutMs: this.nameTimeoutMs, track: this.shellSockets }));
    const done = (identity: { hardwareSerial?: string; emulator: boolean }): void => {
      if (generation !== this.generation || this.identityAttempts.get(serial) !== attempt) return;
      this.identityAttempts.delete(serial);
      this.identities.set(serial, identity);
      this.publish(false);
    };
    (async () => {
      const hardwareSerial = await ask('ro.serialno');
      const emulator = (await ask('ro.kernel.qemu')) === '1';
      return hardwareSerial && /^[\x21-\x7e]{1,64}$/.test(hardwareSerial) ? { hardwareSerial, emulator } : { emulator };
    })().then(done, (err: unknown) => {
      this.log('debug', `adb ${serial}: ro.serialno lookup failed: ${errorText(err)}`);
      // Listed under its own serial rather than hidden.
      done({ emulator: false });
    });
  }

  private resolveName(line: AdbDeviceLine): void {
    const attempt = {};
    const generation = this.generation;
    this.attempts.set(line.serial, attempt);
    this.lookupName(line.serial, line.model).then(
      (name) => {
        if (generation !== this.generation || this.attempts.get(line.serial) !== attempt) return;
        this.names.set(line.serial, name);
        this.log('debug', `adb ${line.serial} is named "${name}"`);
        this.publish(false);
      },
      (err: unknown) => {
        if (generation !== this.generation || this.attempts.get(line.serial) !== attempt) return;
        // Asked again on the next list that shows it usable.
        this.attempts.delete(line.serial);
        this.log('debug', `adb ${line.serial}: name lookup failed: ${errorText(err)}`);
      },
    );
  }

  /** device_name (what a person named it) → marketname → model prop → model field → serial. */
  private async lookupName(serial: string, modelField: string | undefined): Promise<string> {
    const commands = ['settings get global device_name', 'getprop ro.product.marketname', 'getprop ro.product.model'];
    for (const command of commands) {
      const output = await adbShell(this.address, serial, command, {
        clock: this.clock,
        timeoutMs: this.nameTimeoutMs,
        track: this.shellSockets,
      });
      const value = cleanShellValue(output);
      // Device text is untrusted: cleaned and capped before it reaches the UI, logs, payloads and files.
      const clean = value === undefined ? '' : cleanDeviceText(value);
      if (clean !== '') return clean;
    }
    return cleanDeviceText(modelField ?? '') || serial;
  }
}

