// usbmuxd's protocol, client side: where the daemon is, its plist framing (and lockdownd's, inside a Connect
// tunnel), and the one lockdown question asked per device. Plain Node; the device source (./usbmux.ts) is
// built on it.
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
import { systemClock } from './types';
import type { Clock } from './types';
import { cleanDeviceText } from './deviceText';

// ---------------------------------------------------------------------------------------------------------------
// Where the daemon is

export type UsbmuxAddress = { kind: 'unix'; path: string; label: string } | { kind: 'tcp'; host: string; port: number; label: string };

const DEFAULT_USBMUXD_SOCKET = '/var/run/usbmuxd';
const USBMUXD_TCP_PORT = 27015;

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

const USBMUX_HEADER_SIZE = 16;
const USBMUX_VERSION = 1;
const USBMUX_PLIST_MESSAGE = 8;
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

export function request(type: string, extra: PlistObject = {}): PlistObject {
  return { MessageType: type, ProgName: PROG_NAME, ClientVersionString: PROG_NAME, kLibUSBMuxVersion: 3, ...extra };
}

export function num(value: PlistValue | undefined): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
export function str(value: PlistValue | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
export function dict(value: PlistValue | undefined): PlistObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date) && !Buffer.isBuffer(value)
    ? (value as PlistObject)
    : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Lockdown: one question per device

/** usbmuxd refused the Connect (Result number: 2 bad device, 3 connection refused). */
class UsbmuxConnectRefused extends Error {
  constructor(readonly number: number) {
    super(`usbmuxd Connect refused (result ${number})`);
  }
}

/** Lockdown did not answer in time (a hung device, or a tunnel that never opened). */
class LockdownTimeout extends Error {}

export function failureReason(err: unknown): string {
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
