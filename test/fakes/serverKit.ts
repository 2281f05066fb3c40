// What the protocol fakes share: listening on a free port or a socket path, and dying like a killed daemon.
import type net from 'node:net';

/** Starts `server` on `where` (port 0 picks a free one); rejects if it cannot listen. */
export function listenOn(server: net.Server, where: { port: number; host: string } | { path: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const done = (): void => {
      server.off('error', reject);
      resolve();
    };
    if ('path' in where) server.listen(where.path, done);
    else server.listen(where.port, where.host, done);
  });
}

/** The one server a fake daemon runs at a time, and its open connections. */
export class Daemon {
  server: net.Server | undefined;
  readonly sockets = new Set<net.Socket>();

  get running(): boolean {
    return this.server !== undefined;
  }

  async listen(server: net.Server, where: Parameters<typeof listenOn>[1]): Promise<void> {
    await listenOn(server, where);
    this.server = server;
  }

  /** Dies like a killed daemon (see killServer); resolves once it has. */
  kill(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    return killServer(server, this.sockets);
  }
}

/** A killed daemon: stops accepting, drops every open connection, resolves once the server has closed. */
export async function killServer(server: net.Server | undefined, sockets: Iterable<net.Socket>): Promise<void> {
  const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
  for (const socket of sockets) socket.destroy();
  await closed;
}
