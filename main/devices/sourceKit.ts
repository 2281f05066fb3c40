// Small pieces shared by the three device sources: listeners, health, backoff, snapshot de-duplication.
// Plain Node, no Electron.

import type * as net from 'node:net';
import { Listeners as SharedListeners } from '../base/listeners';
import type { Logger } from '../base/log';
import type { Clock, Observation, SourceHealth, SourceHealthState, SourceId, SourceSnapshot } from './types';

/** A set of listeners (main/base/listeners.ts); a listener that throws is logged and never stops the others or the source. */
class Listeners<T> extends SharedListeners<T> {
  constructor(log: Logger) {
    super((err) => log('error', `device source listener threw: ${errorText(err)}`));
  }
}

/** Exponential backoff: initial, doubled on every failure, capped; reset after a success. */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}
const defaultBackoff: BackoffOptions = { initialMs: 500, maxMs: 10_000 };

export class Backoff {
  private current: number;

  constructor(private readonly opts: BackoffOptions = defaultBackoff) {
    this.current = opts.initialMs;
  }

  /** The delay to wait now; the following call returns twice as much (up to maxMs). */
  next(): number {
    const delay = this.current;
    this.current = Math.min(this.current * 2, this.opts.maxMs);
    return delay;
  }

  reset(): void {
    this.current = this.opts.initialMs;
  }
}

/**
 * What every source has in common: snapshot and health listeners, the health cell, and snapshot
 * de-duplication (a list equal to the last one emitted is not emitted again unless forced).
 */
export abstract class SourceBase {
  private readonly snapshotListeners: Listeners<SourceSnapshot>;
  private readonly healthListeners: Listeners<SourceHealth>;
  private current: SourceHealth;
  private lastEmitted: string | undefined;

  protected constructor(
    readonly id: SourceId,
    protected readonly clock: Clock,
    protected readonly log: Logger,
  ) {
    this.snapshotListeners = new Listeners(log);
    this.healthListeners = new Listeners(log);
    this.current = { source: id, state: 'starting', since: clock.now() };
  }

  onSnapshot(listener: (snapshot: SourceSnapshot) => void): () => void {
    return this.snapshotListeners.add(listener);
  }

  onHealth(listener: (health: SourceHealth) => void): () => void {
    return this.healthListeners.add(listener);
  }

  health(): SourceHealth {
    return { ...this.current };
  }

  /** Changes health; listeners hear only real changes (state or message). `since` moves only with the state. */
  protected setHealth(state: SourceHealthState, message?: string): void {
    const before = this.health();
    if (before.state === state && before.message === message) return;
    const next: SourceHealth = { source: this.id, state, since: before.state === state ? before.since : this.clock.now() };
    if (message !== undefined) next.message = message;
    this.current = next;
    this.healthListeners.emit({ ...next });
  }

  /**
   * Emits the whole list if it differs from the last one emitted. `first`: the first list after a (re)connect,
   * always emitted and marked as a resync.
   */
  protected emitSnapshot(devices: Observation[], first = false): void {
    const sorted = [...devices].sort((a, b) => (a.udid < b.udid ? -1 : a.udid > b.udid ? 1 : 0));
    const key = JSON.stringify(sorted);
    if (!first && key === this.lastEmitted) return;
    this.lastEmitted = key;
    const snapshot: SourceSnapshot = { source: this.id, devices: sorted.map((d) => ({ ...d })) };
    if (first) snapshot.resync = true;
    this.snapshotListeners.emit(snapshot);
  }

  protected clearListeners(): void {
    this.snapshotListeners.clear();
    this.healthListeners.clear();
  }
}

/**
 * Apple UDIDs of newer devices are 8 + 16 hex digits with a hyphen ("00008030-001A35E11A88002E"); USB
 * descriptors and some usbmuxd builds give them without it. Older 40-hex UDIDs are left as they are.
 */
export function normalizeAppleUdid(serial: string): string {
  return /^[0-9a-fA-F]{24}$/.test(serial) ? `${serial.slice(0, 8)}-${serial.slice(8)}` : serial;
}

export function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

export function errorCode(err: unknown): string | undefined {
  return err instanceof Error ? (err as NodeJS.ErrnoException).code : undefined;
}

/** Destroys a socket and resolves once it has closed. */
function destroyAndWait(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.closed) {
      resolve();
      return;
    }
    socket.once('close', () => resolve());
    socket.destroy();
  });
}

/**
 * A source that keeps one connection to a daemon (the adb server, usbmuxd) and reconnects with backoff:
 * start/stop, the generation counter that tells current callbacks from stale ones, and the reconnect timer.
 */
export abstract class ReconnectingSource extends SourceBase {
  protected running = false;
  /** Bumped at every start and stop: work begun in an older generation must not touch the current one. */
  protected generation = 0;
  protected readonly backoff: Backoff;
  private reconnectTimer: unknown;

  protected constructor(id: SourceId, clock: Clock, log: Logger, backoff: BackoffOptions | undefined) {
    super(id, clock, log);
    this.backoff = new Backoff(backoff ?? defaultBackoff);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.generation++;
    this.connect();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.generation++;
    this.clock.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    await Promise.all(this.releaseConnections().map(destroyAndWait));
  }

  /** Opens the connection (does nothing when stopped). */
  protected abstract connect(): void;

  /** Forgets the connection state at stop; returns the sockets to close. */
  protected abstract releaseConnections(): net.Socket[];

  protected scheduleReconnect(what: string): void {
    const delay = this.backoff.next();
    this.log('debug', `${what}: next connection attempt in ${delay} ms`);
    this.clock.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = this.clock.setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, delay);
  }
}
