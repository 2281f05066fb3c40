// The control socket: how a command-line call reaches the DeviceHooks that holds a data folder.
//
// Whoever holds the data-folder lock (main/storage/dataLock.ts) as the headless runner listens on
// DATA_DIR/control.sock (a Unix socket with mode 0600: only this OS account may connect), or on Windows on
// a named pipe named after the OS user and the folder. One request per connection: a JSON line in, a JSON
// line out. A runner executes the command on its live stores; a command-line call that holds the lock for
// a moment answers `busy` so the other caller waits its turn.
import { createHash } from 'node:crypto';
import { chmodSync, unlinkSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import type { CliRequest, CliResponse } from './types';

export const CONTROL_SOCKET = 'control.sock';
/** An import file is at most 2 MiB; a request carries it as text. */
const MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

export function controlAddress(dataDir: string, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') {
    let user = 'user';
    try {
      user = userInfo().username || user;
    } catch {
      // keep the default
    }
    const folder = createHash('sha256').update(resolve(dataDir).toLowerCase()).digest('hex').slice(0, 16);
    return `\\\\.\\pipe\\devicehooks-${user.replace(/[^A-Za-z0-9_.-]/g, '_')}-${folder}`;
  }
  return join(dataDir, CONTROL_SOCKET);
}

type ServerReply = CliResponse | { busy: true };

export interface ControlServer {
  address: string;
  close(): Promise<void>;
}

/** Listens on the folder's control address. `handle` answers each request (a runner runs them one at a time). */
export async function listenControl(dataDir: string, handle: (request: CliRequest) => Promise<ServerReply>): Promise<ControlServer> {
  const address = controlAddress(dataDir);
  const unix = process.platform !== 'win32';
  // We hold the data lock: a socket file left here is a crashed holder's.
  if (unix) removeQuietly(address);
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    readLine(socket)
      .then(async (line) => {
        let reply: ServerReply;
        try {
          reply = await handle(JSON.parse(line) as CliRequest);
        } catch (error) {
          reply = { code: 1, out: '', err: `DeviceHooks could not run the command: ${error instanceof Error ? error.message : String(error)}\n` };
        }
        socket.end(`${JSON.stringify(reply)}\n`);
      })
      .catch(() => socket.destroy());
  });
  // The socket file is made with the mode the umask leaves: make it 0600 from the start, not a moment later.
  const previousMask = unix ? process.umask(0o177) : 0;
  try {
    await new Promise<void>((done, fail) => {
      server.once('error', fail);
      server.listen(address, () => {
        server.off('error', fail);
        done();
      });
    });
  } finally {
    if (unix) process.umask(previousMask);
  }
  if (unix) chmodSync(address, 0o600);
  server.unref();
  return {
    address,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        for (const s of sockets) s.destroy();
        if (unix) removeQuietly(address);
      }),
  };
}

type ClientOutcome = { kind: 'reply'; reply: ServerReply } | { kind: 'absent' } | { kind: 'unreachable'; reason: string; timedOut: boolean };

/**
 * Sends one request. `absent`: nobody listens (no socket file, or a refused connection); `unreachable`:
 * something is there but did not answer in time.
 */
export function sendControl(dataDir: string, request: CliRequest, timeoutMs: number): Promise<ClientOutcome> {
  const address = controlAddress(dataDir);
  return new Promise((done) => {
    const socket = connect(address);
    let settled = false;
    const finish = (outcome: ClientOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      done(outcome);
    };
    const timer = setTimeout(() => finish({ kind: 'unreachable', reason: `no answer within ${Math.round(timeoutMs / 1000)} s`, timedOut: true }), timeoutMs);
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED') finish({ kind: 'absent' });
      else finish({ kind: 'unreachable', reason: error.message, timedOut: false });
    });
    socket.on('connect', () => {
      socket.write(`${JSON.stringify(request)}\n`);
      readLine(socket).then(
        (line) => {
          try {
            finish({ kind: 'reply', reply: JSON.parse(line) as ServerReply });
          } catch (error) {
            finish({ kind: 'unreachable', reason: `it answered something else (${(error as Error).message})`, timedOut: false });
          }
        },
        (error: unknown) => finish({ kind: 'unreachable', reason: error instanceof Error ? error.message : String(error), timedOut: false }),
      );
    });
  });
}

function readLine(socket: Socket): Promise<string> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      const newline = chunk.indexOf(0x0a);
      if (newline >= 0) {
        chunks.push(chunk.subarray(0, newline));
        socket.off('data', onData);
        done(Buffer.concat(chunks).toString('utf-8'));
        return;
      }
      chunks.push(chunk);
      size += chunk.length;
      if (size > MAX_MESSAGE_BYTES) {
        socket.off('data', onData);
        fail(new Error('message too large'));
      }
    };
    socket.on('data', onData);
    socket.on('end', () => fail(new Error('the connection closed before a whole message arrived')));
    socket.on('error', fail);
  });
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // not there
  }
}
