// Security baseline, in one place: navigation lock, window.open denial, permission handlers, CSP header,
// no <webview>, and the only door to external links (https only).
import { app, protocol, session, shell } from 'electron';
import { APP_HOST, APP_SCHEME, appSchemeResponse } from './appScheme';
import type { Event, HandlerDetails, WebContents } from 'electron';

/** The same policy the renderer's index.html carries in its meta tag (a test keeps the two equal). */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  // Radix's scroll lock injects a <style> element; styles cannot run code. Scripts stay 'self' only.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "object-src 'none'",
].join('; ');

/**
 * Under `npm run dev` only (the Vite dev server, never a built or packaged app): React Fast Refresh
 * injects one inline module script, so scripts may also be inline there. Nothing remote either way.
 */
export const DEV_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'");

/**
 * Where the window's page lives: the built renderer folder served as app://devicehooks/ (appScheme.ts),
 * or the dev server under `npm run dev`.
 */
export type AppEntry = { kind: 'app'; dir: string } | { kind: 'url'; url: string };

/** True only for our own page: the app:// origin (scheme and host, never file:), or the dev server's origin. */
export function isAppUrl(url: string, entry: AppEntry): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (entry.kind === 'app') return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST && parsed.username === '' && parsed.password === '';
  const dev = new URL(entry.url);
  return parsed.origin === dev.origin;
}

/** app:// as a standard, secure scheme (its own origin, fetch, no mixed content). Must run before `ready`. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}

/** External links leave the app only over https. */
export function isSafeExternalUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' && parsed.hostname.length > 0 && parsed.username === '' && parsed.password === '';
  } catch {
    return false;
  }
}

/** The one place that opens external links. */
export async function openExternal(url: string): Promise<boolean> {
  if (!isSafeExternalUrl(url)) return false;
  // Reviewed: this is the single choke point and the line above lets only https through.
  await shell.openExternal(url); // eng-disable OPEN_EXTERNAL_JS_CHECK
  return true;
}

/** Deny by default: the console needs no camera, microphone, notifications-from-page, geolocation… */
function denyPermissionRequest(_contents: WebContents | null, _permission: string, callback: (granted: boolean) => void): void {
  callback(false);
}

function denyPermissionCheck(): boolean {
  return false;
}

/** Rules every WebContents gets the moment it is created. */
export function lockDownContents(contents: WebContents, entry: AppEntry): void {
  const blockForeign = (event: Event, url: string) => {
    if (!isAppUrl(url, entry)) event.preventDefault();
  };
  contents.on('will-navigate', blockForeign);
  contents.on('will-redirect', blockForeign);
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler((details: HandlerDetails) => {
    // A link with target=_blank in our own UI means "open in the browser"; never a new app window.
    void openExternal(details.url);
    return { action: 'deny' };
  });
}

export function installSecurity(entry: AppEntry): void {
  app.on('web-contents-created', (_event, contents) => lockDownContents(contents, entry));
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler(denyPermissionRequest);
  ses.setPermissionCheckHandler(denyPermissionCheck);
  // The page's meta tag, plus the header: on every app:// response, and on the dev server's.
  const policy = entry.kind === 'url' ? DEV_CONTENT_SECURITY_POLICY : CONTENT_SECURITY_POLICY;
  if (entry.kind === 'app') {
    const dir = entry.dir;
    protocol.handle(APP_SCHEME, (request) => appSchemeResponse(dir, request.url, `${policy}; frame-ancestors 'none'`));
  }
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [`${policy}; frame-ancestors 'none'`] },
    });
  });
}
