import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_ORIGIN, APP_URL, appSchemeResponse, resolveAppFile } from '../../main/shell/appScheme';
import { makeTempDir } from '../support/tmp';

describe('the app:// scheme', () => {
  it('is one origin, and the window loads its index.html', () => {
    expect(APP_ORIGIN).toBe('app://devicehooks');
    expect(APP_URL).toBe('app://devicehooks/index.html');
  });

  it('maps a path to a file inside the renderer folder only', () => {
    const dir = '/opt/DeviceHooks/out/renderer';
    expect(resolveAppFile(dir, 'app://devicehooks/index.html')).toBe(join(dir, 'index.html'));
    expect(resolveAppFile(dir, 'app://devicehooks/assets/index-abc.js?v=1#x')).toBe(join(dir, 'assets', 'index-abc.js'));
    expect(resolveAppFile(dir, 'app://devicehooks/')).toBe(join(dir, 'index.html'));
    // The URL parser folds ../ away; an encoded one is refused after decoding.
    expect(resolveAppFile(dir, 'app://devicehooks/../../etc/passwd')).toBe(join(dir, 'etc', 'passwd'));
    expect(resolveAppFile(dir, 'app://devicehooks/%2e%2e/%2e%2e/etc/passwd')).toBe(join(dir, 'etc', 'passwd'));
    expect(resolveAppFile(dir, 'app://devicehooks/..%2f..%2fetc/passwd')).toBeNull();
    expect(resolveAppFile(dir, 'app://devicehooks/a%00b')).toBeNull();
    expect(resolveAppFile(dir, 'app://other-host/index.html')).toBeNull();
    expect(resolveAppFile(dir, 'file:///opt/DeviceHooks/out/renderer/index.html')).toBeNull();
    expect(resolveAppFile(dir, 'not a url')).toBeNull();
  });

  it('answers a file with its type and the CSP, anything else 404', async () => {
    const dir = await makeTempDir();
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>x</title>');
    writeFileSync(join(dir, 'assets', 'a.js'), 'export {}');
    const page = await appSchemeResponse(dir, 'app://devicehooks/index.html', "default-src 'none'");
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toBe("default-src 'none'");
    expect(await page.text()).toContain('<title>x</title>');
    const script = await appSchemeResponse(dir, 'app://devicehooks/assets/a.js', "default-src 'none'");
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await appSchemeResponse(dir, 'app://devicehooks/missing.js', '')).status).toBe(404);
    expect((await appSchemeResponse(dir, 'app://devicehooks/assets', '')).status).toBe(404);
    expect((await appSchemeResponse(dir, 'app://devicehooks/..%2f..%2fetc%2fpasswd', '')).status).toBe(404);
  });
});
