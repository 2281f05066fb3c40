// The "add a General setting" recipe (docs/architecture.md): a new field in generalSchema and
// DEFAULT_SETTINGS needs a version bump and a migration, or every user's settings.json stops validating
// and is moved aside. This opens a settings.json written by the first version, spelled out as it was
// (not built from today's defaults), and expects today's defaults for everything it did not have.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, openSettingsStore } from '../../main/settings';
import { makeTempDir } from '../support/tmp';

const VERSION_1_FILE = {
  schemaVersion: 1,
  closeHintShown: false,
  startAtLogin: false,
  startHidden: false,
  notifications: { deviceOffline: false, deviceUnplugged: true, webhookPaused: true, deliveryFailed: true },
  delivery: { timeoutSeconds: 10, pauseAfterFailures: 20, maxQueued: 100_000, historyEntries: 50_000 },
};

describe('the add-a-setting recipe', () => {
  it('a version 1 settings.json opens, unrecovered, with every later field at its default', async () => {
    const dataDir = await makeTempDir();
    writeFileSync(join(dataDir, 'settings.json'), JSON.stringify(VERSION_1_FILE));
    const store = await openSettingsStore({ dataDir, logger: () => undefined });
    expect(store.recovered, 'settings.json was moved aside: a new field needs SETTINGS_SCHEMA_VERSION + 1 and a migration').toBeUndefined();
    expect(store.general()).toEqual(DEFAULT_SETTINGS);
    await store.store.close();
  });
});
