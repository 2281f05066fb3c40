import { describe, expect, it, vi } from 'vitest';

const created = vi.hoisted(() => [] as Array<Record<string, unknown>>);
const loaded = vi.hoisted(() => [] as string[]);
vi.mock('electron', () => ({
  nativeTheme: { shouldUseDarkColors: false },
  BrowserWindow: class {
    constructor(options: Record<string, unknown>) {
      created.push(options);
    }
    once() {}
    loadFile() {
      return Promise.resolve();
    }
    loadURL(url: string) {
      loaded.push(url);
      return Promise.resolve();
    }
  },
}));

const { createMainWindow } = await import('../../main/shell/window');

describe('createMainWindow', () => {
  it('sets every security-relevant webPreference explicitly (the stand-in cannot enforce them; Electron does)', () => {
    createMainWindow({ preload: '/app/out/preload/index.cjs', entry: { kind: 'app', dir: '/app/out/renderer' }, devTools: false });
    const prefs = created.at(-1)?.webPreferences as Record<string, unknown>;
    // Exactly these: the isolations switched on, every way into Node or unsafe content switched off.
    const on = ['contextIsolation', 'sandbox', 'webSecurity', 'safeDialogs'];
    const off = [
      ...['nodeIntegration', 'nodeIntegrationInWorker', 'nodeIntegrationInSubFrames', 'allowRunningInsecureContent', 'webviewTag'],
      ...['experimentalFeatures', 'navigateOnDragDrop', 'spellcheck', 'devTools'],
    ];
    expect(prefs).toEqual({
      preload: '/app/out/preload/index.cjs',
      ...Object.fromEntries(on.map((key) => [key, true])),
      ...Object.fromEntries(off.map((key) => [key, false])),
      disableBlinkFeatures: 'Auxclick',
    });
    expect(created.at(-1)?.title).toBe('DeviceHooks');
    // The page comes from the app:// scheme, never from file:.
    expect(loaded.at(-1)).toBe('app://devicehooks/index.html');
  });

  it('has DevTools only when asked (never in packaged builds)', async () => {
    createMainWindow({ preload: '/p.cjs', entry: { kind: 'url', url: 'http://localhost:5173' }, devTools: true });
    expect((created.at(-1)?.webPreferences as Record<string, unknown>)['devTools']).toBe(true);
    expect(loaded.at(-1)).toBe('http://localhost:5173');
    const { viewMenu } = await import('../../main/shell/trayModel');
    expect(viewMenu(false)).not.toContain('toggleDevTools');
    expect(viewMenu(false)).not.toContain('reload');
    expect(viewMenu(true)).toContain('toggleDevTools');
  });
});
