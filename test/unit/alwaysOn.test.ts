import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { autostartFile, desktopEntry, setLinuxAutostart } from '../../main/shell/autostart';
import { trayIconPng } from '../../main/shell/icons';
import { Notifier } from '../../main/shell/notifier';
import type { NotificationKind } from '../../main/shell/notifier';
import { trayModel } from '../../main/shell/trayModel';

describe('tray model', () => {
  const devices = [{ status: 'Online' as const }, { status: 'Online' as const }, { status: 'Offline' as const }, { status: 'Utilizing' as const }, { status: null }];
  it('counts devices by status for the tooltip', () => {
    const model = trayModel({ devices, webhooks: [], failures: () => 0 });
    expect(model.statusLine).toBe('2 online, 1 offline, 1 in use');
    expect(model.tooltip).toBe('DeviceHooks · 2 online, 1 offline, 1 in use');
    expect(model.icon).toBe('ok');
  });
  it('names failing and paused webhooks and changes the icon', () => {
    const webhooks = [
      { id: 1, name: 'A', enabled: true, paused: false },
      { id: 2, name: 'B', enabled: true, paused: true },
      { id: 3, name: 'C', enabled: true, paused: false },
    ];
    const failing = trayModel({ devices, webhooks, failures: (id) => (id === 1 ? 3 : 0) });
    expect(failing.failing).toEqual(['A']);
    expect(failing.paused).toEqual(['B']);
    expect(failing.icon).toBe('failing');
    expect(failing.tooltip).toContain('1 webhook failing');
    const pausedOnly = trayModel({ devices, webhooks, failures: () => 0 });
    expect(pausedOnly.icon).toBe('paused');
    expect(pausedOnly.allPaused).toBe(false);
    expect(trayModel({ devices, webhooks: webhooks.map((w) => ({ ...w, paused: true })), failures: () => 0 }).allPaused).toBe(true);
    expect(trayModel({ devices, webhooks: [{ id: 9, name: 'Gone', enabled: false, paused: false }], failures: () => 0 }).icon).toBe('failing');
  });
});

describe('notifier', () => {
  function rig(enabled: (kind: NotificationKind) => boolean = () => true) {
    const shown: [string, string][] = [];
    let fire: (() => void) | null = null;
    const notifier = new Notifier({
      show: (title, body) => shown.push([title, body]),
      enabled,
      burst: 3,
      windowMs: 10_000,
      setTimeout: (fn) => {
        fire = fn;
        return 1;
      },
      clearTimeout: () => (fire = null),
    });
    return { notifier, shown, endWindow: () => fire?.() };
  }
  it('shows a few one by one, then one summary for the storm', () => {
    const { notifier, shown, endWindow } = rig();
    for (let i = 1; i <= 50; i++) notifier.notify('deviceUnplugged', `Phone ${i}`);
    expect(shown).toHaveLength(3);
    endWindow();
    expect(shown).toHaveLength(4);
    expect(shown[3]).toEqual(['47 devices were unplugged', 'Phone 4; Phone 5; Phone 6 and 44 more']);
  });
  it('shows nothing for a kind switched off', () => {
    const { notifier, shown } = rig((kind) => kind !== 'deviceOffline');
    notifier.notify('deviceOffline', 'x');
    notifier.notify('webhookPaused', 'Hook A');
    expect(shown).toEqual([['Webhook paused', 'Hook A']]);
  });
});

describe('tray icon', () => {
  it('is a valid PNG whose centre dot has the state colour', () => {
    for (const [state, rgb] of [
      ['ok', [31, 138, 76]],
      ['failing', [194, 58, 58]],
      ['paused', [183, 121, 31]],
    ] as const) {
      const png = trayIconPng(state, 16);
      expect(png.subarray(0, 8)).toEqual(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));
      expect(png.readUInt32BE(16)).toBe(16);
      const idatLength = png.readUInt32BE(33);
      const pixels = inflateSync(png.subarray(41, 41 + idatLength));
      const rowBytes = 1 + 16 * 4;
      const centre = 8 * rowBytes + 1 + 8 * 4;
      expect([...pixels.subarray(centre, centre + 4)]).toEqual([...rgb, 255]);
    }
    expect(trayIconPng('ok').equals(trayIconPng('failing'))).toBe(false);
  });
});

describe('Linux autostart', () => {
  it('writes and removes a desktop entry under XDG_CONFIG_HOME', async () => {
    const config = mkdtempSync(join(tmpdir(), 'dh-autostart-'));
    const env = { XDG_CONFIG_HOME: config };
    const file = await setLinuxAutostart(true, ['/opt/Device Hooks/devicehooks'], true, env);
    expect(file).toBe(autostartFile(env));
    const entry = readFileSync(file, 'utf8');
    expect(entry).toContain('Exec="/opt/Device Hooks/devicehooks" --hidden');
    expect(entry).toMatch(/^\[Desktop Entry\]\nType=Application\n/);
    await setLinuxAutostart(false, [], false, env);
    expect(existsSync(file)).toBe(false);
  });
  it('quotes what the spec says to quote', () => {
    expect(desktopEntry(['/usr/bin/app', 'a"b'], false)).toContain('Exec=/usr/bin/app "a\\"b"');
  });
});

