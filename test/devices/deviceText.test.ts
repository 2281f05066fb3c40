// Strings from devices (adb names, usbmuxd names, USB descriptors) are untrusted: no control or bidi
// characters, no escape sequences, at most 128 characters; adb shell output is read with a size cap.
import { afterEach, describe, expect, it } from 'vitest';
import { AdbSource } from '../../main/devices/adb';
import { ADB_SHELL_MAX_BYTES, adbShell } from '../../main/devices/adbWire';
import { cleanDeviceText, DEVICE_TEXT_MAX } from '../../main/devices/deviceText';
import { startFakeAdb } from '../fakes/adbServer';
import type { FakeAdb, FakeAdbDevice } from '../fakes/adbServer';
import { nameOnceListed, recordFromStart, until } from './recorder';

/** A name with colours, a title-setting OSC, a bell, bidi overrides, zero-width and line separators. */
// eslint-disable-next-line no-control-regex -- the test looks for control characters
const CONTROL = new RegExp('[\\u0000-\\u001f\\u007f-\\u009f\\u200b-\\u200f\\u2028-\\u202e\\u2066-\\u2069]');
export const HOSTILE_NAME = '\x1b[31mLab\x1b[0m\tS21\x07 \u202Egnp.exe\u202C\u2066x\u2069\u200B\u2028 \x1b]0;pwned\x07\u0085ok\x00';

describe('cleanDeviceText', () => {
  it('strips escape sequences, control and bidi characters, and folds whitespace', () => {
    expect(cleanDeviceText(HOSTILE_NAME)).toBe('Lab S21 gnp.exex ok');
    expect(cleanDeviceText('  Galaxy   Note 8 ')).toBe('Galaxy Note 8');
    expect(cleanDeviceText('Pixel 8 Pro — 東京 📱')).toBe('Pixel 8 Pro — 東京 📱');
    expect(cleanDeviceText('\u200F\u061C')).toBe('');
  });

  it('caps at 128 characters without splitting a character in two', () => {
    expect(DEVICE_TEXT_MAX).toBe(128);
    const long = cleanDeviceText('A'.repeat(1_000_000));
    expect(long).toBe('A'.repeat(128));
    const emoji = cleanDeviceText('📱'.repeat(200));
    expect([...emoji]).toHaveLength(128);
    expect(() => encodeURIComponent(emoji)).not.toThrow();
    expect(cleanDeviceText('x\uD800y')).toBe('x\uFFFDy');
  });
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function fakeAdb(devices: FakeAdbDevice[]): Promise<FakeAdb> {
  const adb = await startFakeAdb();
  adb.setDevices(devices);
  cleanups.push(() => adb.close());
  return adb;
}

const address = (port: number) => ({ kind: 'tcp' as const, host: '127.0.0.1', port, label: `127.0.0.1:${port}` });
const hostile: FakeAdbDevice = {
  serial: 'EVIL0001',
  state: 'device',
  usb: '1-1',
  model: 'Evil\x1b[2J_phone',
  settings: { global: { device_name: HOSTILE_NAME + 'B'.repeat(1024 * 1024) } },
};

describe('adb: device strings at the source', () => {
  it('reads shell output with a size cap', async () => {
    const adb = await fakeAdb([hostile]);
    const output = await adbShell(address(adb.port), 'EVIL0001', 'settings get global device_name');
    expect(ADB_SHELL_MAX_BYTES).toBeLessThanOrEqual(64 * 1024);
    expect(ADB_SHELL_MAX_BYTES).toBeGreaterThan(0);
    expect(Buffer.byteLength(output)).toBeLessThanOrEqual(ADB_SHELL_MAX_BYTES);
    expect(output.startsWith('\x1b[31mLab')).toBe(true);
  });

  it('a device named with escape sequences and 1 MB of text arrives capped and clean', async () => {
    const adb = await fakeAdb([hostile]);
    const rec = recordFromStart(new AdbSource({ address: address(adb.port), findAdb: () => undefined, backoff: { initialMs: 20, maxMs: 100 } }), cleanups);
    const name = await nameOnceListed(rec, 'EVIL0001');
    expect(name.startsWith('Lab S21 gnp.exex ok')).toBe(true);
    expect([...name].length).toBe(128);
    expect(name).not.toMatch(CONTROL);
    // The unusable device's model field is cleaned too.
    adb.setDevices([hostile, { ...hostile, serial: 'EVIL0002', state: 'unauthorized' }]);
    await until(() => expect(rec.device('EVIL0002')?.name).toMatch(/^Evil.*phone$/));
    expect(rec.device('EVIL0002')?.name).not.toMatch(CONTROL);
  });
});

describe('usbmuxd: device names at the source', () => {
  it('a lockdown DeviceName with escapes and a long tail arrives capped and clean', async () => {
    const { startFakeUsbmuxd } = await import('../fakes/usbmuxd');
    const { UsbmuxSource } = await import('../../main/devices/usbmux');
    const mux = await startFakeUsbmuxd();
    cleanups.push(() => mux.close());
    // An XML plist cannot carry C0 controls: bidi, zero-width and separators, and a long tail.
    mux.attach({ udid: '00008030-001A35E11A88002E', name: '\u202Egnp.exe\u202C Ana\u200B iPad\u2028\u2066' + 'C'.repeat(10_000) });
    const source = new UsbmuxSource({
      address: { kind: 'unix', path: mux.socketPath, label: mux.socketPath },
      backoff: { initialMs: 20, maxMs: 100 },
      lockdownBackoff: { initialMs: 20, maxMs: 100 },
      settleMs: 30,
    });
    const name = await nameOnceListed(recordFromStart(source, cleanups), '00008030-001A35E11A88002E');
    expect(name.startsWith('gnp.exe Ana iPad CCC')).toBe(true);
    expect([...name]).toHaveLength(128);
  });
});
