// "In use": who holds which device, for how long. One direction only: reservations tell the device
// directory (the tracker, structurally) through setInUse(); the tracker never imports this module.
// Plain Node; time comes only from the injected Clock.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { monotonicNow } from './types';
import type { Clock } from './types';
import { asLogMethods } from '../base/log';
import type { LogMethods, LoggerLike } from '../base/log';
import type { InUseInfo, Status } from './tracker';
import { Listeners } from '../base/listeners';
import { timerDelay } from '../base/clock';

/** What reservations need from the tracker (DeviceTracker fits as is). */
export interface DeviceDirectory {
  /** undefined: unknown; null: first seen, not committed yet. */
  statusOf(udid: string): Status | null | undefined;
  setInUse(udid: string, info: InUseInfo | null): void;
}

export type ReservationErrorCode =
  | 'unknown_device'
  | 'device_not_online'
  | 'already_reserved'
  | 'not_reserved'
  | 'reserved_by_other'
  | 'invalid_ttl';

export class ReservationError extends Error {
  override readonly name = 'ReservationError';
  constructor(
    readonly code: ReservationErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Who acts: the admin (the app's own UI: may renew/release anything) or a holder proving itself with its token. */
export type Actor = { kind: 'admin' } | { kind: 'token'; token: string };
export const ADMIN: Actor = Object.freeze({ kind: 'admin' });
export const byToken = (token: string): Actor => ({ kind: 'token', token });

export interface Reservation {
  udid: string;
  by?: string;
  note?: string;
  /** epoch ms */
  since: number;
  /** epoch ms; null: no TTL, held until released. */
  expiresAt: number | null;
  /** Where it was made: the app's UI or the local API. */
  origin: 'admin' | 'api';
}

/** Returned once, at creation: the token is never stored in clear nor shown again. */
export interface ReservationGrant extends Reservation {
  token: string;
}

export interface MarkInUseOptions {
  by?: string;
  note?: string;
  /** Lapses by itself after this long; omitted: held until released. */
  ttlMs?: number;
  /** Default 'admin'. */
  origin?: 'admin' | 'api';
}

interface ReservationsOptions {
  clock: Clock;
  devices: DeviceDirectory;
  logger?: LoggerLike;
  /** Longest TTL accepted. Default 7 days. */
  maxTtlMs?: number;
  /** Token factory (tests may fix it). Default 32 random bytes, base64url. */
  newToken?: () => string;
}

interface Entry {
  reservation: Reservation;
  tokenHash: Buffer;
  timer: unknown;
  /** When it lapses on the monotonic clock (expiresAt is the wall-clock time people read). */
  lapsesAt: number | null;
}

function hash(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export class Reservations {
  private readonly clock: Clock;
  private readonly devices: DeviceDirectory;
  private readonly log: LogMethods;
  private readonly maxTtlMs: number;
  private readonly newToken: () => string;
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Listeners<Reservation[]>((err) => this.log.error('reservation listener failed', { error: String(err) }));
  private disposed = false;

  constructor(options: ReservationsOptions) {
    this.clock = options.clock;
    this.devices = options.devices;
    this.log = asLogMethods(options.logger);
    this.maxTtlMs = options.maxTtlMs ?? 7 * 24 * 60 * 60 * 1000;
    this.newToken = options.newToken ?? (() => randomBytes(32).toString('base64url'));
  }

  /** Mark a device in use. Not an Offline or Unplugged one; returns the holder's token (once). */
  markInUse(udid: string, options: MarkInUseOptions = {}): ReservationGrant {
    this.assertAlive();
    if (options.ttlMs !== undefined) this.checkTtl(options.ttlMs);
    const status = this.devices.statusOf(udid);
    if (status === undefined || status === 'Unplugged') throw new ReservationError('unknown_device', `No device ${udid} is connected.`);
    if (this.entries.has(udid)) {
      throw new ReservationError('already_reserved', `Device ${udid} is already in use by someone else.`);
    }
    // A test session may already hold it (Utilizing): a reservation can overlap it.
    if (status !== 'Online' && status !== 'Utilizing') {
      throw new ReservationError('device_not_online', `Device ${udid} is ${status ?? 'still connecting'}; only a device that is not Offline or Unplugged can be marked in use.`);
    }
    const now = this.clock.now();
    const token = this.newToken();
    const reservation: Reservation = {
      udid,
      since: now,
      expiresAt: options.ttlMs === undefined ? null : now + options.ttlMs,
      origin: options.origin ?? 'admin',
    };
    if (options.by !== undefined) reservation.by = options.by;
    if (options.note !== undefined) reservation.note = options.note;
    const entry: Entry = { reservation, tokenHash: hash(token), timer: null, lapsesAt: options.ttlMs === undefined ? null : monotonicNow(this.clock) + options.ttlMs };
    this.entries.set(udid, entry);
    this.schedule(entry);
    this.log.info('device marked in use', { udid, by: reservation.by, origin: reservation.origin, expiresAt: reservation.expiresAt });
    this.publish(entry);
    return { ...copy(reservation), token };
  }

  /** Extend (or, for the admin, set) the TTL: the reservation then lapses ttlMs from now. */
  renew(udid: string, actor: Actor, ttlMs: number): Reservation {
    this.assertAlive();
    this.checkTtl(ttlMs);
    const entry = this.authorize(udid, actor);
    entry.reservation.expiresAt = this.clock.now() + ttlMs;
    entry.lapsesAt = monotonicNow(this.clock) + ttlMs;
    this.schedule(entry);
    this.log.info('device reservation renewed', { udid, expiresAt: entry.reservation.expiresAt });
    this.publish(entry);
    return copy(entry.reservation);
  }

  release(udid: string, actor: Actor): void {
    this.assertAlive();
    this.authorize(udid, actor);
    this.drop(udid, 'released');
  }

  get(udid: string): Reservation | undefined {
    const entry = this.entries.get(udid);
    return entry ? copy(entry.reservation) : undefined;
  }

  list(): Reservation[] {
    return [...this.entries.values()].map((e) => copy(e.reservation));
  }

  onChange(listener: (reservations: Reservation[]) => void): () => void {
    return this.listeners.add(listener);
  }

  /** Clears the lapse timers. The tracker is not told: it is being torn down too. */
  dispose(): void {
    this.disposed = true;
    for (const entry of this.entries.values()) if (entry.timer !== null) this.clock.clearTimeout(entry.timer);
    this.entries.clear();
    this.listeners.clear();
  }

  private assertAlive(): void {
    if (this.disposed) throw new Error('Reservations disposed');
  }

  private checkTtl(ttlMs: number): void {
    if (!Number.isFinite(ttlMs) || ttlMs <= 0 || ttlMs > this.maxTtlMs) {
      throw new ReservationError('invalid_ttl', `TTL must be more than 0 and at most ${this.maxTtlMs} ms.`);
    }
  }

  private authorize(udid: string, actor: Actor): Entry {
    const entry = this.entries.get(udid);
    if (!entry) {
      const status = this.devices.statusOf(udid);
      if (status === undefined) throw new ReservationError('unknown_device', `No device ${udid} is known.`);
      throw new ReservationError('not_reserved', `Device ${udid} is not reserved.`);
    }
    if (actor.kind === 'admin') return entry;
    // Both sides are SHA-256 digests: equal length, compared in constant time.
    if (typeof actor.token !== 'string' || !timingSafeEqual(hash(actor.token), entry.tokenHash)) {
      throw new ReservationError('reserved_by_other', `Device ${udid} is reserved by someone else.`);
    }
    return entry;
  }

  private schedule(entry: Entry): void {
    if (entry.timer !== null) this.clock.clearTimeout(entry.timer);
    entry.timer = null;
    const lapsesAt = entry.lapsesAt;
    if (lapsesAt === null) return;
    // Long TTLs are reached in steps (Node timers hold at most about 24.8 days).
    const wait = timerDelay(lapsesAt - monotonicNow(this.clock));
    entry.timer = this.clock.setTimeout(() => {
      entry.timer = null;
      if (this.disposed || this.entries.get(entry.reservation.udid) !== entry) return;
      if (monotonicNow(this.clock) >= lapsesAt) this.drop(entry.reservation.udid, 'lapsed');
      else this.schedule(entry);
    }, wait);
  }

  private drop(udid: string, why: 'released' | 'lapsed'): void {
    const entry = this.entries.get(udid);
    if (!entry) return;
    if (entry.timer !== null) this.clock.clearTimeout(entry.timer);
    this.entries.delete(udid);
    this.log.info(`device reservation ${why}`, { udid });
    this.devices.setInUse(udid, null);
    this.notify();
  }

  private publish(entry: Entry): void {
    const r = entry.reservation;
    const info: InUseInfo = {};
    if (r.by !== undefined) info.by = r.by;
    if (r.note !== undefined) info.note = r.note;
    if (r.expiresAt !== null) info.until = r.expiresAt;
    this.devices.setInUse(r.udid, info);
    this.notify();
  }

  private notify(): void {
    this.listeners.emit(this.list());
  }
}

function copy(r: Reservation): Reservation {
  return { ...r };
}
