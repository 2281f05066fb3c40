import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, SETTINGS_SCHEMA_VERSION, openSettingsStore } from '../../main/services/settings';
import { makeTempDir } from '../support/tmp';

const logger = () => undefined;
const tempDir = () => makeTempDir();

describe('settings.json', () => {
  it('starts from the defaults and keeps what was saved', async () => {
    const dataDir = await tempDir();
    const first = await openSettingsStore({ dataDir, logger });
    expect(first.general()).toEqual(DEFAULT_SETTINGS);
    const saved = await first.update({ ...DEFAULT_SETTINGS, startHidden: true, debounce: { onlineMs: 0, offlineMs: 1500, unpluggedMs: 60_000, settleMs: 8000 } });
    expect(saved.ok).toBe(true);
    await first.store.close();
    const second = await openSettingsStore({ dataDir, logger });
    expect(second.general()).toMatchObject({ startHidden: true, debounce: { onlineMs: 0, offlineMs: 1500, unpluggedMs: 60_000, settleMs: 8000 } });
  });

  it('refuses values outside the rules with a sentence per field, and changes nothing', async () => {
    const dataDir = await tempDir();
    const store = await openSettingsStore({ dataDir, logger });
    const bad = await store.update({
      ...DEFAULT_SETTINGS,
      debounce: { ...DEFAULT_SETTINGS.debounce, unpluggedMs: 60_001 },
      delivery: { ...DEFAULT_SETTINGS.delivery, timeoutSeconds: 0, maxQueued: 99 },
    });
    expect(bad).toEqual({
      ok: false,
      fieldErrors: { 'debounce.unpluggedMs': 'At most 60000 ms', 'delivery.timeoutSeconds': 'At least 1 second', 'delivery.maxQueued': 'At least 100' },
    });
    expect((await store.update({ ...DEFAULT_SETTINGS, surprise: true })).ok).toBe(false);
    expect(store.general()).toEqual(DEFAULT_SETTINGS);
  });

  it('migrates a version 1 file: the debounce times get their defaults, the rest is kept', async () => {
    const dataDir = await tempDir();
    const { debounce: _omitted, ...v1 } = { ...DEFAULT_SETTINGS, startAtLogin: true };
    const { retryHorizonHours: _new, ...v1Delivery } = v1.delivery;
    Object.assign(v1, { delivery: v1Delivery });
    writeFileSync(join(dataDir, 'settings.json'), JSON.stringify({ schemaVersion: 1, closeHintShown: true, ...v1 }));
    const store = await openSettingsStore({ dataDir, logger });
    expect(store.general()).toMatchObject({ startAtLogin: true, debounce: DEFAULT_SETTINGS.debounce });
    expect(store.store.data.closeHintShown).toBe(true);
    await store.store.flush();
    expect(JSON.parse(readFileSync(join(dataDir, 'settings.json'), 'utf8')).schemaVersion).toBe(SETTINGS_SCHEMA_VERSION);
  });

  it('migrates a version 2 file: the settle window (5 s) and the device retention (30 days) get their defaults, the hold times are kept', async () => {
    const dataDir = await tempDir();
    const { deviceRetentionDays: _new, ...rest } = DEFAULT_SETTINGS;
    const v2 = { ...rest, debounce: { onlineMs: 100, offlineMs: 1500, unpluggedMs: 4000 } };
    writeFileSync(join(dataDir, 'settings.json'), JSON.stringify({ schemaVersion: 2, closeHintShown: false, ...v2 }));
    const store = await openSettingsStore({ dataDir, logger });
    expect(store.general().debounce).toEqual({ onlineMs: 100, offlineMs: 1500, unpluggedMs: 4000, settleMs: 5000 });
    expect(store.general().deviceRetentionDays).toBe(30);
  });

  it('migrates a version 2 file: the history gets its size bound (256 MB), the rest is kept', async () => {
    const dataDir = await tempDir();
    const v2 = { ...DEFAULT_SETTINGS, startHidden: true, delivery: { timeoutSeconds: 7, pauseAfterFailures: 5, maxQueued: 500, historyEntries: 1000 } };
    writeFileSync(join(dataDir, 'settings.json'), JSON.stringify({ schemaVersion: 2, closeHintShown: false, ...v2 }));
    const store = await openSettingsStore({ dataDir, logger });
    expect(store.general()).toMatchObject({ startHidden: true, delivery: { timeoutSeconds: 7, pauseAfterFailures: 5, maxQueued: 500, historyEntries: 1000, historyMegabytes: 256 } });
    await store.store.flush();
    expect(JSON.parse(readFileSync(join(dataDir, 'settings.json'), 'utf8'))).toMatchObject({ schemaVersion: SETTINGS_SCHEMA_VERSION, delivery: { historyMegabytes: 256 } });
  });

  it('the history size bound is a whole number of megabytes from 1 to 1,048,576', async () => {
    const dataDir = await tempDir();
    const store = await openSettingsStore({ dataDir, logger });
    expect(DEFAULT_SETTINGS.delivery.historyMegabytes).toBe(256);
    const tooSmall = await store.update({ ...DEFAULT_SETTINGS, delivery: { ...DEFAULT_SETTINGS.delivery, historyMegabytes: 0 } });
    expect(tooSmall).toEqual({ ok: false, fieldErrors: { 'delivery.historyMegabytes': 'At least 1 MB' } });
    const fractional = await store.update({ ...DEFAULT_SETTINGS, delivery: { ...DEFAULT_SETTINGS.delivery, historyMegabytes: 1.5 } });
    expect(fractional).toEqual({ ok: false, fieldErrors: { 'delivery.historyMegabytes': 'Whole megabytes' } });
    const ok = await store.update({ ...DEFAULT_SETTINGS, delivery: { ...DEFAULT_SETTINGS.delivery, historyMegabytes: 1024 } });
    expect(ok.ok).toBe(true);
  });

  it('migrates a version 2 file: the retry horizon gets its default of 3 days, the rest is kept', async () => {
    const dataDir = await tempDir();
    const { retryHorizonHours: _omitted, ...delivery } = { ...DEFAULT_SETTINGS.delivery, maxQueued: 5_000 };
    writeFileSync(join(dataDir, 'settings.json'), JSON.stringify({ schemaVersion: 2, closeHintShown: false, ...DEFAULT_SETTINGS, delivery }));
    const store = await openSettingsStore({ dataDir, logger });
    expect(store.general().delivery).toEqual({ ...delivery, retryHorizonHours: 72 });
    expect((await store.update({ ...store.general(), delivery: { ...delivery, retryHorizonHours: 0 } })).ok).toBe(false);
  });

  it('migrates a version 5 file: the watched Appium server and the battery thresholds get their defaults, the rest is kept', async () => {
    const dataDir = await tempDir();
    const { appiumUrls: _new, battery: _newToo, ...v5 } = { ...DEFAULT_SETTINGS, deviceRetentionDays: 12 };
    const { deviceBattery: _newSwitch, ...notifications } = { ...DEFAULT_SETTINGS.notifications, deviceOffline: true };
    writeFileSync(join(dataDir, 'settings.json'), JSON.stringify({ schemaVersion: 5, closeHintShown: false, ...v5, notifications }));
    const store = await openSettingsStore({ dataDir, logger });
    expect(store.general()).toMatchObject({
      deviceRetentionDays: 12,
      appiumUrls: ['http://127.0.0.1:4723'],
      battery: { lowPercent: 15, hotC: 45 },
      notifications: { ...notifications, deviceBattery: true },
    });
    await store.store.flush();
    expect(JSON.parse(readFileSync(join(dataDir, 'settings.json'), 'utf8')).schemaVersion).toBe(SETTINGS_SCHEMA_VERSION);
  });

  it('keeps Appium server URLs without their trailing slash and refuses what is not an http URL', async () => {
    const store = await openSettingsStore({ dataDir: await tempDir(), logger });
    const saved = await store.update({ ...DEFAULT_SETTINGS, appiumUrls: ['http://10.0.0.2:4723/wd/hub/', 'http://127.0.0.1:4724'] });
    expect(saved).toMatchObject({ ok: true, value: { appiumUrls: ['http://10.0.0.2:4723/wd/hub', 'http://127.0.0.1:4724'] } });
    expect(await store.update({ ...DEFAULT_SETTINGS, appiumUrls: ['localhost:4723'] })).toEqual({ ok: false, fieldErrors: { 'appiumUrls.0': 'Use an http:// or https:// URL' } });
  });
});
