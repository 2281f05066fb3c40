// Android devices: the device source that follows the adb server's device list (AdbSource), and finding and
// starting the server. The protocol client is ./adbWire.ts (the tests talk to test/fakes/adbServer.ts, which
// test/devices/adb.realclient.test.ts keeps honest against the real adb); what the server says is parsed in
// ./adbParse.ts.

import { parseDumpsysBattery } from './battery';
import type { Battery } from './battery';
import type net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { spawn as nodeSpawn } from 'node:child_process';
import { monotonicNow, systemClock } from './types';
import type { Clock, DeviceSource, Observation } from './types';
import { silentLogger } from '../base/log';
import type { Logger } from '../base/log';
import { Backoff, ReconnectingSource, errorCode, errorText } from './sourceKit';
import type { BackoffOptions } from './sourceKit';
import { cleanDeviceText } from './deviceText';
import { AdbStreamDecoder, adbShell, connectTo, encodeAdbRequest, isLoopback, resolveAdbAddress } from './adbWire';
import type { AdbAddress, AdbFrame } from './adbWire';
import { EMULATOR_SERIAL, USB_PATH, adbConnectionOf, cleanShellValue, parseDevicesLong } from './adbParse';
import type { AdbDeviceLine } from './adbParse';

// ---------------------------------------------------------------------------------------------------------------
// Finding and starting the server

export interface ChildLike {
  once(event: 'exit', listener: (code: number | null) => void): unknown;
  once(event: 'error', listener: (err: Error) => void): unknown;
}
export type SpawnLike = (command: string, args: string[], options: { stdio: 'ignore'; windowsHide: boolean }) => ChildLike;

/** Looks for `adb` on PATH, then in $ANDROID_HOME / $ANDROID_SDK_ROOT platform-tools. */
function findAdbOnPath(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string | undefined {
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

