// The built headless runner end to end: a fake adb server and usbmuxd, real HTTP receivers, real signals.
import { existsSync, readFileSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openOutbox } from '../../main/delivery/outbox';
import type { ReceivedRequest } from '../../main/delivery/receiver';
import { LOCK_FILE } from '../../main/storage/dataLock';
import { createOsBox } from '../../main/webhooks/secrets';
import { WEBHOOKS_FILE, openWebhookStore } from '../../main/webhooks/store';
import { CALLBACK_KEYS, ISO_TIME, note8Online } from '../support/callbacks';
import { FakeSafeStorage } from '../support/storage';
import { STARTED, labWithHook, prepareDataDir, receiver, repoRoot, runHeadless, startFakes, stopAll, tempDataDir } from './runner';

afterEach(stopAll);

const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf-8')) as { version: string }).version;
const note8 = { serial: 'ce0917193a6e4f2b05', state: 'device', usb: '1-1', model: 'SM-N950F', settings: { global: { device_name: 'Galaxy Note 8' } } };
const pixel = { serial: '8AKX0Q9N1', state: 'device', usb: '1-2', model: 'Pixel 7' };
const tablet = { serial: 'R52T40ABCDE', state: 'device', usb: '1-3', model: 'SM-X200' };

function body(request: ReceivedRequest | undefined): Record<string, unknown> {
  return JSON.parse(request?.body ?? '{}') as Record<string, unknown>;
}

function onlineFor(requests: ReceivedRequest[], udid: string, path?: string): ReceivedRequest[] {
  return requests.filter((r) => (path === undefined || r.path === path) && body(r)['deviceUdid'] === udid && body(r)['eventActivity'] === 'device.status.online');
}

const count = (text: string, pattern: RegExp) => text.match(new RegExp(pattern.source, 'g'))?.length ?? 0;

describe('headless runner', () => {
  it('sends the exact callback for a phone that comes online, logs to stdout and its log file, and serves the local API', async () => {
    const { dataDir, fakes, hooks, apiToken } = await labWithHook('Lab receiver');

    const runner = runHeadless(dataDir, fakes);
    const started = await runner.waitFor(STARTED);
    expect(started[1]).toBe(version);
    expect(started[2]).toBe(dataDir);
    const apiUrl = started[4];
    expect(apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf-8'))).toMatchObject({ kind: 'headless', pid: runner.proc.pid });

    fakes.adb.setDevices([note8]);
    await expect.poll(() => hooks.requests().length, { timeout: 15_000 }).toBe(1);
    const [request] = hooks.requests();
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/hooks');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['user-agent']).toBe(`DeviceHooks/${version}`);
    const sent = body(request);
    expect(Object.keys(sent).sort()).toEqual(CALLBACK_KEYS);
    expect(sent).toEqual({ creationTime: expect.stringMatching(ISO_TIME), ...note8Online(note8.serial) });

    // The local API answers with the same tracker.
    const answer = await fetch(`${apiUrl}/v1/devices`, { headers: { Authorization: `Bearer ${apiToken}` } });
    expect(answer.status).toBe(200);
    const { devices } = (await answer.json()) as { devices: { udid: string; status: string }[] };
    expect(devices).toEqual(expect.arrayContaining([expect.objectContaining({ udid: note8.serial, status: 'Online' })]));

    await runner.waitFor(new RegExp(`device ${note8.serial} \\(Galaxy Note 8\\) .*→ Online`));
    expect(await runner.stop('SIGINT')).toEqual({ code: 0, signal: null });
    const logFile = readFileSync(join(dataDir, 'logs', 'headless.log'), 'utf-8');
    expect(logFile).toMatch(STARTED);
    expect(logFile).toContain(`device ${note8.serial} (Galaxy Note 8)`);
    expect(logFile).toMatch(/SIGINT: stopping/);
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
  });

  it('reloads webhooks.json when it changes on disk, ignores its own writes, and keeps going on a broken file', async () => {
    const dataDir = await tempDataDir();
    const fakes = await startFakes();
    const hooks = await receiver();
    await prepareDataDir(dataDir, [{ name: 'First', url: `${hooks.url}/first` }]);
    const runner = runHeadless(dataDir, fakes, ['--no-local-api']);
    await runner.waitFor(/local API off; 1 webhook\(s\)/);

    // An admin adds a webhook while it runs (through the store, so the format is the real one).
    let mark = runner.mark();
    const admin = (await openWebhookStore({ dataDir, logger: () => undefined })).store;
    const second = await admin.create({ name: 'Second', url: `${hooks.url}/second`, events: { online: true, offline: false, utilizing: false, unplugged: false } });
    expect(second.ok).toBe(true);
    await admin.close();
    await runner.waitFor(/webhooks: reloaded .*webhooks\.json \(2 webhook\(s\)\)/, { from: mark });

    fakes.adb.setDevices([note8]);
    await expect.poll(() => onlineFor(hooks.requests(), note8.serial).map((r) => r.path).sort(), { timeout: 15_000 }).toEqual(['/first', '/second']);
    expect(body(onlineFor(hooks.requests(), note8.serial, '/second')[0])).toMatchObject({ webhookId: 2, webhookName: 'Second' });

    // Its own write: Second answers 410 Gone, so the runner disables it and saves webhooks.json itself.
    const gone = await receiver({ reply: { status: 410 } });
    mark = runner.mark();
    const retarget = (await openWebhookStore({ dataDir, logger: () => undefined })).store;
    const secondId = retarget.list().find((w) => w.name === 'Second')?.id ?? -1;
    const events = { online: true, offline: false, utilizing: false, unplugged: false };
    expect((await retarget.update(secondId, { name: 'Second', url: `${gone.url}/second`, events })).ok).toBe(true);
    await retarget.close();
    await runner.waitFor(/webhooks: reloaded/, { from: mark });
    mark = runner.mark();
    fakes.adb.setDevices([note8, pixel]);
    await runner.waitFor(/Webhook Second was disabled/, { from: mark });
    // Give its own write's change event time to arrive; it must not count as a change from outside.
    await new Promise((done) => setTimeout(done, 1_000));
    expect(count(runner.output().slice(mark), /webhooks: reloaded/)).toBe(0);
    const onDisk = JSON.parse(readFileSync(join(dataDir, WEBHOOKS_FILE), 'utf-8')) as { webhooks: { name: string; enabled: boolean }[] };
    expect(onDisk.webhooks.find((w) => w.name === 'Second')?.enabled).toBe(false);

    // A broken file: the reason is logged, the loaded webhooks stay in use, the file stays where it is.
    mark = runner.mark();
    await writeFile(join(dataDir, WEBHOOKS_FILE), '{"schemaVersion": 2, "webhooks": [ this is not json');
    await runner.waitFor(/was not reloaded because it is not valid JSON.*the webhooks loaded before stay in use/, { from: mark });
    fakes.adb.setDevices([note8, pixel, tablet]);
    await expect.poll(() => onlineFor(hooks.requests(), tablet.serial, '/first').length, { timeout: 15_000 }).toBe(1);
    expect((await readdir(dataDir)).filter((f) => f.includes('corrupt'))).toEqual([]);
    expect(readFileSync(join(dataDir, WEBHOOKS_FILE), 'utf-8')).toContain('this is not json');
    expect(runner.proc.exitCode).toBeNull();
  });

  it('on SIGTERM with a delivery pending: exits 0, keeps it in the outbox, and sends it after a restart', async () => {
    const { dataDir, fakes, hooks } = await labWithHook('Flaky', { status: 503 });

    const first = runHeadless(dataDir, fakes, ['--no-local-api']);
    await first.waitFor(STARTED);
    fakes.adb.setDevices([note8]);
    await expect.poll(() => hooks.requests().length, { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
    const failed = hooks.requests()[0];
    expect(failed?.answeredStatus).toBe(503);

    expect(await first.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(first.output()).toMatch(/SIGTERM: stopping/);
    expect(first.output()).toMatch(/stopped; 1 callback\(s\) wait in the outbox/);
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);

    // On disk: the delivery is still pending, with its event (the body is composed at each try).
    const outbox = await openOutbox({ dir: join(dataDir, 'delivery', 'outbox') });
    const pending = outbox.list();
    await outbox.close();
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ webhookId: 1, udid: note8.serial, messageId: failed?.headers['webhook-id'], event: { udid: note8.serial, to: 'Online' }, lastError: 'HTTP 503' });
    expect(pending[0]?.state).not.toMatch(/succeeded|failed|dead/);
    expect(pending[0]?.attempts).toBeGreaterThanOrEqual(1);

    // Restart with the receiver healthy (the phone still plugged in, so no new event): the same callback arrives.
    hooks.setReply({ status: 200 });
    const before = hooks.requests().length;
    const second = runHeadless(dataDir, fakes, ['--no-local-api']);
    await second.waitFor(/DeviceHooks headless runner \S+: data in .*; 1 webhook\(s\), 1 callback\(s\) pending/);
    await expect.poll(() => hooks.requests().filter((r) => r.answeredStatus === 200).length, { timeout: 25_000 }).toBe(1);
    const delivered = hooks.requests().find((r) => r.answeredStatus === 200);
    // The same message (webhook-id), composed anew: only creationTime (the time of that try) differs.
    expect(delivered?.headers['webhook-id']).toBe(failed?.headers['webhook-id']);
    const { creationTime: sentAt, ...rest } = JSON.parse(delivered?.body ?? '{}') as Record<string, unknown>;
    const { creationTime: firstAt, ...firstRest } = JSON.parse(failed?.body ?? '{}') as Record<string, unknown>;
    expect(rest).toEqual(firstRest);
    expect(Date.parse(String(sentAt))).toBeGreaterThan(Date.parse(String(firstAt)));
    expect(hooks.requests().length).toBeGreaterThan(before);
    expect(await second.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(second.output()).not.toMatch(/callback\(s\) wait in the outbox/);
  });

  it('a second signal while stopping exits 1 at once; the pending delivery is still on disk', async () => {
    const dataDir = await tempDataDir();
    const fakes = await startFakes();
    // The receiver takes its time, so the attempt is still in flight when the stop begins.
    const slow = await receiver({ reply: { status: 200, delayMs: 60_000 } });
    await prepareDataDir(dataDir, [{ name: 'Slow', url: `${slow.url}/hooks` }]);
    const runner = runHeadless(dataDir, fakes, ['--no-local-api']);
    await runner.waitFor(STARTED);
    fakes.adb.setDevices([note8]);
    await expect.poll(() => slow.requests().length, { timeout: 15_000 }).toBe(1);

    const mark = runner.mark();
    runner.proc.kill('SIGTERM');
    await runner.waitFor(/SIGTERM: stopping/, { from: mark });
    expect(await runner.stop('SIGTERM')).toEqual({ code: 1, signal: null });
    expect(runner.output()).toMatch(/SIGTERM again while stopping: exiting now/);
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);

    const outbox = await openOutbox({ dir: join(dataDir, 'delivery', 'outbox') });
    const pending = outbox.list();
    await outbox.close();
    expect(pending.map((d) => d.udid)).toEqual([note8.serial]);
  });

  it('refuses a second runner on the same data folder (exit 3, a clear message), and lets one start after', async () => {
    const dataDir = await tempDataDir();
    const fakes = await startFakes();
    await prepareDataDir(dataDir, []);
    const first = runHeadless(dataDir, fakes, ['--no-local-api']);
    await first.waitFor(STARTED);

    const second = runHeadless(dataDir, fakes, ['--no-local-api']);
    expect(await second.exited).toEqual({ code: 3, signal: null });
    expect(second.stderr()).toMatch(
      new RegExp(`^The DeviceHooks headless runner \\(pid ${String(first.proc.pid)}, started \\d{2}:\\d{2}\\) is using ${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\. Stop it first`),
    );
    expect(second.stderr()).toContain('another --data-dir');
    // The refused one wrote nothing into the folder's log.
    expect(count(readFileSync(join(dataDir, 'logs', 'headless.log'), 'utf-8'), /starting \(pid/)).toBe(1);

    expect(await first.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    const third = runHeadless(dataDir, fakes, ['--no-local-api']);
    await third.waitFor(STARTED);
    expect(JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf-8'))).toMatchObject({ pid: third.proc.pid });

    // Killed outright, it leaves its lock behind; the next start sees that process is gone and takes over.
    expect(await third.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(true);
    const fourth = runHeadless(dataDir, fakes, ['--no-local-api']);
    await fourth.waitFor(STARTED);
    expect(fourth.output()).toContain(`taking over the stale lock of the DeviceHooks headless runner (pid ${String(third.proc.pid)}`);
    expect(await fourth.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  });

  it("says at start which webhooks it cannot send to because the desktop app's OS keyring sealed their secret, and sends the others", async () => {
    const dataDir = await tempDataDir();
    const fakes = await startFakes();
    const hooks = await receiver();
    await prepareDataDir(dataDir, []);
    // Saved by the desktop app on a machine with a keyring (Electron's safeStorage; a stand-in here).
    const desktop = (await openWebhookStore({ dataDir, logger: () => undefined, secretBox: createOsBox(new FakeSafeStorage()) })).store;
    const events = { online: true, offline: false, utilizing: false, unplugged: false };
    expect((await desktop.create({ name: 'Signed', url: `${hooks.url}/signed`, events, signing: true })).ok).toBe(true);
    expect((await desktop.create({ name: 'Unsigned', url: `${hooks.url}/unsigned`, events })).ok).toBe(true);
    await desktop.close();

    const runner = runHeadless(dataDir, fakes, ['--no-local-api']);
    await runner.waitFor(STARTED);
    // stderr and stdout are separate pipes: the warning may arrive after the start line.
    await expect.poll(() => runner.stderr(), { timeout: 5_000 }).toMatch(
      /Webhook "Signed" \(id 1\) has a signing secret encrypted by the desktop app's OS keyring; the headless runner cannot read it and will not send to it\./,
    );
    expect(runner.output()).not.toMatch(/Webhook "Unsigned"/);

    fakes.adb.setDevices([note8]);
    await expect.poll(() => onlineFor(hooks.requests(), note8.serial, '/unsigned').length, { timeout: 15_000 }).toBe(1);
    expect(hooks.requests().filter((r) => r.path === '/signed')).toEqual([]);
    expect(await runner.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    // Said once on stdout/stderr; its callback waits in the outbox (not failed, not dropped).
    expect(runner.output().split('Webhook Signed: Waiting — secret unavailable.').length - 1).toBe(1);
    const outbox = await openOutbox({ dir: join(dataDir, 'delivery', 'outbox') });
    expect(outbox.list().map((d) => [d.webhookId, d.udid, d.event?.to])).toEqual([[1, note8.serial, 'Online']]);
    await outbox.close();
  });

  it('exits 1 with the reason when the data cannot be opened (a file from a newer DeviceHooks), leaving the file and releasing the lock', async () => {
    const dataDir = await tempDataDir();
    const fakes = await startFakes();
    const newer = JSON.stringify({ schemaVersion: 99, nextWebhookId: 1, org: { id: 1, name: '' }, webhooks: [] });
    await writeFile(join(dataDir, WEBHOOKS_FILE), newer);
    const runner = runHeadless(dataDir, fakes, ['--no-local-api']);
    expect(await runner.exited).toEqual({ code: 1, signal: null });
    expect(runner.stderr()).toMatch(/saved by a newer version of DeviceHooks \(data version 99/);
    expect(readFileSync(join(dataDir, WEBHOOKS_FILE), 'utf-8')).toBe(newer);
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
  });

  it('answers --help with the usage (exit 0) and an unknown flag with the usage on stderr (exit 2)', async () => {
    const dataDir = await tempDataDir();
    const fakes = await startFakes();
    const help = runHeadless(dataDir, fakes, ['--help']);
    expect(await help.exited).toEqual({ code: 0, signal: null });
    expect(help.output()).toContain('Usage: node out/main/headless.js');
    expect(help.output()).toContain('--data-dir DIR');
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);

    const bad = runHeadless(dataDir, fakes, ['--frobnicate']);
    expect(await bad.exited).toEqual({ code: 2, signal: null });
    expect(bad.stderr()).toMatch(/--frobnicate/);
    expect(bad.stderr()).toContain('Usage: node out/main/headless.js');
    expect(await readdir(dataDir)).toEqual([]);
  });
});
