// The "add a General setting" recipe (docs/architecture.md): the schema in the contract gives every
// field a default, so a settings.json without a field opens with that field's default, unrecovered, with
// no version bump. These tests hold for every field the schema has, so they hold for the next one too.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, SETTINGS_SCHEMA_VERSION, openSettingsStore } from '../../main/services/settings';
import type { GeneralSettings } from '../../main/services/settings';
import { generalSettingsForm } from '../../preload/contract';
import { makeTempDir } from '../support/tmp';

const VERSION_1_FILE = {
  schemaVersion: 1,
  closeHintShown: false,
  startAtLogin: false,
  startHidden: false,
  notifications: { deviceOffline: false, deviceUnplugged: true, webhookPaused: true, deliveryFailed: true },
  delivery: { timeoutSeconds: 10, pauseAfterFailures: 20, maxQueued: 100_000, historyEntries: 50_000 },
};

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every field's path, nested objects opened: `startHidden`, `debounce.onlineMs`, `appiumUrls`… */
function leafPaths(value: Json, prefix: string[] = []): string[][] {
  return Object.entries(value).flatMap(([key, v]) => (isObject(v) ? leafPaths(v, [...prefix, key]) : [[...prefix, key]]));
}
function withPath(value: Json, path: string[], replace: (parent: Json, key: string) => void): Json {
  const copy = structuredClone(value);
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Json;
  replace(parent, path.at(-1) as string);
  return copy;
}
function valueAt(value: Json, path: string[]): unknown {
  return path.reduce<unknown>((v, key) => (v as Json)[key], value);
}

/** Values to try in place of a default, in order: the first one the window's form accepts is taken. */
function candidates(value: unknown): unknown[] {
  if (typeof value === 'boolean') return [!value];
  if (typeof value === 'number') return [value + 1, value - 1, value * 2];
  if (typeof value === 'string') return [`${value}x`];
  if (Array.isArray(value)) return [[], ['http://10.0.0.8:4723']];
  return [];
}

/**
 * A user's settings: every field (the next one added too, without editing this test) at a value the
 * form accepts that differs from its default, so a default filled in is told apart from a value kept.
 */
function customSettings(): GeneralSettings {
  let custom = structuredClone(DEFAULT_SETTINGS) as Json;
  for (const path of leafPaths(custom)) {
    const value = candidates(valueAt(custom, path)).find((candidate) => {
      const tried = generalSettingsForm.safeParse(withPath(custom, path, (parent, key) => (parent[key] = candidate)));
      return tried.success && JSON.stringify(valueAt(tried.data as Json, path)) === JSON.stringify(candidate);
    });
    if (value === undefined) throw new Error(`no value other than the default is accepted for ${path.join('.')}: add a candidate for its type`);
    custom = withPath(custom, path, (parent, key) => (parent[key] = value));
  }
  return custom as GeneralSettings;
}
const CUSTOM = customSettings();

async function open(file: object) {
  const dataDir = await makeTempDir();
  writeFileSync(join(dataDir, 'settings.json'), JSON.stringify(file));
  const store = await openSettingsStore({ dataDir, logger: () => undefined });
  return { dataDir, store };
}

describe('the add-a-setting recipe', () => {
  it('a version 1 settings.json opens, unrecovered, with every later field at its default', async () => {
    const { store } = await open(VERSION_1_FILE);
    expect(store.recovered, 'settings.json was moved aside: a new field needs SETTINGS_SCHEMA_VERSION + 1 and a migration').toBeUndefined();
    expect(store.general()).toEqual(DEFAULT_SETTINGS);
    await store.store.close();
  });

  it.each(leafPaths(DEFAULT_SETTINGS).map((path) => [path.join('.'), path] as const))(
    'a settings.json of this version without %s opens, unrecovered, with that field at its default and the rest kept',
    async (_name, path) => {
      const custom = { ...structuredClone(DEFAULT_SETTINGS), ...structuredClone(CUSTOM) } as Json;
      const file = { schemaVersion: SETTINGS_SCHEMA_VERSION, closeHintShown: true, ...withPath(custom, path, (parent, key) => delete parent[key]) };
      const { store } = await open(file);
      expect(store.recovered, 'settings.json was moved aside: every field of the General settings schema needs a default').toBeUndefined();
      expect(store.general()).toEqual(withPath(custom, path, (parent, key) => (parent[key] = valueAt(DEFAULT_SETTINGS as Json, path))));
      expect(store.store.data.closeHintShown).toBe(true);
      await store.store.close();
    },
  );

  it('an unknown field in settings.json (a newer DeviceHooks wrote it) loses nothing: kept in the file, not handed out', async () => {
    const file = { schemaVersion: SETTINGS_SCHEMA_VERSION, closeHintShown: false, ...CUSTOM, fromTheFuture: { on: true }, debounce: { ...CUSTOM.debounce, jitterMs: 9 } };
    const { dataDir, store } = await open(file);
    expect(store.recovered).toBeUndefined();
    expect(store.general()).toEqual(CUSTOM);
    const saved = await store.update({ ...CUSTOM, startHidden: false, debounce: { ...CUSTOM.debounce, onlineMs: 10 } });
    expect(saved).toEqual({ ok: true, value: { ...CUSTOM, startHidden: false, debounce: { ...CUSTOM.debounce, onlineMs: 10 } } });
    await store.store.close();
    const onDisk = JSON.parse(readFileSync(join(dataDir, 'settings.json'), 'utf8')) as Json;
    expect(onDisk).toMatchObject({ fromTheFuture: { on: true }, startHidden: false, debounce: { onlineMs: 10, jitterMs: 9 }, deviceRetentionDays: CUSTOM.deviceRetentionDays });
  });

  it('from the window an unknown field is refused with an error that names it, and a missing one with its own error', async () => {
    const { store } = await open({ schemaVersion: SETTINGS_SCHEMA_VERSION, closeHintShown: false, ...CUSTOM });
    const unknown = await store.update({ ...CUSTOM, surprise: true });
    expect(unknown.ok).toBe(false);
    expect(JSON.stringify(unknown)).toContain('surprise');
    const { startHidden: _missing, ...withoutOne } = CUSTOM;
    const missing = await store.update(withoutOne);
    expect(missing).toMatchObject({ ok: false, fieldErrors: { startHidden: expect.any(String) } });
    expect(store.general()).toEqual(CUSTOM);
    await store.store.close();
  });

  it('the recipe in docs/architecture.md touches at most three files: the contract schema, the GeneralTab field, the guide', () => {
    const doc = readFileSync(join(import.meta.dirname, '../../docs/architecture.md'), 'utf8');
    const section = doc.slice(doc.indexOf('### Add a General setting'), doc.indexOf('###', doc.indexOf('### Add a General setting') + 4));
    const rows = [...section.matchAll(/^\| `([^`]+)`[^|]*\|(.*)$/gm)];
    expect(rows.map((m) => m[1])).toEqual(['preload/contract/settings.ts', 'renderer/src/settings/GeneralTab.tsx', 'docs/usage.md']);
    for (const row of rows) expect(row[0], 'adding a setting needs no version bump').not.toContain('SETTINGS_SCHEMA_VERSION');
  });
});
