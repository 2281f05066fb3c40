// iOS devices: the device source that follows usbmuxd's Listen connection (UsbmuxSource). The protocol client
// (framing, lockdown) is ./usbmuxWire.ts; the tests talk to test/fakes/usbmuxd.ts, which
// test/devices/usbmux.realclient.test.ts keeps honest against libimobiledevice's real tools.

import type net from 'node:net';
import type { PlistObject } from 'plist';
import { parseIosBattery } from './battery';
import type { Battery } from './battery';
import { systemClock } from './types';
import type { Clock, DeviceSource, Observation } from './types';
import { silentLogger } from '../base/log';
import type { Logger } from '../base/log';
import { Backoff, ReconnectingSource, errorText, normalizeAppleUdid } from './sourceKit';
import type { BackoffOptions } from './sourceKit';
import {
  UsbmuxDecoder,
  connectTo,
  dict,
  encodeUsbmuxPlist,
  failureReason,
  num,
  parsePlistDict,
  queryLockdownName,
  queryLockdownValue,
  request,
  resolveUsbmuxAddress,
  str,
} from './usbmuxWire';
import type { UsbmuxAddress } from './usbmuxWire';

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

