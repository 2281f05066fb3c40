// A fake adb server on 127.0.0.1:<random port>, speaking the host protocol the way the real one does, so that
// both our client and Debian's `adb` (1.0.41) accept it: `adb -P PORT devices -l`,
// `adb -P PORT -s SERIAL shell getprop ro.product.model`. Always pass -P: without a server on the port it
// asks, the real client starts one of its own.
//
//   const adb = await startFakeAdb();
//   adb.setDevices([{ serial: 'R58M123', state: 'device', usb: '1-1', model: 'SM_N950F', props: {...} }]);
//   await adb.close();

import net from 'node:net';
import type { AdbDeviceLine } from '../../main/devices/adbParse';
import { Daemon } from './serverKit';

/** A device as the server lists it (the fields of `adb devices -l`), and what its shell answers. */
export interface FakeAdbDevice extends Omit<AdbDeviceLine, 'transportId'> {
  /** `getprop` answers, e.g. { 'ro.product.model': 'SM-N950F' }. */
  props?: Record<string, string>;
  /** `settings get NAMESPACE KEY` answers, e.g. { global: { device_name: 'Galaxy Note 8' } }. */
  settings?: Partial<Record<'global' | 'secure' | 'system', Record<string, string>>>;
  /** `dumpsys battery` answers from this (as BatteryService prints it); without it, the defaults below. */
  battery?: { level?: number; status?: number; health?: number; temperatureTenths?: number; usbPowered?: boolean; acPowered?: boolean };
  /** Delay before a shell command answers (to show that names never hold up the list). */
  shellDelayMs?: number;
}

export interface FakeAdb {
  readonly port: number;
  /** Every service requested, in order (`host:track-devices-l`, `host:transport:X`, `shell:getprop ...`). */
  readonly requests: string[];
  /** Replaces the whole list and pushes it to every tracking connection. */
  setDevices(devices: FakeAdbDevice[]): void;
  /** Like the server dying: stop listening and drop every connection (the port then refuses). */
  kill(): Promise<void>;
  /** Listen again on the same port (after kill()). */
  restart(): Promise<void>;
  /** Number of open track-devices connections. */
  trackerCount(): number;
  close(): Promise<void>;
}

export interface FakeAdbOptions {
  /** What host:version says; the 1.0.41 client kills and restarts a server whose version differs. */
  version?: number;
  /** Answer host:track-devices-l with FAIL, like servers older than that service. */
  noLongTracking?: boolean;
  /** Listen on this port instead of a random one. */
  port?: number;
}

const DEFAULT_VERSION = 41;
/** No shell_v2: clients then use the legacy `shell:` service (raw output until close). */
const FEATURES = 'cmd,stat_v2,ls_v2,fixed_push_mkdir,apex';

function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}

/** OKAY/FAIL replies and hex4 length-prefixed payloads. */
function okay(payload?: string): Buffer {
  if (payload === undefined) return Buffer.from('OKAY', 'latin1');
  const body = Buffer.from(payload, 'utf8');
  return Buffer.concat([Buffer.from(`OKAY${hex4(body.length)}`, 'latin1'), body]);
}
function fail(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`FAIL${hex4(body.length)}`, 'latin1'), body]);
}
function protocolString(payload: string): Buffer {
  const body = Buffer.from(payload, 'utf8');
  return Buffer.concat([Buffer.from(hex4(body.length), 'latin1'), body]);
}

/** AOSP append_transport, long form: `%-22s %s` then devpath, product:, model: (sanitised), device:, transport_id:. */
export function formatDeviceLong(d: FakeAdbDevice, transportId: number): string {
  let line = `${(d.serial || '(no serial number)').padEnd(22, ' ')} ${d.state}`;
  if (d.usb) line += ` usb:${d.usb}`;
  if (d.product) line += ` product:${d.product}`;
  if (d.model) line += ` model:${d.model.replace(/[^A-Za-z0-9]/g, '_')}`;
  if (d.device) line += ` device:${d.device}`;
  return `${line} transport_id:${transportId}\n`;
}

export function formatDeviceShort(d: FakeAdbDevice): string {
  return `${d.serial || '(no serial number)'}\t${d.state}\n`;
}

interface Conn {
  socket: net.Socket;
  buffer: Buffer;
  /** After host:transport*, the next request is a device service for this device. */
  transport?: FakeAdbDevice;
}

export async function startFakeAdb(options: FakeAdbOptions = {}): Promise<FakeAdb> {
  const version = options.version ?? DEFAULT_VERSION;
  let devices: FakeAdbDevice[] = [];
  const transportIds = new Map<string, number>();
  let nextTransportId = 1;
  const requests: string[] = [];
  const daemon = new Daemon();
  const sockets = daemon.sockets;
  const trackers = new Map<net.Socket, 'long' | 'short'>();
  let port = options.port ?? 0;

  const idOf = (serial: string): number => {
    let id = transportIds.get(serial);
    if (id === undefined) {
      id = nextTransportId++;
      transportIds.set(serial, id);
    }
    return id;
  };
  const listText = (mode: 'long' | 'short'): string =>
    devices.map((d) => (mode === 'long' ? formatDeviceLong(d, idOf(d.serial)) : formatDeviceShort(d))).join('');

  const find = (selector: string): FakeAdbDevice | string => {
    if (selector.startsWith('transport-id:') || selector.startsWith('tport:id:')) {
      const id = Number(selector.slice(selector.lastIndexOf(':') + 1));
      return devices.find((d) => transportIds.get(d.serial) === id) ?? `no device with transport id '${id}'`;
    }
    if (selector.startsWith('transport:') || selector.startsWith('tport:serial:')) {
      const serial = selector.startsWith('transport:') ? selector.slice('transport:'.length) : selector.slice('tport:serial:'.length);
      const matches = devices.filter((d) => d.serial === serial);
      if (matches.length > 1) return 'more than one device';
      return matches[0] ?? `device '${serial}' not found`;
    }
    // transport-any / transport-usb / transport-local and their tport: forms
    const kind = selector.replace(/^tport:/, '').replace(/^transport-?/, '');
    const pool = devices.filter((d) => (kind === 'usb' ? !!d.usb : kind === 'local' ? !d.usb : true));
    if (pool.length === 0) return 'no devices/emulators found';
    if (pool.length > 1) return 'more than one device/emulator';
    return pool[0] as FakeAdbDevice;
  };

  /** Why a device cannot take a device service, in the real server's words. */
  const unusable = (d: FakeAdbDevice): string | undefined => {
    if (d.state === 'device') return undefined;
    if (d.state === 'unauthorized')
      return "device unauthorized.\nThis adb server's $ADB_VENDOR_KEYS is not set\nTry 'adb kill-server' if that seems wrong.\nOtherwise check for a confirmation dialog on your device.";
    if (d.state.startsWith('no permissions')) return `insufficient permissions for device: ${d.state}`;
    return `device ${d.state}`;
  };

  const runShell = (d: FakeAdbDevice, command: string): string => {
    const argv = command.trim().split(/\s+/);
    const [cmd, ...args] = argv;
    if (cmd === 'getprop') {
      // A real phone's ro.serialno is its USB serial; a network transport's is whatever the test says (or unknown).
      const props: Record<string, string> = { ...(/:\d+$/.test(d.serial) ? {} : { 'ro.serialno': d.serial }), ...d.props };
      if (args.length === 0) return Object.entries(props).map(([k, v]) => `[${k}]: [${v}]\n`).join('');
      return `${props[args[0] as string] ?? ''}\n`;
    }
    if (cmd === 'settings' && args[0] === 'get' && args.length === 3) {
      const ns = args[1] as 'global' | 'secure' | 'system';
      return `${d.settings?.[ns]?.[args[2] as string] ?? 'null'}\n`;
    }
    if (cmd === 'echo') return `${args.join(' ')}\n`;
    if (cmd === 'dumpsys' && args[0] === 'battery' && args.length === 1) {
      const b = { level: 100, status: 5, health: 2, temperatureTenths: 250, usbPowered: true, acPowered: false, ...d.battery };
      return [
        'Current Battery Service state:',
        `  AC powered: ${b.acPowered}`,
        `  USB powered: ${b.usbPowered}`,
        '  Wireless powered: false',
        '  Max charging current: 500000',
        '  Max charging voltage: 5000000',
        '  Charge counter: 2748000',
        `  status: ${b.status}`,
        `  health: ${b.health}`,
        '  present: true',
        `  level: ${b.level}`,
        '  scale: 100',
        '  voltage: 4012',
        `  temperature: ${b.temperatureTenths}`,
        '  technology: Li-ion',
        '',
      ].join('\n');
    }
    return `/system/bin/sh: ${cmd ?? ''}: inaccessible or not found\n`;
  };

  const handleRequest = (conn: Conn, service: string): void => {
    const { socket } = conn;
    requests.push(service);

    if (conn.transport) {
      const d = conn.transport;
      if (service.startsWith('shell:')) {
        const output = runShell(d, service.slice('shell:'.length));
        const answer = (): void => {
          if (!socket.destroyed) socket.end(Buffer.concat([okay(), Buffer.from(output, 'utf8')]));
        };
        if (d.shellDelayMs) setTimeout(answer, d.shellDelayMs);
        else answer();
        return;
      }
      socket.end(fail(`unknown device service: ${service}`));
      return;
    }

    if (service === 'host:version') {
      socket.end(okay(hex4(version)));
      return;
    }
    if (service === 'host:kill') {
      socket.write(okay());
      void kill();
      return;
    }
    if (service === 'host:devices' || service === 'host:devices-l') {
      socket.end(okay(listText(service === 'host:devices-l' ? 'long' : 'short')));
      return;
    }
    if (service === 'host:track-devices' || service === 'host:track-devices-l') {
      const mode = service === 'host:track-devices-l' ? 'long' : 'short';
      if (mode === 'long' && options.noLongTracking) {
        socket.end(fail('unknown host service'));
        return;
      }
      trackers.set(socket, mode);
      // Like the real server: OKAY and the first list in ONE write.
      socket.write(okay(listText(mode)));
      return;
    }
    if (service === 'host:features' || service === 'host:host-features') {
      socket.end(okay(FEATURES));
      return;
    }
    // host-serial:<serial>:<cmd>, host-transport-id:<id>:<cmd>, host-usb:<cmd>, host-local:<cmd>
    const scoped = /^host-(serial|transport-id):(.+):([a-z-]+)$/.exec(service) ?? /^host-(usb|local|any)():([a-z-]+)$/.exec(service);
    if (scoped) {
      const [, kind, sel, cmd] = scoped as unknown as [string, string, string, string];
      const target = kind === 'serial' ? find(`transport:${sel}`) : kind === 'transport-id' ? find(`transport-id:${sel}`) : find(`transport-${kind}`);
      if (typeof target === 'string') {
        socket.end(fail(target));
        return;
      }
      if (cmd === 'features') socket.end(okay(FEATURES));
      else if (cmd === 'get-state') socket.end(okay(target.state));
      else if (cmd === 'get-serialno') socket.end(okay(target.serial));
      else if (cmd === 'get-devpath') socket.end(okay(target.usb ? `usb:${target.usb}` : 'unknown'));
      else socket.end(fail(`unknown host service`));
      return;
    }
    if (service.startsWith('host:transport') || service.startsWith('host:tport:')) {
      const target = find(service.slice('host:'.length));
      if (typeof target === 'string') {
        socket.end(fail(target));
        return;
      }
      const why = unusable(target);
      if (why) {
        socket.end(fail(why));
        return;
      }
      conn.transport = target;
      if (service.startsWith('host:tport:')) {
        // tport answers the transport id as 8 little-endian bytes after OKAY.
        const id = Buffer.alloc(8);
        id.writeBigUInt64LE(BigInt(idOf(target.serial)));
        socket.write(Buffer.concat([okay(), id]));
      } else {
        socket.write(okay());
      }
      return;
    }
    socket.end(fail('unknown host service'));
  };

  const onData = (conn: Conn, chunk: Buffer): void => {
    conn.buffer = Buffer.concat([conn.buffer, chunk]);
    while (conn.buffer.length >= 4) {
      const lenText = conn.buffer.toString('latin1', 0, 4);
      if (!/^[0-9a-fA-F]{4}$/.test(lenText)) {
        conn.socket.destroy();
        return;
      }
      const len = parseInt(lenText, 16);
      if (conn.buffer.length < 4 + len) return;
      const service = conn.buffer.toString('utf8', 4, 4 + len);
      conn.buffer = conn.buffer.subarray(4 + len);
      handleRequest(conn, service);
    }
  };

  const listen = async (): Promise<void> => {
    const s = net.createServer((socket) => {
      sockets.add(socket);
      const conn: Conn = { socket, buffer: Buffer.alloc(0) };
      socket.on('data', (chunk: Buffer) => onData(conn, chunk));
      socket.on('error', () => {});
      socket.on('close', () => {
        sockets.delete(socket);
        trackers.delete(socket);
      });
    });
    await daemon.listen(s, { port, host: '127.0.0.1' });
    port = (s.address() as net.AddressInfo).port;
  };

  const kill = async (): Promise<void> => {
    const killed = daemon.kill();
    trackers.clear();
    await killed;
  };

  await listen();

  return {
    get port() {
      return port;
    },
    requests,
    setDevices(list) {
      devices = list.map((d) => ({ ...d }));
      for (const serial of [...transportIds.keys()]) if (!devices.some((d) => d.serial === serial)) transportIds.delete(serial);
      for (const [socket, mode] of trackers) socket.write(protocolString(listText(mode)));
    },
    kill,
    async restart() {
      if (!daemon.running) await listen();
    },
    trackerCount: () => trackers.size,
    close: kill,
  };
}
