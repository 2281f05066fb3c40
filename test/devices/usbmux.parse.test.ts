import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import plist from 'plist';
import {
  LockdownDecoder,
  UsbmuxDecoder,
  UsbmuxProtocolError,
  encodeLockdownMessage,
  encodeUsbmuxPacket,
  encodeUsbmuxPlist,
  parsePlistDict,
  resolveUsbmuxAddress,
  swapPort,
} from '../../main/devices/usbmuxWire';
import { normalizeAppleUdid } from '../../main/devices/sourceKit';

/** Splits a buffer at the given cut points and feeds the pieces one by one. */
function feed<T>(whole: Buffer, cuts: number[], push: (chunk: Buffer) => T[]): T[] {
  const points = [...new Set(cuts.map((c) => c % (whole.length + 1)))].sort((a, b) => a - b);
  const out: T[] = [];
  let at = 0;
  for (const p of [...points, whole.length]) {
    out.push(...push(whole.subarray(at, p)));
    at = p;
  }
  return out;
}

describe('resolveUsbmuxAddress', () => {
  it('defaults to /var/run/usbmuxd, and TCP 127.0.0.1:27015 on Windows', () => {
    expect(resolveUsbmuxAddress({}, 'linux')).toEqual({ kind: 'unix', path: '/var/run/usbmuxd', label: '/var/run/usbmuxd' });
    expect(resolveUsbmuxAddress({}, 'darwin')).toMatchObject({ kind: 'unix', path: '/var/run/usbmuxd' });
    expect(resolveUsbmuxAddress({}, 'win32')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 27015, label: '127.0.0.1:27015' });
  });

  it('reads USBMUXD_SOCKET_ADDRESS like libusbmuxd: UNIX:path, HOST:PORT, [V6]:PORT, bare path', () => {
    expect(resolveUsbmuxAddress({ USBMUXD_SOCKET_ADDRESS: 'UNIX:/tmp/mux' }, 'linux')).toMatchObject({ kind: 'unix', path: '/tmp/mux' });
    expect(resolveUsbmuxAddress({ USBMUXD_SOCKET_ADDRESS: '10.0.0.9:27015' }, 'linux')).toMatchObject({ kind: 'tcp', host: '10.0.0.9', port: 27015 });
    expect(resolveUsbmuxAddress({ USBMUXD_SOCKET_ADDRESS: '[::1]:27015' }, 'darwin')).toMatchObject({ kind: 'tcp', host: '::1', port: 27015, label: '[::1]:27015' });
    expect(resolveUsbmuxAddress({ USBMUXD_SOCKET_ADDRESS: '/run/usbmuxd-test' }, 'linux')).toMatchObject({ kind: 'unix', path: '/run/usbmuxd-test' });
    // What follows the last colon is not a port: a path.
    expect(resolveUsbmuxAddress({ USBMUXD_SOCKET_ADDRESS: '/tmp/a:b' }, 'linux')).toMatchObject({ kind: 'unix', path: '/tmp/a:b' });
    expect(resolveUsbmuxAddress({ USBMUXD_SOCKET_ADDRESS: '/tmp/a:99999' }, 'linux')).toMatchObject({ kind: 'unix', path: '/tmp/a:99999' });
    // The variable wins on Windows too.
    expect(resolveUsbmuxAddress({ USBMUXD_SOCKET_ADDRESS: '127.0.0.1:5000' }, 'win32')).toMatchObject({ kind: 'tcp', port: 5000 });
  });
});

/** Text a plist can carry (XML forbids most control characters), with some non-ASCII. */
const text = fc.stringMatching(/^[ -~éü€中]{0,40}$/);

describe('usbmuxd framing', () => {
  it('writes the 16-byte little-endian header: length incl. header, version 1, message 8, tag', () => {
    const packet = encodeUsbmuxPacket(Buffer.from('abc'), 7);
    expect(packet.subarray(0, 16)).toEqual(Buffer.from([19, 0, 0, 0, 1, 0, 0, 0, 8, 0, 0, 0, 7, 0, 0, 0]));
    expect(packet.subarray(16).toString()).toBe('abc');
  });

  it('byte-swaps the lockdownd port for Connect: 62078 is sent as 32498', () => {
    expect(swapPort(62078)).toBe(32498);
    expect(swapPort(swapPort(62078))).toBe(62078);
  });

  it('decodes packets however they are split or coalesced', () => {
    const msg = fc.record({ MessageType: fc.constantFrom('Attached', 'Detached', 'Result'), DeviceID: fc.integer({ min: 1, max: 1000 }), Text: text }).map((r) => ({ ...r }));
    fc.assert(
      fc.property(fc.array(fc.tuple(msg, fc.integer({ min: 0, max: 0xffff })), { maxLength: 6 }), fc.array(fc.integer({ min: 1, max: 5000 }), { maxLength: 10 }), (msgs, cuts) => {
        const d = new UsbmuxDecoder();
        const whole = Buffer.concat(msgs.map(([m, tag]) => encodeUsbmuxPlist(m, tag)));
        const decoded = feed(whole, cuts, (c) => d.push(c));
        expect(decoded.map((p) => [p.version, p.message, p.tag, parsePlistDict(p.payload)])).toEqual(msgs.map(([m, tag]) => [1, 8, tag, m]));
      }),
    );
  });

  it('frames lockdown messages with a 4-byte big-endian length', () => {
    const framed = encodeLockdownMessage({ Request: 'QueryType' });
    expect(framed.readUInt32BE(0)).toBe(framed.length - 4);
    expect(framed.subarray(4).toString()).toBe(plist.build({ Request: 'QueryType' }));
  });

  it('decodes lockdown messages however they are split', () => {
    const msg = fc.record({ Request: fc.constantFrom('GetValue', 'QueryType'), Key: text, Value: text }).map((r) => ({ ...r }));
    fc.assert(
      fc.property(fc.array(msg, { maxLength: 5 }), fc.array(fc.integer({ min: 1, max: 3000 }), { maxLength: 10 }), (msgs, cuts) => {
        const d = new LockdownDecoder();
        const whole = Buffer.concat(msgs.map((m) => encodeLockdownMessage(m)));
        expect(feed(whole, cuts, (c) => d.push(c))).toEqual(msgs);
      }),
    );
  });

  it('keeps the bytes after a whole frame for the next framing (Connect → lockdown tunnel)', () => {
    const d = new UsbmuxDecoder();
    const lockdownBytes = encodeLockdownMessage({ Request: 'GetValue', Key: 'DeviceName', Value: 'x' });
    const packets = d.push(Buffer.concat([encodeUsbmuxPlist({ MessageType: 'Result', Number: 0 }, 1), lockdownBytes.subarray(0, 10)]));
    expect(packets).toHaveLength(1);
    expect(d.rest()).toEqual(lockdownBytes.subarray(0, 10));
  });

  it('rejects impossible lengths and binary plists', () => {
    const bad = Buffer.alloc(16);
    bad.writeUInt32LE(3, 0);
    expect(() => new UsbmuxDecoder().push(bad)).toThrow(UsbmuxProtocolError);
    expect(() => parsePlistDict(Buffer.from('bplist00\0\0\0'))).toThrow(UsbmuxProtocolError);
    expect(() => parsePlistDict(Buffer.from(plist.build(['a'])))).toThrow(UsbmuxProtocolError);
  });
});

describe('normalizeAppleUdid', () => {
  it('puts the hyphen after 8 characters of a 24-hex serial, and leaves other UDIDs alone', () => {
    expect(normalizeAppleUdid('00008030001A35E11A88002E')).toBe('00008030-001A35E11A88002E');
    expect(normalizeAppleUdid('00008030-001A35E11A88002E')).toBe('00008030-001A35E11A88002E');
    expect(normalizeAppleUdid('abcdef0123456789abcdef0123456789abcdef01')).toBe('abcdef0123456789abcdef0123456789abcdef01');
  });
});
