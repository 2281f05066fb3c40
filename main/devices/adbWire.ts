// The adb server's host protocol, client side: where the server is, the request/answer framing, and
// one-shot requests (`shell:`) to one device. Plain Node; the device source (./adb.ts) is built on it.
//
// Wire summary: a request is 4 hex digits (byte length) + service name. The server answers `OKAY`, or `FAIL`
// + 4 hex digits + message. `host:track-devices-l` then sends the whole device list as hex4 + text, at once and
// again on every change, on a connection that stays open. The real server usually puts `OKAY` and the first list
// in ONE packet; lists can also be split across packets or several lists can share one: the decoder below is a
// byte-stream state machine and never assumes packet boundaries.

import net from 'node:net';
import { systemClock } from './types';
import type { Clock } from './types';

// ---------------------------------------------------------------------------------------------------------------
// Where the server is

export type AdbAddress =
  | { kind: 'tcp'; host: string; port: number; label: string; warning?: string }
  | { kind: 'unix'; path: string; label: string; warning?: string };

const DEFAULT_ADB_PORT = 5037;

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

export function isLoopback(address: AdbAddress): address is Extract<AdbAddress, { kind: 'tcp' }> {
  return address.kind === 'tcp' && (address.host === 'localhost' || address.host === '::1' || address.host.startsWith('127.'));
}

export function connectTo(address: AdbAddress): net.Socket {
  return address.kind === 'tcp' ? net.connect({ host: address.host, port: address.port }) : net.connect({ path: address.path });
}

// ---------------------------------------------------------------------------------------------------------------
// Framing

export class AdbProtocolError extends Error {}
/** The server answered FAIL with this message (e.g. "device 'X' not found", "device unauthorized"). */
class AdbFailError extends Error {}

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
