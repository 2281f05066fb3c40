// iOS devices through usbmuxd (our own client; the tests talk to test/fakes/usbmuxd.ts,
// which test/devices/usbmux.realclient.test.ts keeps honest against libimobiledevice's real tools).
//
// Wire summary: every message is a 16-byte little-endian header `length (incl. header) | version 1 |
// message 8 (plist) | tag` followed by an XML plist. `Listen` is answered by `Result {Number: 0}` and then, on the
// same connection, `Attached` for every device already there and live `Attached` / `Detached` / `Paired`.
// `Detached` carries only the DeviceID, so we keep our own DeviceID → UDID map. To read a device's name we open a
// second connection, `Connect` to lockdownd (port 62078, sent byte-swapped as 32498); after `Result 0` that socket
// is a tunnel to lockdownd, which frames plists with a 4-byte BIG-endian length instead.

import net from 'node:net';
import plist from 'plist';
import type { PlistObject, PlistValue } from 'plist';
import { parseIosBattery } from './battery';
import type { Battery } from './battery';
import { systemClock } from './types';
import type { Clock, DeviceSource, Observation } from './types';
import { cleanDeviceText } from './deviceText';
import { silentLogger } from '../log';
import type { Logger } from '../log';
import { Backoff, ReconnectingSource, errorText, normalizeAppleUdid } from './sourceKit';
import type { BackoffOptions } from './sourceKit';

// ---------------------------------------------------------------------------------------------------------------
// Where the daemon is

export type UsbmuxAddress = { kind: 'unix'; path: string; label: string } | { kind: 'tcp'; host: string; port: number; label: string };

export const DEFAULT_USBMUXD_SOCKET = '/var/run/usbmuxd';
export const USBMUXD_TCP_PORT = 27015;

function unixAddress(path: string): UsbmuxAddress {
  return { kind: 'unix', path, label: path };
}
function tcpAddress(host: string, port: number): UsbmuxAddress {
  return { kind: 'tcp', host, port, label: host.includes(':') ? `[${host}]:${port}` : `${host}:${port}` };
}

/**
 * Like libusbmuxd: `USBMUXD_SOCKET_ADDRESS` is `UNIX:/path`, or `HOST:PORT` (`[V6]:PORT`) when what follows the last
 * colon is a port number, else a bare socket path. Without it: /var/run/usbmuxd, or TCP 127.0.0.1:27015 on Windows.
 */
export function resolveUsbmuxAddress(env: Readonly<Record<string, string | undefined>>, platform: NodeJS.Platform): UsbmuxAddress {
  const spec = env.USBMUXD_SOCKET_ADDRESS;
  if (spec) {
    if (spec.startsWith('UNIX:')) return unixAddress(spec.slice(5));
    const colon = spec.lastIndexOf(':');
    if (colon >= 0) {
      const portText = spec.slice(colon + 1);
      const port = /^\d{1,5}$/.test(portText) ? Number(portText) : 0;
      if (port > 0 && port < 65536) {
        let host = spec.slice(0, colon);
        if (host.startsWith('[')) host = host.slice(1).replace(/\].*$/, '');
        return tcpAddress(host || '127.0.0.1', port);
      }
    }
    return unixAddress(spec);
  }
  return platform === 'win32' ? tcpAddress('127.0.0.1', USBMUXD_TCP_PORT) : unixAddress(DEFAULT_USBMUXD_SOCKET);
}

export function connectTo(address: UsbmuxAddress): net.Socket {
  return address.kind === 'tcp' ? net.connect({ host: address.host, port: address.port }) : net.connect({ path: address.path });
}

// ---------------------------------------------------------------------------------------------------------------
// Framing

export const USBMUX_HEADER_SIZE = 16;
export const USBMUX_VERSION = 1;
export const USBMUX_PLIST_MESSAGE = 8;
export const LOCKDOWN_PORT = 62078;
const MAX_FRAME = 16 * 1024 * 1024;

export class UsbmuxProtocolError extends Error {}

/** usbmuxd's Connect wants the port in network byte order inside a little-endian field: 62078 → 32498. */
export function swapPort(port: number): number {
  return ((port & 0xff) << 8) | ((port >> 8) & 0xff);
}

export interface UsbmuxPacket {
  version: number;
  message: number;
  tag: number;
  payload: Buffer;
}

export function encodeUsbmuxPacket(payload: Buffer, tag: number, message = USBMUX_PLIST_MESSAGE, version = USBMUX_VERSION): Buffer {
  const header = Buffer.alloc(USBMUX_HEADER_SIZE);
  header.writeUInt32LE(USBMUX_HEADER_SIZE + payload.length, 0);
  header.writeUInt32LE(version, 4);
  header.writeUInt32LE(message, 8);
  header.writeUInt32LE(tag, 12);
  return Buffer.concat([header, payload]);
}

export function encodeUsbmuxPlist(obj: PlistObject, tag: number): Buffer {
  return encodeUsbmuxPacket(Buffer.from(plist.build(obj), 'utf8'), tag);
}

export function encodeLockdownMessage(obj: PlistObject): Buffer {
  const body = Buffer.from(plist.build(obj), 'utf8');
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length, 0);
  return Buffer.concat([header, body]);
}

/** Cuts a byte stream into frames whose total length the header tells; partial and coalesced chunks both work. */
class FrameCutter {
  private buffer: Buffer = Buffer.alloc(0);

  constructor(
    private readonly headerSize: number,
    private readonly totalLength: (header: Buffer) => number,
  ) {}

  push(chunk: Buffer): Buffer[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const frames: Buffer[] = [];
    while (this.buffer.length >= this.headerSize) {
      const total = this.totalLength(this.buffer);
      if (total < this.headerSize || total > MAX_FRAME) throw new UsbmuxProtocolError(`bad frame length ${total}`);
      if (this.buffer.length < total) break;
      frames.push(this.buffer.subarray(0, total));
      this.buffer = this.buffer.subarray(total);
    }
    return frames;
  }

  /** Bytes after the last whole frame (when a connection switches to another framing). */
  rest(): Buffer {
    const rest = this.buffer;
    this.buffer = Buffer.alloc(0);
    return rest;
  }
}

export class UsbmuxDecoder {
  private readonly cutter = new FrameCutter(USBMUX_HEADER_SIZE, (h) => h.readUInt32LE(0));

  push(chunk: Buffer): UsbmuxPacket[] {
    return this.cutter.push(chunk).map((frame) => ({
      version: frame.readUInt32LE(4),
      message: frame.readUInt32LE(8),
      tag: frame.readUInt32LE(12),
      payload: frame.subarray(USBMUX_HEADER_SIZE),
    }));
  }

  rest(): Buffer {
    return this.cutter.rest();
  }
}

export class LockdownDecoder {
  private readonly cutter = new FrameCutter(4, (h) => 4 + h.readUInt32BE(0));

  push(chunk: Buffer): PlistObject[] {
    return this.cutter.push(chunk).map((frame) => parsePlistDict(frame.subarray(4)));
  }
}

export function parsePlistDict(payload: Buffer): PlistObject {
  if (payload.subarray(0, 8).toString('latin1') === 'bplist00') throw new UsbmuxProtocolError('binary plists are not supported');
  const value: PlistValue = plist.parse(payload.toString('utf8'));
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Date || Buffer.isBuffer(value)) {
    throw new UsbmuxProtocolError('expected a plist dictionary');
  }
  return value as PlistObject;
}

const PROG_NAME = 'DeviceHooks';

function request(type: string, extra: PlistObject = {}): PlistObject {
  return { MessageType: type, ProgName: PROG_NAME, ClientVersionString: PROG_NAME, kLibUSBMuxVersion: 3, ...extra };
}

function num(value: PlistValue | undefined): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
function str(value: PlistValue | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
function dict(value: PlistValue | undefined): PlistObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date) && !Buffer.isBuffer(value)
    ? (value as PlistObject)
    : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Lockdown: one question per device

/** usbmuxd refused the Connect (Result number: 2 bad device, 3 connection refused). */
export class UsbmuxConnectRefused extends Error {
  constructor(readonly number: number) {
    super(`usbmuxd Connect refused (result ${number})`);
  }
}

/** Lockdown did not answer in time (a hung device, or a tunnel that never opened). */
export class LockdownTimeout extends Error {}

function failureReason(err: unknown): string {
  if (err instanceof UsbmuxConnectRefused) return err.number === 3 ? 'lockdown refused' : `usbmuxd result ${err.number}`;
  if (err instanceof LockdownTimeout) return 'lockdown timed out';
  return 'lockdown error';
}

export interface LockdownAnswer {
  /** DeviceName when lockdownd gave it. */
  name?: string;
  /** lockdownd's Error when it answered with one (still an answer: the device is there and talking). */
  error?: string;
}

/** Connects through usbmuxd to lockdownd and asks `GetValue DeviceName`. */
export async function queryLockdownName(
  address: UsbmuxAddress,
  deviceId: number,
  opts: { clock?: Clock; timeoutMs?: number; label?: string; track?: Set<net.Socket> } = {},
): Promise<LockdownAnswer> {
  const reply = await queryLockdownValue(address, deviceId, { Key: 'DeviceName' }, opts);
  const answer: LockdownAnswer = {};
  const name = str(reply.Value);
  const error = str(reply.Error);
  // Device text is untrusted: cleaned and capped before it reaches the UI, logs, payloads and files.
  const clean = name === undefined ? '' : cleanDeviceText(name);
  if (clean !== '') answer.name = clean;
  if (error !== undefined) answer.error = error;
  return answer;
}

/** Connects through usbmuxd to lockdownd and sends one `GetValue` (Key and/or Domain); resolves with lockdownd's reply. */
export function queryLockdownValue(
  address: UsbmuxAddress,
  deviceId: number,
  query: { Key?: string; Domain?: string },
  opts: { clock?: Clock; timeoutMs?: number; label?: string; track?: Set<net.Socket> } = {},
): Promise<PlistObject> {
  const clock = opts.clock ?? systemClock;
  const timeoutMs = opts.timeoutMs ?? 5000;
  return new Promise<PlistObject>((resolve, reject) => {
    const socket = connectTo(address);
    opts.track?.add(socket);
    let settled = false;
    const finish = (err: Error | undefined, answer?: PlistObject): void => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(timer);
      socket.destroy();
      opts.track?.delete(socket);
      if (err) reject(err);
      else resolve(answer ?? {});
    };
    const timer = clock.setTimeout(() => finish(new LockdownTimeout(`lockdown did not answer within ${timeoutMs} ms`)), timeoutMs);
    const mux = new UsbmuxDecoder();
    let lockdown: LockdownDecoder | undefined;

    const onLockdown = (msg: PlistObject): void => {
      if (str(msg.Request) !== 'GetValue') return;
      finish(undefined, msg);
    };

    socket.on('connect', () => {
      socket.write(encodeUsbmuxPlist(request('Connect', { DeviceID: deviceId, PortNumber: swapPort(LOCKDOWN_PORT) }), 1));
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        if (lockdown) {
          for (const msg of lockdown.push(chunk)) onLockdown(msg);
          return;
        }
        for (const packet of mux.push(chunk)) {
          const msg = parsePlistDict(packet.payload);
          if (str(msg.MessageType) !== 'Result') continue;
          const number = num(msg.Number) ?? -1;
          if (number !== 0) {
            finish(new UsbmuxConnectRefused(number));
            return;
          }
          // From here on the socket is a tunnel to lockdownd; bytes already read after the Result are its.
          lockdown = new LockdownDecoder();
          socket.write(encodeLockdownMessage({ Label: opts.label ?? PROG_NAME, ...query, Request: 'GetValue' }));
          for (const m of lockdown.push(mux.rest())) onLockdown(m);
          return;
        }
      } catch (err) {
        finish(err instanceof Error ? err : new Error(String(err)));
      }
    });
    socket.on('error', (err) => finish(err));
    socket.on('close', () => finish(new Error('connection closed before lockdown answered')));
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The source

export interface UsbmuxSourceOptions {
  /** Default: resolveUsbmuxAddress(env, platform). */
  address?: UsbmuxAddress;
  env?: Readonly<Record<string, string | undefined>>;
  platform?: NodeJS.Platform;
  clock?: Clock;
  logger?: Logger;
  backoff?: BackoffOptions;
  /** Retry of a failed lockdown check while the device stays attached. Default 250 ms, doubling up to 60 s. */
  lockdownBackoff?: BackoffOptions;
  lockdownTimeoutMs?: number;
  /** After `Result 0`, how long the Attached burst for devices already there may take before the first list. */
  settleMs?: number;
  /** From connect until `Result`. */
  connectTimeoutMs?: number;
}

type CheckResult = { ok: true } | { ok: false; reason: string };

interface Entry {
  deviceId: number;
  udid: string;
  connectionType: string;
  productId?: number;
  /** undefined until the first lockdown check finished: the device is left out of lists until then. */
  result?: CheckResult;
  inFlight?: object;
  retryTimer?: unknown;
  retry: Backoff;
}

export class UsbmuxSource extends ReconnectingSource implements DeviceSource {
  readonly address: UsbmuxAddress;
  private readonly lockdownBackoff: BackoffOptions;
  private readonly lockdownTimeoutMs: number;
  private readonly settleMs: number;
  private readonly connectTimeoutMs: number;

  private listen: net.Socket | undefined;
  private listening = false;
  private settled = false;
  private published = false;
  private settleTimer: unknown;
  private downMessage: string | undefined;
  private readonly entries = new Map<number, Entry>();
  private readonly names = new Map<string, string>();
  private readonly lockdownSockets = new Set<net.Socket>();

  constructor(opts: UsbmuxSourceOptions = {}) {
    super('usbmux', opts.clock ?? systemClock, opts.logger ?? silentLogger, opts.backoff);
    this.address = opts.address ?? resolveUsbmuxAddress(opts.env ?? process.env, opts.platform ?? process.platform);
    // The first retry comes well inside the Offline hold (2 s): a replug whose first Connect is refused (lockdownd
    // not up yet) is asked again at 250, 750 and 1750 ms and commits nothing.
    this.lockdownBackoff = opts.lockdownBackoff ?? { initialMs: 250, maxMs: 60_000 };
    this.lockdownTimeoutMs = opts.lockdownTimeoutMs ?? 5000;
    this.settleMs = opts.settleMs ?? 200;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
  }

  /**
   * The battery domain of an attached device (`com.apple.mobile.battery`: current capacity, charging); undefined
   * where the device refuses it (a real one may want a paired session) or is not attached and answering.
   */
  async readBattery(udid: string): Promise<Battery | undefined> {
    const entry = [...this.entries.values()].find((e) => e.udid === udid && e.result?.ok === true && e.connectionType === 'USB') ?? [...this.entries.values()].find((e) => e.udid === udid && e.result?.ok === true);
    if (!entry || !this.running) return undefined;
    const reply = await queryLockdownValue(this.address, entry.deviceId, { Domain: 'com.apple.mobile.battery' }, { clock: this.clock, timeoutMs: this.lockdownTimeoutMs, track: this.lockdownSockets });
    return reply.Error === undefined ? parseIosBattery(reply.Value, this.clock.now()) : undefined;
  }

  protected releaseConnections(): net.Socket[] {
    const sockets = [...(this.listen ? [this.listen] : []), ...this.lockdownSockets];
    this.listen = undefined;
    this.resetConnectionState();
    return sockets;
  }

  private resetConnectionState(): void {
    this.clock.clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
    for (const entry of this.entries.values()) this.dropEntry(entry);
    this.entries.clear();
    for (const socket of this.lockdownSockets) socket.destroy();
    this.listening = false;
    this.settled = false;
    this.published = false;
  }

  protected connect(): void {
    if (!this.running) return;
    const socket = connectTo(this.address);
    const decoder = new UsbmuxDecoder();
    let lastError: Error | undefined;
    this.listen = socket;
    this.downMessage = undefined;
    const resultTimer = this.clock.setTimeout(() => socket.destroy(new Error(`no Result within ${this.connectTimeoutMs} ms`)), this.connectTimeoutMs);

    socket.on('connect', () => socket.write(encodeUsbmuxPlist(request('Listen'), 1)));
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const packet of decoder.push(chunk)) {
          if (this.listen !== socket) return;
          const msg = parsePlistDict(packet.payload);
          if (str(msg.MessageType) === 'Result') this.clock.clearTimeout(resultTimer);
          this.onListenMessage(msg, socket);
        }
      } catch (err) {
        socket.destroy(err instanceof Error ? err : new Error(String(err)));
      }
    });
    socket.on('error', (err) => {
      lastError = err;
    });
    socket.on('close', () => {
      this.clock.clearTimeout(resultTimer);
      if (this.listen !== socket) return;
      this.listen = undefined;
      const wasListening = this.listening;
      this.resetConnectionState();
      this.onDisconnected(lastError, wasListening);
    });
  }

  private onDisconnected(err: Error | undefined, wasListening: boolean): void {
    if (!this.running) return;
    // Down: say so, and emit NO snapshot — the tracker keeps the last-known devices.
    this.setHealth('down', this.downMessage ?? `usbmuxd not reachable at ${this.address.label}`);
    const detail = err ? `: ${errorText(err)}` : '';
    this.log(wasListening ? 'warn' : 'debug', `usbmuxd at ${this.address.label} ${wasListening ? 'went away' : 'not reachable'}${detail}`);
    this.scheduleReconnect('usbmuxd');
  }

  private onListenMessage(msg: PlistObject, socket: net.Socket): void {
    const type = str(msg.MessageType);
    if (type === 'Result') {
      if (this.listening) return;
      const number = num(msg.Number);
      if (number !== 0) {
        this.downMessage = `usbmuxd at ${this.address.label} refused to list devices (result ${number ?? '?'})`;
        socket.destroy();
        return;
      }
      this.listening = true;
      this.backoff.reset();
      // The Attached messages for devices already there follow right after the Result (usbmuxd writes them in
      // the same burst); give them a short window so the first list is whole, not "everything unplugged".
      this.settleTimer = this.clock.setTimeout(() => {
        this.settleTimer = undefined;
        this.settled = true;
        this.publish();
      }, this.settleMs);
      return;
    }
    if (!this.listening) return;
    if (type === 'Attached') this.onAttached(msg);
    else if (type === 'Detached') this.onDetached(num(msg.DeviceID));
    else if (type === 'Paired') {
      const entry = this.entries.get(num(msg.DeviceID) ?? -1);
      if (entry && entry.result?.ok !== true) this.check(entry);
    } else this.log('debug', `usbmuxd sent ${type ?? 'a message without MessageType'}`);
  }

  private onAttached(msg: PlistObject): void {
    const props = dict(msg.Properties) ?? {};
    const deviceId = num(msg.DeviceID) ?? num(props.DeviceID);
    const serial = str(props.SerialNumber);
    if (deviceId === undefined || !serial) {
      this.log('warn', 'usbmuxd Attached without DeviceID or SerialNumber; ignored');
      return;
    }
    const old = this.entries.get(deviceId);
    if (old) this.dropEntry(old);
    const entry: Entry = {
      deviceId,
      udid: normalizeAppleUdid(serial),
      connectionType: str(props.ConnectionType) ?? 'USB',
      retry: new Backoff(this.lockdownBackoff),
    };
    const productId = num(props.ProductID);
    if (productId !== undefined) entry.productId = productId;
    this.entries.set(deviceId, entry);
    this.ensureChecks();
    this.publish();
  }

  private onDetached(deviceId: number | undefined): void {
    const entry = deviceId === undefined ? undefined : this.entries.get(deviceId);
    if (!entry) return;
    this.dropEntry(entry);
    this.entries.delete(entry.deviceId);
    // A Network entry of the same phone may now become the one that speaks for it.
    this.ensureChecks();
    this.publish();
  }

  private dropEntry(entry: Entry): void {
    entry.inFlight = undefined;
    this.clock.clearTimeout(entry.retryTimer);
    entry.retryTimer = undefined;
  }

  /** Entries grouped by UDID, each with the one that speaks for the phone: USB wins over Network duplicates. */
  private groups(): { primary: Entry; all: Entry[] }[] {
    const byUdid = new Map<string, Entry[]>();
    for (const entry of this.entries.values()) {
      const list = byUdid.get(entry.udid);
      if (list) list.push(entry);
      else byUdid.set(entry.udid, [entry]);
    }
    return [...byUdid.values()].map((all) => {
      const sorted = [...all].sort((a, b) => Number(b.connectionType === 'USB') - Number(a.connectionType === 'USB') || a.deviceId - b.deviceId);
      return { primary: sorted[0] as Entry, all };
    });
  }

  /** Every entry is asked once (and again after a failure): a Network twin then has its answer ready if USB goes. */
  private ensureChecks(): void {
    for (const entry of this.entries.values()) {
      if (!entry.result && !entry.inFlight) this.check(entry);
    }
  }

  private check(entry: Entry): void {
    const token = {};
    const generation = this.generation;
    entry.inFlight = token;
    this.clock.clearTimeout(entry.retryTimer);
    entry.retryTimer = undefined;
    const current = (): boolean => this.running && generation === this.generation && this.entries.get(entry.deviceId) === entry;
    const opts = { clock: this.clock, timeoutMs: this.lockdownTimeoutMs, track: this.lockdownSockets };
    queryLockdownName(this.address, entry.deviceId, opts).then(
      (answer) => {
        if (!current() || entry.inFlight !== token) return;
        entry.inFlight = undefined;
        entry.result = { ok: true };
        entry.retry.reset();
        if (answer.name) this.names.set(entry.udid, answer.name);
        if (answer.error) this.log('debug', `lockdown of ${entry.udid} answered with ${answer.error}`);
        this.publish();
      },
      (err: unknown) => {
        if (!current() || entry.inFlight !== token) return;
        entry.inFlight = undefined;
        entry.result = { ok: false, reason: failureReason(err) };
        this.log('info', `lockdown of ${entry.udid} (device ${entry.deviceId}) failed: ${errorText(err)}`);
        this.publish();
        // Booting or locked phones refuse for a while: ask again (less and less often) while it stays attached.
        entry.retryTimer = this.clock.setTimeout(() => {
          entry.retryTimer = undefined;
          if (current() && !entry.inFlight) this.check(entry);
        }, entry.retry.next());
      },
    );
  }

  private publish(): void {
    if (!this.running || !this.listening || !this.settled) return;
    const groups = this.groups();
    // The first list after (re)connecting waits until every phone's lockdown check has finished (each bounded by
    // its timeout): leaving one out would read as "unplugged".
    if (!this.published && groups.some((g) => !g.primary.result)) return;
    const devices: Observation[] = [];
    for (const { primary, all } of groups) {
      // The USB entry speaks for the phone once it has its answer; until then a Network twin that has one does.
      // A new phone still being asked is left out: it joins when the answer comes.
      const speaker = primary.result ? primary : all.find((e) => e.result);
      if (speaker?.result) devices.push(this.toObservation(speaker, speaker.result));
    }
    const first = !this.published;
    this.published = true;
    this.emitSnapshot(devices, first);
    this.setHealth('ok');
  }

  private toObservation(entry: Entry, result: CheckResult): Observation {
    const usb = entry.connectionType === 'USB';
    const obs: Observation = {
      source: 'usbmux',
      udid: entry.udid,
      platform: 'ios',
      connection: usb ? 'usb' : 'network',
      usable: result.ok,
      rawState: result.ok ? 'Attached' : `Attached (${result.reason})`,
    };
    const name = this.names.get(entry.udid);
    if (name !== undefined) obs.name = name;
    if (usb) {
      obs.vendorId = 0x05ac;
      if (entry.productId !== undefined) obs.productId = entry.productId;
    }
    return obs;
  }
}

