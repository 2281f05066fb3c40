import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AdbProtocolError, AdbStreamDecoder, encodeAdbRequest, resolveAdbAddress } from '../../main/devices/adbWire';
import type { AdbFrame } from '../../main/devices/adbWire';
import { adbConnectionOf, cleanShellValue, parseDevicesLong } from '../../main/devices/adbParse';
import { Backoff } from '../../main/devices/sourceKit';
import { formatDeviceLong, formatDeviceShort } from '../fakes/adbServer';

const NO_PERM =
  'no permissions (missing udev rules? user is in the plugdev group); see [http://developer.android.com/tools/device.html]';

describe('resolveAdbAddress', () => {
  it('defaults to 127.0.0.1:5037', () => {
    expect(resolveAdbAddress({})).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 5037, label: '127.0.0.1:5037' });
  });

  it('takes ADB_SERVER_SOCKET first, over the port and address variables', () => {
    const env = { ADB_SERVER_SOCKET: 'tcp:10.0.0.2:6000', ANDROID_ADB_SERVER_PORT: '7000', ANDROID_ADB_SERVER_ADDRESS: 'x' };
    expect(resolveAdbAddress(env)).toMatchObject({ kind: 'tcp', host: '10.0.0.2', port: 6000, label: '10.0.0.2:6000' });
  });

  it('understands tcp:PORT, tcp:[v6]:PORT, localfilesystem: and localabstract:', () => {
    expect(resolveAdbAddress({ ADB_SERVER_SOCKET: 'tcp:5038' })).toMatchObject({ host: '127.0.0.1', port: 5038 });
    expect(resolveAdbAddress({ ADB_SERVER_SOCKET: 'tcp:[::1]:5039' })).toMatchObject({ host: '::1', port: 5039, label: '[::1]:5039' });
    expect(resolveAdbAddress({ ADB_SERVER_SOCKET: 'localfilesystem:/tmp/adb.sock' })).toMatchObject({ kind: 'unix', path: '/tmp/adb.sock' });
    expect(resolveAdbAddress({ ADB_SERVER_SOCKET: 'localabstract:adbd' })).toMatchObject({ kind: 'unix', path: '\0adbd', label: '@adbd' });
  });

  it('uses ANDROID_ADB_SERVER_PORT (and ANDROID_ADB_SERVER_ADDRESS) when there is no ADB_SERVER_SOCKET', () => {
    expect(resolveAdbAddress({ ANDROID_ADB_SERVER_PORT: '5555' })).toMatchObject({ host: '127.0.0.1', port: 5555, label: '127.0.0.1:5555' });
    expect(resolveAdbAddress({ ANDROID_ADB_SERVER_PORT: '5555', ANDROID_ADB_SERVER_ADDRESS: 'buildbox' })).toMatchObject({ host: 'buildbox', port: 5555 });
    expect(resolveAdbAddress({ ADB_SERVER_SOCKET: '', ANDROID_ADB_SERVER_PORT: '5556' })).toMatchObject({ port: 5556 });
  });

  it('falls back to the default with a warning where adb itself would refuse', () => {
    for (const env of [{ ANDROID_ADB_SERVER_PORT: '0' }, { ANDROID_ADB_SERVER_PORT: '70000' }, { ANDROID_ADB_SERVER_PORT: 'abc' }, { ADB_SERVER_SOCKET: 'udp:1' }]) {
      const a = resolveAdbAddress(env);
      expect(a).toMatchObject({ kind: 'tcp', host: '127.0.0.1', port: 5037 });
      expect(a.warning).toBeTruthy();
    }
  });
});

describe('parseDevicesLong', () => {
  it('parses real long lines by key from the end', () => {
    const text = [
      'R58M42ABCDE            device usb:1-1.4 product:greatltexx model:SM_N950F device:greatlte transport_id:3',
      'emulator-5554          device product:sdk_gphone64_x86_64 model:sdk_gphone64_x86_64 device:emu64xa transport_id:1',
      '192.168.1.20:5555      offline transport_id:7',
      `0123456789ABCDEF       ${NO_PERM} usb:3-2 transport_id:9`,
      'ZY22G7XYZ              unauthorized usb:1-2 transport_id:4',
      'adb-R58M42ABCDE-x1Yz9q._adb-tls-connect._tcp device product:p model:Pixel_7 device:panther transport_id:12',
      '',
    ].join('\n');
    expect(parseDevicesLong(text)).toEqual([
      { serial: 'R58M42ABCDE', state: 'device', usb: '1-1.4', product: 'greatltexx', model: 'SM_N950F', device: 'greatlte', transportId: 3 },
      { serial: 'emulator-5554', state: 'device', product: 'sdk_gphone64_x86_64', model: 'sdk_gphone64_x86_64', device: 'emu64xa', transportId: 1 },
      { serial: '192.168.1.20:5555', state: 'offline', transportId: 7 },
      { serial: '0123456789ABCDEF', state: NO_PERM, usb: '3-2', transportId: 9 },
      { serial: 'ZY22G7XYZ', state: 'unauthorized', usb: '1-2', transportId: 4 },
      { serial: 'adb-R58M42ABCDE-x1Yz9q._adb-tls-connect._tcp', state: 'device', product: 'p', model: 'Pixel_7', device: 'panther', transportId: 12 },
    ]);
  });

  it('keeps a serial with spaces ("(no serial number)") and a state with spaces apart', () => {
    expect(parseDevicesLong(`(no serial number)     ${NO_PERM} usb:1-9 transport_id:2\n`)).toEqual([
      { serial: '(no serial number)', state: NO_PERM, usb: '1-9', transportId: 2 },
    ]);
  });

  it('parses the short listing and CRLF line ends too', () => {
    expect(parseDevicesLong('R58M\tdevice\r\n10.0.0.5:5555\toffline\r\n')).toEqual([
      { serial: 'R58M', state: 'device' },
      { serial: '10.0.0.5:5555', state: 'offline' },
    ]);
  });

  it('treats an empty list as no devices', () => {
    expect(parseDevicesLong('')).toEqual([]);
    expect(parseDevicesLong('\n')).toEqual([]);
  });

  it('round-trips whatever the server can print (AOSP format, from the fake)', () => {
    const token = fc.stringMatching(/^[A-Za-z0-9_.-]{1,24}$/);
    const state = fc.constantFrom('device', 'offline', 'unauthorized', 'authorizing', 'connecting', 'bootloader', 'recovery', 'rescue', 'sideload', 'host', 'detached', NO_PERM);
    const serial = fc.oneof(
      token,
      fc.tuple(fc.ipV4(), fc.integer({ min: 1, max: 65535 })).map(([ip, port]) => `${ip}:${port}`),
      fc.constant('(no serial number)'),
    );
    const usbPath = fc.tuple(fc.integer({ min: 1, max: 20 }), fc.array(fc.integer({ min: 1, max: 15 }), { minLength: 1, maxLength: 5 })).map(([b, p]) => `${b}-${p.join('.')}`);
    const dev = fc.record(
      { serial, state, usb: usbPath, product: token, model: fc.stringMatching(/^[ -~]{1,20}$/), device: token },
      { requiredKeys: ['serial', 'state'] },
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(dev, fc.integer({ min: 1, max: 99999 })), { maxLength: 8 }), (list) => {
        const text = list.map(([d, id]) => formatDeviceLong(d, id)).join('');
        const parsed = parseDevicesLong(text);
        expect(parsed).toHaveLength(list.length);
        list.forEach(([d, id], i) => {
          const expected: Record<string, unknown> = { serial: d.serial, state: d.state, transportId: id };
          if (d.usb) expected.usb = d.usb;
          if (d.product) expected.product = d.product;
          if (d.model) expected.model = d.model.replace(/[^A-Za-z0-9]/g, '_');
          if (d.device) expected.device = d.device;
          expect(parsed[i]).toEqual(expected);
        });
      }),
    );
  });

  it('round-trips the short form', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ serial: fc.stringMatching(/^[A-Za-z0-9:._-]{1,30}$/), state: fc.constantFrom('device', 'offline', NO_PERM) }), { maxLength: 6 }), (list) => {
        expect(parseDevicesLong(list.map(formatDeviceShort).join(''))).toEqual(list);
      }),
    );
  });
});

describe('AdbStreamDecoder', () => {
  const stream = (...parts: string[]): Buffer => Buffer.from(parts.join(''), 'utf8');
  const body = (text: string): string => `${Buffer.byteLength(text).toString(16).padStart(4, '0')}${text}`;

  it('takes OKAY and the first list from one packet', () => {
    const d = new AdbStreamDecoder();
    expect(d.push(stream('OKAY', body('A\tdevice\n')))).toEqual([{ kind: 'okay' }, { kind: 'data', text: 'A\tdevice\n' }]);
  });

  it('takes several lists from one packet, and the empty list 0000', () => {
    const d = new AdbStreamDecoder();
    expect(d.push(stream('OKAY', body('A\tdevice\n'), '0000', body('B\toffline\n')))).toEqual([
      { kind: 'okay' },
      { kind: 'data', text: 'A\tdevice\n' },
      { kind: 'data', text: '' },
      { kind: 'data', text: 'B\toffline\n' },
    ]);
  });

  it('reads FAIL and its message', () => {
    const d = new AdbStreamDecoder();
    expect(d.push(stream('FAIL', body('unknown host service')))).toEqual([{ kind: 'fail', message: 'unknown host service' }]);
  });

  it('refuses a stream that is not adb', () => {
    expect(() => new AdbStreamDecoder().push(stream('HTTP/1.1 200 OK'))).toThrow(AdbProtocolError);
    expect(() => new AdbStreamDecoder().push(stream('OKAYzz12'))).toThrow(AdbProtocolError);
  });

  it('gives the same frames however the bytes are split into packets', () => {
    const list = fc.array(fc.stringMatching(/^[A-Za-z0-9 .:\t\n-]{0,60}$/), { maxLength: 5 });
    fc.assert(
      fc.property(list, fc.array(fc.integer({ min: 1, max: 400 }), { maxLength: 12 }), fc.boolean(), (lists, cuts, failFirst) => {
        const whole = failFirst ? stream('FAIL', body('nope')) : stream('OKAY', ...lists.map(body));
        const expected: AdbFrame[] = failFirst ? [{ kind: 'fail', message: 'nope' }] : [{ kind: 'okay' }, ...lists.map((text) => ({ kind: 'data' as const, text }))];
        const points = [...new Set(cuts.map((c) => c % (whole.length + 1)))].sort((a, b) => a - b);
        const d = new AdbStreamDecoder();
        const got: AdbFrame[] = [];
        let at = 0;
        for (const p of [...points, whole.length]) {
          got.push(...d.push(whole.subarray(at, p)));
          at = p;
        }
        expect(got).toEqual(expected);
      }),
    );
  });

  it('counts the length in bytes (UTF-8), as the server does', () => {
    const d = new AdbStreamDecoder();
    const text = 'Pixel de Zoë\tdevice\n';
    expect(d.push(stream('OKAY', body(text)))).toEqual([{ kind: 'okay' }, { kind: 'data', text }]);
  });
});

describe('small pieces', () => {
  it('encodes a request as hex4 length + service', () => {
    expect(encodeAdbRequest('host:track-devices-l').toString()).toBe('0014host:track-devices-l');
    expect(encodeAdbRequest('host:version').toString()).toBe('000chost:version');
  });

  it('tells network serials from USB ones', () => {
    expect(adbConnectionOf('192.168.1.20:5555')).toBe('network');
    expect(adbConnectionOf('[fe80::1]:5555')).toBe('network');
    expect(adbConnectionOf('buildbox.local:5555')).toBe('network');
    expect(adbConnectionOf('adb-R58M42-x1Yz9q._adb-tls-connect._tcp')).toBe('network');
    expect(adbConnectionOf('adb-R58M42-x1Yz9q._adb-tls-connect._tcp.')).toBe('network');
    expect(adbConnectionOf('emulator-5554')).toBe('network');
    expect(adbConnectionOf('R58M42ABCDE')).toBe('usb');
    expect(adbConnectionOf('0123456789ABCDEF')).toBe('usb');
  });

  it('keeps only a real answer from the shell', () => {
    expect(cleanShellValue('Galaxy Note 8\n')).toBe('Galaxy Note 8');
    expect(cleanShellValue('Pixel 7\r\n')).toBe('Pixel 7');
    expect(cleanShellValue('null\n')).toBeUndefined();
    expect(cleanShellValue('\n')).toBeUndefined();
    expect(cleanShellValue('/system/bin/sh: settings: not found\n')).toBeUndefined();
    expect(cleanShellValue('cmd: Can\'t find service: settings\n')).toBeUndefined();
    expect(cleanShellValue('Exception occurred while executing:\njava.lang.IllegalArgumentException\n')).toBeUndefined();
  });

  it('backs off exponentially up to the cap, and starts over after reset', () => {
    const b = new Backoff({ initialMs: 500, maxMs: 10_000 });
    expect([b.next(), b.next(), b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
    b.reset();
    expect(b.next()).toBe(500);
  });
});
