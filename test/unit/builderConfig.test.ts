import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
// The schema of the electron-builder this project installs: its app-builder-lib, found from electron-builder itself.
const builder = createRequire(createRequire(import.meta.url).resolve('electron-builder/package.json'));
const schema = JSON.parse(readFileSync(builder.resolve('app-builder-lib/scheme.json'), 'utf8')) as object;
const config = parse(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as Record<string, unknown>;

function validate(candidate: unknown) {
  const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
  const check = ajv.compile(schema);
  return { valid: check(candidate), errors: check.errors };
}

describe('electron-builder.yml', () => {
  it("passes electron-builder's own configuration schema", () => {
    const { valid, errors } = validate(config);
    expect(errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('would catch a typo (the schema check can fail)', () => {
    expect(validate({ ...config, npmRebuidl: false }).valid).toBe(false);
  });

  it('packages what the issue asks for, with the fuses locked', () => {
    expect(config).toMatchObject({ productName: 'DeviceHooks', asar: true, npmRebuild: false });
    expect(String(config.appId)).toMatch(/^[a-z]+(\.[a-z0-9-]+)+$/);
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      onlyLoadAppFromAsar: true,
      enableEmbeddedAsarIntegrityValidation: true,
      // The page is served from app://, so file: pages need no extra privileges.
      grantFileProtocolExtraPrivileges: false,
    });
    expect((config.linux as { target: string[] }).target).toEqual(expect.arrayContaining(['AppImage', 'deb']));
    expect((config.win as { target: string[] }).target).toContain('nsis');
    expect((config.mac as { target: string[] }).target).toContain('dmg');
  });

  it('packs the built entry package.json names', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { main: string };
    expect(pkg.main).toBe('out/main/index.js');
    expect(config.files).toEqual(expect.arrayContaining(['out/**', 'package.json']));
  });
});
