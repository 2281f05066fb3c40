import { readFileSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppEntry } from '../../main/shell/security';

const electron = vi.hoisted(() => ({
  openExternal: vi.fn(async (_url: string) => undefined),
  appOn: vi.fn(),
  setPermissionRequestHandler: vi.fn(),
  setPermissionCheckHandler: vi.fn(),
  onHeadersReceived: vi.fn(),
  registerSchemesAsPrivileged: vi.fn(),
  handle: vi.fn(),
}));
vi.mock('electron', () => ({
  app: { on: electron.appOn },
  shell: { openExternal: electron.openExternal },
  protocol: { registerSchemesAsPrivileged: electron.registerSchemesAsPrivileged, handle: electron.handle },
  session: {
    defaultSession: {
      setPermissionRequestHandler: electron.setPermissionRequestHandler,
      setPermissionCheckHandler: electron.setPermissionCheckHandler,
      webRequest: { onHeadersReceived: electron.onHeadersReceived },
    },
  },
}));

const security = await import('../../main/shell/security');
const { CONTENT_SECURITY_POLICY, installSecurity, isAppUrl, isSafeExternalUrl, lockDownContents, openExternal, registerAppScheme } = security;

const appEntry: AppEntry = { kind: 'app', dir: '/opt/DeviceHooks/resources/app.asar/out/renderer' };
const devEntry: AppEntry = { kind: 'url', url: 'http://localhost:5173' };

class FakeContents extends EventEmitter {
  windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }) {
    this.windowOpenHandler = handler;
  }
}

function navigate(contents: FakeContents, event: string, url: string): boolean {
  let prevented = false;
  contents.emit(event, { preventDefault: () => (prevented = true) }, url);
  return prevented;
}

beforeEach(() => vi.clearAllMocks());

describe('isAppUrl', () => {
  it('accepts only our own page on the app:// origin, never a file: URL', () => {
    expect(isAppUrl('app://devicehooks/index.html', appEntry)).toBe(true);
    expect(isAppUrl('app://devicehooks/index.html#/settings', appEntry)).toBe(true);
    expect(isAppUrl('app://evil-host/index.html', appEntry)).toBe(false);
    expect(isAppUrl('app://user:pw@devicehooks/index.html', appEntry)).toBe(false);
    expect(isAppUrl('file:///opt/DeviceHooks/resources/app.asar/out/renderer/index.html', appEntry)).toBe(false);
    // The old hole: another host, the same path (a network path on Windows).
    expect(isAppUrl('file://evil-host/opt/DeviceHooks/resources/app.asar/out/renderer/index.html', appEntry)).toBe(false);
    expect(isAppUrl('file:///etc/passwd', appEntry)).toBe(false);
    expect(isAppUrl('https://devicehooks/index.html', appEntry)).toBe(false);
    expect(isAppUrl('https://example.com/', appEntry)).toBe(false);
    expect(isAppUrl('', appEntry)).toBe(false);
    expect(isAppUrl('not a url', appEntry)).toBe(false);
  });
  it('accepts the dev server origin only', () => {
    expect(isAppUrl('http://localhost:5173/index.html', devEntry)).toBe(true);
    expect(isAppUrl('http://localhost:5174/', devEntry)).toBe(false);
    expect(isAppUrl('http://127.0.0.1:5173/', devEntry)).toBe(false);
  });
});

describe('external links', () => {
  it('lets only https out', async () => {
    expect(isSafeExternalUrl('https://example.com/docs')).toBe(true);
    for (const url of ['http://example.com', 'file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'https://user:pw@example.com', 'nonsense']) {
      expect(isSafeExternalUrl(url), url).toBe(false);
    }
    await expect(openExternal('http://example.com')).resolves.toBe(false);
    expect(electron.openExternal).not.toHaveBeenCalled();
    await expect(openExternal('https://example.com')).resolves.toBe(true);
    expect(electron.openExternal).toHaveBeenCalledWith('https://example.com');
  });
});

describe('lockDownContents', () => {
  it('blocks navigation and redirects away from our page, and every webview', () => {
    const contents = new FakeContents();
    lockDownContents(contents as never, appEntry);
    expect(navigate(contents, 'will-navigate', 'https://evil.example/')).toBe(true);
    expect(navigate(contents, 'will-redirect', 'file:///etc/passwd')).toBe(true);
    expect(navigate(contents, 'will-navigate', 'app://devicehooks/index.html#/x')).toBe(false);
    expect(navigate(contents, 'will-navigate', 'file:///opt/DeviceHooks/resources/app.asar/out/renderer/index.html#/x')).toBe(true);
    expect(navigate(contents, 'will-attach-webview', 'https://any.example/')).toBe(true);
  });

  it('denies every new window and sends https links to the browser', async () => {
    const contents = new FakeContents();
    lockDownContents(contents as never, appEntry);
    expect(contents.windowOpenHandler?.({ url: 'https://example.com/help' })).toEqual({ action: 'deny' });
    expect(contents.windowOpenHandler?.({ url: 'http://example.com/help' })).toEqual({ action: 'deny' });
    await vi.waitFor(() => expect(electron.openExternal).toHaveBeenCalledTimes(1));
    expect(electron.openExternal).toHaveBeenCalledWith('https://example.com/help');
  });
});

describe('installSecurity', () => {
  it('denies every permission request and check, locks each new WebContents, and sends the CSP header', () => {
    installSecurity(appEntry);
    const requestHandler = electron.setPermissionRequestHandler.mock.calls[0]?.[0] as (w: null, p: string, cb: (g: boolean) => void) => void;
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) {
      const callback = vi.fn();
      requestHandler(null, permission, callback);
      expect(callback).toHaveBeenCalledWith(false);
    }
    const checkHandler = electron.setPermissionCheckHandler.mock.calls[0]?.[0] as () => boolean;
    expect(checkHandler()).toBe(false);

    const created = electron.appOn.mock.calls.find(([name]) => name === 'web-contents-created')?.[1] as (e: unknown, c: FakeContents) => void;
    const contents = new FakeContents();
    created({}, contents);
    expect(navigate(contents, 'will-navigate', 'https://evil.example/')).toBe(true);

    const headers = electron.onHeadersReceived.mock.calls[0]?.[0] as (d: unknown, cb: (r: { responseHeaders: Record<string, string[]> }) => void) => void;
    let sent: Record<string, string[]> = {};
    headers({ responseHeaders: { 'X-Other': ['1'] } }, (r) => (sent = r.responseHeaders));
    expect(sent['X-Other']).toEqual(['1']);
    expect(sent['Content-Security-Policy']?.[0]).toContain(CONTENT_SECURITY_POLICY);
  });

  it('serves the page through the app:// scheme, registered as privileged (before ready)', async () => {
    registerAppScheme();
    expect(electron.registerSchemesAsPrivileged).toHaveBeenCalledWith([{ scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true }) }]);
    installSecurity({ kind: 'app', dir: join(import.meta.dirname, '../../renderer') });
    expect(electron.handle).toHaveBeenCalledWith('app', expect.any(Function));
    const handler = electron.handle.mock.calls[0]?.[1] as (request: { url: string }) => Promise<Response>;
    const page = await handler({ url: 'app://devicehooks/index.html' });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain(CONTENT_SECURITY_POLICY);
    expect((await handler({ url: 'app://devicehooks/..%2f..%2fpackage.json' })).status).toBe(404);
    // The dev server needs no scheme.
    vi.clearAllMocks();
    installSecurity(devEntry);
    expect(electron.handle).not.toHaveBeenCalled();
  });
});

describe('content security policy', () => {
  it('is strict: no unsafe-eval, scripts only from our own files, no remote hosts', () => {
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|wasm-unsafe-eval/);
    const directives = Object.fromEntries(CONTENT_SECURITY_POLICY.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
    expect(directives['script-src']).toEqual(["'self'"]);
    expect(directives['default-src']).toEqual(["'none'"]);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/https?:|\*/);
  });
  it('relaxes inline scripts for the dev server only, never for the built page', () => {
    expect(security.DEV_CONTENT_SECURITY_POLICY).toContain("script-src 'self' 'unsafe-inline'");
    installSecurity(devEntry);
    const headers = electron.onHeadersReceived.mock.calls.at(-1)?.[0] as (d: unknown, cb: (r: { responseHeaders: Record<string, string[]> }) => void) => void;
    let sent: Record<string, string[]> = {};
    headers({ responseHeaders: {} }, (r) => (sent = r.responseHeaders));
    const scriptSrc = (policy = '') => policy.split(';').map((d) => d.trim()).find((d) => d.startsWith('script-src'));
    expect(scriptSrc(sent['Content-Security-Policy']?.[0])).toBe("script-src 'self' 'unsafe-inline'");
    installSecurity(appEntry);
    const fileHeaders = electron.onHeadersReceived.mock.calls.at(-1)?.[0] as typeof headers;
    fileHeaders({ responseHeaders: {} }, (r) => (sent = r.responseHeaders));
    expect(scriptSrc(sent['Content-Security-Policy']?.[0])).toBe("script-src 'self'");
  });

  it('is the same policy the page carries in its meta tag', () => {
    const html = readFileSync(join(import.meta.dirname, '../../renderer/index.html'), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
    expect(meta).toBe(CONTENT_SECURITY_POLICY);
  });
});
