import { describe, expect, it, vi } from 'vitest';

const created = vi.hoisted(() => [] as Array<Record<string, unknown>>);
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
    loadURL() {
      return Promise.resolve();
    }
  },
}));

const { createMainWindow } = await import('../../main/window');

describe('createMainWindow', () => {
  it('sets every security-relevant webPreference explicitly (the stand-in cannot enforce them; Electron does)', () => {
    createMainWindow({ preload: '/app/out/preload/index.cjs', entry: { kind: 'file', path: '/app/out/renderer/index.html' } });
    const prefs = created.at(-1)?.webPreferences as Record<string, unknown>;
    expect(prefs).toEqual({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      disableBlinkFeatures: 'Auxclick',
    });
    expect(created.at(-1)?.title).toBe('DeviceHooks');
  });
});
