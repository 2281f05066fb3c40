// A fake usbmuxd on a Unix socket under a temp folder, speaking the plist protocol (16-byte LE header + XML
// plist) the way libimobiledevice's usbmuxd does, with a lockdownd behind `Connect` (4-byte BE length + XML
// plist). Real clients accept it: `USBMUXD_SOCKET_ADDRESS=UNIX:/path idevice_id -l`,
// `ideviceinfo -u UDID -s -k DeviceName`.
//
//   const mux = await startFakeUsbmuxd();
//   mux.attach({ udid: '00008030-001A35E11A88002E', name: 'QA iPhone 12' });
//   mux.detach('00008030-001A35E11A88002E');
//   await mux.close();

import net from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PlistObject, PlistValue } from 'plist';
import { LOCKDOWN_PORT, LockdownDecoder, UsbmuxDecoder, encodeLockdownMessage, encodeUsbmuxPlist, parsePlistDict, swapPort } from '../../main/devices/usbmuxWire';
import { Daemon } from './serverKit';

export interface FakeIosDevice {
  udid: string;
  /** lockdown DeviceName: what a person called the phone. */
  name: string;
  connectionType?: 'USB' | 'Network';
  productType?: string;
  productVersion?: string;
  /** USB product id in Attached (iPhone range 0x1290–0x12af). */
  productId?: number;
  /** Extra or overriding lockdown values. */
  values?: Record<string, PlistValue>;
  /** The `com.apple.mobile.battery` domain (answered without a paired session, as a lenient device does); omitted: the domain is empty. */
  battery?: { BatteryCurrentCapacity: number; BatteryIsCharging: boolean; ExternalConnected?: boolean; FullyCharged?: boolean };
}

export interface FakeUsbmuxd {
  readonly socketPath: string;
  /** Every usbmuxd message (MessageType ...) and lockdown request (Request ...) received, in order. */
  readonly requests: PlistObject[];
  /** Plugs a device in (or adds its Network twin); returns its DeviceID. */
  attach(device: FakeIosDevice): number;
  /** Unplugs the device: every entry of that UDID, or only the given connection type. */
  detach(udid: string, connectionType?: 'USB' | 'Network'): void;
  /** From now on (or no longer, with false) Connect to its lockdownd port is refused (Result 3). */
  refuseLockdown(udid: string, refuse?: boolean): void;
  /** Sends `Paired` for the device to every listener. */
  paired(udid: string): void;
  /** Number of open Listen connections. */
  listenerCount(): number;
  /** Like the daemon dying: stop listening, drop every connection, remove the socket file. */
  kill(): Promise<void>;
  /** Listen again on the same path (after kill()). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

interface Entry {
  deviceId: number;
  device: FakeIosDevice;
  connectionType: 'USB' | 'Network';
}

const RESULT_OK = 0;
const RESULT_BADCOMMAND = 1;
const RESULT_BADDEV = 2;
const RESULT_CONNREFUSED = 3;
const RESULT_BADVERSION = 6;

export async function startFakeUsbmuxd(options: { dir?: string } = {}): Promise<FakeUsbmuxd> {
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'fake-usbmuxd-')));
  const socketPath = join(dir, 'usbmuxd');
  const entries: Entry[] = [];
  const refused = new Set<string>();
  const requests: PlistObject[] = [];
  const daemon = new Daemon();
  const sockets = daemon.sockets;
  const listeners = new Set<net.Socket>();
  let nextDeviceId = 1;

  const properties = (e: Entry): PlistObject => {
    if (e.connectionType === 'USB') {
      return {
        ConnectionSpeed: 480000000,
        ConnectionType: 'USB',
        DeviceID: e.deviceId,
        LocationID: 0x01100000 + e.deviceId,
        ProductID: e.device.productId ?? 0x12a8,
        SerialNumber: e.device.udid,
        USBSerialNumber: e.device.udid.replace(/-/g, ''),
      };
    }
    // sockaddr_in as macOS usbmuxd sends it (len, family, port, address, zero padding).
    const sockaddr = Buffer.from([0x10, 0x02, 0xf2, 0x7e, 192, 168, 1, 50, 0, 0, 0, 0, 0, 0, 0, 0]);
    return {
      ConnectionType: 'Network',
      DeviceID: e.deviceId,
      EscapedFullServiceName: `aa:bb:cc:dd:ee:${e.deviceId.toString(16).padStart(2, '0')}@fe80::1._apple-mobdev2._tcp.local.`,
      InterfaceIndex: 2,
      NetworkAddress: sockaddr,
      SerialNumber: e.device.udid,
    };
  };
  const attachedMessage = (e: Entry): PlistObject => ({ MessageType: 'Attached', DeviceID: e.deviceId, Properties: properties(e) });

  const lockdownValues = (d: FakeIosDevice): Record<string, PlistValue> => ({
    DeviceName: d.name,
    DeviceClass: 'iPhone',
    ProductName: 'iPhone OS',
    ProductType: d.productType ?? 'iPhone13,2',
    ProductVersion: d.productVersion ?? '17.5.1',
    BuildVersion: '21F90',
    UniqueDeviceID: d.udid,
    ...(d.values ?? {}),
  });

  const lockdownAnswer = (d: FakeIosDevice, msg: PlistObject): PlistObject => {
    const req = typeof msg.Request === 'string' ? msg.Request : '';
    switch (req) {
      case 'QueryType':
        return { Request: 'QueryType', Type: 'com.apple.mobile.lockdown' };
      case 'GetValue': {
        const values = lockdownValues(d);
        const key = typeof msg.Key === 'string' ? msg.Key : undefined;
        const domain = typeof msg.Domain === 'string' ? msg.Domain : undefined;
        const out: Record<string, PlistValue> = { Request: 'GetValue' };
        if (domain) out.Domain = domain;
        const domainValues: Record<string, PlistValue> | undefined =
          domain === 'com.apple.mobile.battery' && d.battery ? { ExternalConnected: d.battery.BatteryIsCharging, FullyCharged: d.battery.BatteryCurrentCapacity === 100, ...d.battery } : domain ? {} : undefined;
        if (key === undefined) {
          out.Value = domainValues ?? values;
          return out;
        }
        out.Key = key;
        const value = domainValues ? domainValues[key] : values[key];
        // iOS 5+ lockdownd: no Result key; an Error key when something is wrong.
        if (value === undefined) out.Error = 'MissingValue';
        else out.Value = value;
        return out;
      }
      case 'Goodbye':
        return { Request: 'Goodbye', Result: 'Success' };
      case 'StartSession':
      case 'ValidatePair':
        // We hold no pairing record of this host: what lockdownd says to an unpaired host.
        return { Request: req, Error: 'InvalidHostID' };
      default:
        return { Request: req, Error: 'InvalidRequest' };
    }
  };

  const serve = (socket: net.Socket): void => {
    sockets.add(socket);
    const mux = new UsbmuxDecoder();
    let tunnel: { decoder: LockdownDecoder; device: FakeIosDevice } | undefined;
    const reply = (obj: PlistObject, tag: number): void => {
      socket.write(encodeUsbmuxPlist(obj, tag));
    };
    const result = (number: number, tag: number): void => reply({ MessageType: 'Result', Number: number }, tag);

    const onLockdown = (chunk: Buffer): void => {
      if (!tunnel) return;
      for (const msg of tunnel.decoder.push(chunk)) {
        requests.push(msg);
        socket.write(encodeLockdownMessage(lockdownAnswer(tunnel.device, msg)));
      }
    };

    socket.on('data', (chunk: Buffer) => {
      try {
        if (tunnel) {
          onLockdown(chunk);
          return;
        }
        for (const packet of mux.push(chunk)) {
          if (packet.version !== 1 || packet.message !== 8) {
            // Binary protocol (version 0) is not served: like usbmuxd to an unknown message type.
            result(RESULT_BADVERSION, packet.tag);
            continue;
          }
          const msg = parsePlistDict(packet.payload);
          requests.push(msg);
          const type = typeof msg.MessageType === 'string' ? msg.MessageType : '';
          if (type === 'Listen') {
            listeners.add(socket);
            // Result, then an Attached for each device already there, in one burst as usbmuxd writes them.
            socket.write(
              Buffer.concat([
                encodeUsbmuxPlist({ MessageType: 'Result', Number: RESULT_OK }, packet.tag),
                ...entries.map((e) => encodeUsbmuxPlist(attachedMessage(e), 0)),
              ]),
            );
          } else if (type === 'ListDevices') {
            reply({ DeviceList: entries.map(attachedMessage) }, packet.tag);
          } else if (type === 'ListListeners') {
            reply({ ListenerList: [] }, packet.tag);
          } else if (type === 'ReadBUID') {
            reply({ BUID: 'B0D1E5F0-0000-4000-8000-000000000001' }, packet.tag);
          } else if (type === 'ReadPairRecord') {
            result(RESULT_BADDEV, packet.tag); // no pairing records here
          } else if (type === 'Connect') {
            const id = typeof msg.DeviceID === 'number' ? msg.DeviceID : -1;
            const entry = entries.find((e) => e.deviceId === id);
            const port = swapPort(typeof msg.PortNumber === 'number' ? msg.PortNumber : 0);
            if (!entry) {
              result(RESULT_BADDEV, packet.tag);
            } else if (port !== LOCKDOWN_PORT || refused.has(entry.device.udid)) {
              result(RESULT_CONNREFUSED, packet.tag);
            } else {
              result(RESULT_OK, packet.tag);
              // From now on this connection is a tunnel to the device's lockdownd.
              tunnel = { decoder: new LockdownDecoder(), device: entry.device };
              onLockdown(mux.rest());
              return;
            }
          } else {
            result(RESULT_BADCOMMAND, packet.tag);
          }
        }
      } catch {
        socket.destroy();
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      sockets.delete(socket);
      listeners.delete(socket);
    });
  };

  const broadcast = (obj: PlistObject): void => {
    for (const socket of listeners) socket.write(encodeUsbmuxPlist(obj, 0));
  };

  const listen = async (): Promise<void> => {
    await rm(socketPath, { force: true });
    await daemon.listen(net.createServer(serve), { path: socketPath });
  };

  const kill = async (): Promise<void> => {
    const killed = daemon.kill();
    listeners.clear();
    await killed;
    await rm(socketPath, { force: true });
  };

  await listen();

  return {
    socketPath,
    requests,
    attach(device) {
      const connectionType = device.connectionType ?? 'USB';
      const existing = entries.find((e) => e.device.udid === device.udid && e.connectionType === connectionType);
      if (existing) return existing.deviceId;
      const entry: Entry = { deviceId: nextDeviceId++, device: { ...device }, connectionType };
      entries.push(entry);
      broadcast(attachedMessage(entry));
      return entry.deviceId;
    },
    detach(udid, connectionType) {
      for (const e of [...entries]) {
        if (e.device.udid !== udid || (connectionType && e.connectionType !== connectionType)) continue;
        entries.splice(entries.indexOf(e), 1);
        broadcast({ MessageType: 'Detached', DeviceID: e.deviceId });
      }
    },
    refuseLockdown(udid, refuse = true) {
      if (refuse) refused.add(udid);
      else refused.delete(udid);
    },
    paired(udid) {
      for (const e of entries) if (e.device.udid === udid) broadcast({ MessageType: 'Paired', DeviceID: e.deviceId });
    },
    listenerCount: () => listeners.size,
    kill,
    async restart() {
      if (!daemon.running) await listen();
    },
    async close() {
      await kill();
      if (ownDir) await rm(dir, { recursive: true, force: true });
    },
  };
}
