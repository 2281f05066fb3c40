// The window's page is served from a custom scheme, app://devicehooks/, instead of file:. A file: URL
// check can compare only paths (file://other-host/<same path> is a network path on Windows), and file:
// pages get extra privileges (the GrantFileProtocolExtraPrivileges fuse is off in electron-builder.yml).
// This module maps app:// URLs to files inside the built renderer folder and builds the response; the
// scheme is registered (before ready) and handled in security.ts. Plain Node.
import { readFile, stat } from 'node:fs/promises';
import { extname, join, relative, resolve, sep, isAbsolute } from 'node:path';

export const APP_SCHEME = 'app';
export const APP_HOST = 'devicehooks';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_URL = `${APP_ORIGIN}/index.html`;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
};

/** The file an app:// URL names inside `rendererDir`, or null (another host, another scheme, a way out). */
export function resolveAppFile(rendererDir: string, url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== APP_HOST) return null;
  let path: string;
  try {
    path = decodeURIComponent(parsed.pathname);
  } catch {
    return null;
  }
  if (path.includes('\0') || path.includes('\\')) return null;
  if (path === '/' || path === '') path = '/index.html';
  const root = resolve(rendererDir);
  const file = resolve(root, `.${path}`);
  const inside = relative(root, file);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside) || inside.split(sep).includes('..')) return null;
  return join(root, inside);
}

/** The response for one app:// request: the file with its type and the page's CSP, or 404. */
export async function appSchemeResponse(rendererDir: string, url: string, contentSecurityPolicy: string): Promise<Response> {
  const file = resolveAppFile(rendererDir, url);
  const notFound = () => new Response('Not found', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } });
  if (!file) return notFound();
  try {
    if (!(await stat(file)).isFile()) return notFound();
    const body = await readFile(file);
    return new Response(body, {
      status: 200,
      headers: {
        'content-type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
        'content-security-policy': contentSecurityPolicy,
        'x-content-type-options': 'nosniff',
      },
    });
  } catch {
    return notFound();
  }
}
