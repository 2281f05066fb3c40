// The built `devicehooks-headless` commands as a user runs them: child processes on a data folder, once
// with a runner on the same folder (the commands go through its control socket) and once without (the
// commands work on the files under the lock). Real loopback receivers, the fake adb server.
import { spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../../main/storage/dataLock';
import type { Receiver } from '../../main/delivery/receiver';
import { checkWebhookDescription, checkWebhookName, checkWebhookUrl, duplicateNameMessage, reservedHeaderReason } from '../../main/webhooks/schema';
import { WEBHOOKS_FILE } from '../../main/webhooks/store';
import type { Fakes } from './runner';
import { STARTED, receiver, runCli, runHeadless, startFakes, stopAll, tempDataDir } from './runner';
import type { Ran, RunningRunner } from './runner';


const json = <T = Record<string, unknown>[]>(ran: Ran): T => {
  expect(ran.code, ran.stderr).toBe(0);
  return JSON.parse(ran.stdout) as T;
};

const messageOf = (check: { ok: true } | { ok: false; message: string }) => (check.ok ? 'ok' : check.message);

const note8 = { serial: 'ce0917193a6e4f2b05', state: 'device', usb: '1-1', model: 'SM-N950F', settings: { global: { device_name: 'Galaxy Note 8' } } };
const pixel = { serial: '8AKX0Q9N1', state: 'device', usb: '1-2', model: 'Pixel 7' };

afterAll(stopAll);

describe.each([
  ['with a runner on the folder', true],
  ['without a runner', false],
])('devicehooks-headless commands, %s', (_label, withRunner) => {
  let dataDir: string;
  let fakes: Fakes;
  let hooks: Receiver;
  let failing: Receiver;
  let runner: RunningRunner | undefined;
  const run = (...args: string[]) => runCli(dataDir, fakes, args);
  const list = async () => json(await run('webhooks', 'list', '--json'));

  beforeAll(async () => {
    dataDir = await tempDataDir();
    fakes = await startFakes();
    hooks = await receiver();
    failing = await receiver({ reply: { status: 500 } });
    if (withRunner) {
      runner = runHeadless(dataDir, fakes, ['--no-local-api']);
      await runner.waitFor(STARTED);
      await runner.waitFor(/commands from the command line are taken on/);
    }
  });
  afterAll(async () => {
    await runner?.stop();
  });

  it('adds webhooks with the app rules, lists them aligned and as JSON, never showing a secret', async () => {
    const added = await run('webhooks', 'add', '--name', 'Lab receiver', '--url', `${hooks.url}/hooks`, '--events', 'online,unplugged', '--description', 'first');
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toBe('Created webhook 1 "Lab receiver"\n');

    // Options before the positional words, and a secret made once.
    const signed = await run('--signing', 'webhooks', '--header', 'Authorization: Bearer s3cret', 'add', '--name', 'Signed', '--url', `${failing.url}/x`, '--events', 'offline', '--platform', 'android', '--udid', pixel.serial);
    expect(signed.code, signed.stderr).toBe(0);
    const secret = /Signing secret \(shown once; give it to the receiver\): (whsec_\S+)/.exec(signed.stdout)?.[1];
    expect(secret).toBeDefined();
    expect(signed.stderr).toMatch(/stored in plain text in webhooks\.json \(readable only by its owner\)/);
    const file = join(dataDir, WEBHOOKS_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    if (runner) {
      // It went through the runner (which holds the folder), not around it.
      expect(runner.output()).toContain('command line: webhooks add → exit 0');
      // The runner's control socket: only this OS account may connect.
      const socket = statSync(join(dataDir, 'control.sock'));
      expect(socket.isSocket()).toBe(true);
      expect(socket.mode & 0o777).toBe(0o600);
    }
    const stored = JSON.parse(readFileSync(file, 'utf-8')) as { webhooks: { secret?: { scheme: string; data: string }; headers: { value: { scheme: string; data: string } }[] }[] };
    expect(stored.webhooks[1]?.secret).toEqual({ scheme: 'plain', data: secret });
    expect(stored.webhooks[1]?.headers[0]?.value).toEqual({ scheme: 'plain', data: 'Bearer s3cret' });

    const human = await run('webhooks', 'list');
    expect(human.code).toBe(0);
    const lines = human.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME\s+EVENTS\s+STATE\s+SIGNED\s+URL$/);
    expect(lines).toHaveLength(3);
    const urlColumn = lines[0]?.indexOf('URL');
    expect(lines[1]?.indexOf(`${hooks.url}/hooks`)).toBe(urlColumn);
    expect(lines[2]?.indexOf(`${failing.url}/x`)).toBe(urlColumn);
    expect(lines[2]).toMatch(/^2\s+Signed\s+offline\s+active\s+yes\s/);

    const listed = await list();
    expect(listed).toEqual([
      expect.objectContaining({ id: 1, name: 'Lab receiver', url: `${hooks.url}/hooks`, description: 'first', events: { online: true, offline: false, utilizing: false, unplugged: true }, enabled: true, paused: false, signing: false, headers: [] }),
      expect.objectContaining({ id: 2, name: 'Signed', signing: true, headers: [{ name: 'Authorization' }], scope: { udids: [pixel.serial], platforms: ['android'] } }),
    ]);
    const text = JSON.stringify(listed);
    expect(text).not.toContain(secret);
    expect(text).not.toContain('s3cret');
  });

  it('refuses every invalid field with exit 2, naming it with the app message, and saves nothing', async () => {
    const before = readFileSync(join(dataDir, WEBHOOKS_FILE), 'utf-8');
    const base = ['--url', 'https://example.com/h', '--events', 'online'];
    const cases: [string[], RegExp | string][] = [
      [['--name', '   ', ...base], `--name (name): ${messageOf(checkWebhookName('  '))}`],
      [['--name', 'x'.repeat(51), ...base], `--name (name): ${messageOf(checkWebhookName('x'.repeat(51)))}`],
      [['--name', 'Lab receiver', ...base], `--name (name): ${duplicateNameMessage('Lab receiver')}`],
      [['--name', 'U', '--url', 'ftp://example.com', '--events', 'online'], `--url (url): ${messageOf(checkWebhookUrl('ftp://example.com'))}`],
      [['--name', 'U', '--events', 'online'], `--url (url): ${messageOf(checkWebhookUrl(''))}`],
      [['--name', 'D', ...base, '--description', 'd'.repeat(513)], `--description (description): ${messageOf(checkWebhookDescription('d'.repeat(513)))}`],
      [['--name', 'E', '--url', 'https://example.com/h'], '--events (events): Choose at least one event'],
      [['--name', 'E', '--url', 'https://example.com/h', '--events', 'online,rebooted'], '--events (events): Unknown event "rebooted"'],
      [['--name', 'H', ...base, '--header', 'Host: evil'], `--header 1 (name): The header "Host" cannot be set here: ${reservedHeaderReason('Host')}`],
      [['--name', 'H', ...base, '--header', 'X-Ok: 1', '--header', 'no colon'], '--header 2: Write the header as "Name: value"'],
      [['--name', 'P', ...base, '--platform', 'windows'], '--platform/--udid (scope): Unknown platform "windows": choose android, ios or other'],
      [['--name', 'S', ...base, '--udid', ' '], '--platform/--udid (scope): Device ID 1 in the scope is empty'],
    ];
    const results = await Promise.all(cases.map(([args]) => run('webhooks', 'add', ...args)));
    results.forEach((ran, i) => {
      expect(ran.code, `${cases[i]?.[0].join(' ')}: ${ran.stderr}`).toBe(2);
      expect(ran.stderr).toContain('Invalid input; nothing was saved');
      expect(ran.stderr).toContain(cases[i]?.[1]);
      expect(ran.stdout).toBe('');
    });
    // Several problems at once are all named; --json gives them as fieldErrors.
    const many = await run('webhooks', 'add', '--name', '', '--url', 'nope', '--json');
    expect(many.code).toBe(2);
    expect(Object.keys((JSON.parse(many.stdout) as { error: { fieldErrors: Record<string, string> } }).error.fieldErrors).sort()).toEqual(['events', 'name', 'url']);
    // An unknown option is a usage error too.
    const unknown = await run('webhooks', 'add', '--nme', 'x');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown option '--nme'/);
    expect(readFileSync(join(dataDir, WEBHOOKS_FILE), 'utf-8')).toBe(before);
  });

  it('edits only the given fields, pauses and resumes', async () => {
    const edited = await run('webhooks', 'edit', '2', '--url', `${failing.url}/y`, '--no-signing', '--clear-headers', '--all-devices', '--description', 'moved');
    expect(edited.code, edited.stderr).toBe(0);
    expect(edited.stdout).toBe('Updated webhook 2 "Signed"\n');
    const [, second] = await list();
    expect(second).toMatchObject({ name: 'Signed', url: `${failing.url}/y`, description: 'moved', signing: false, headers: [], scope: { udids: [], platforms: [] }, events: { offline: true, online: false } });

    const bad = await run('webhooks', 'edit', '2', '--name', 'Lab receiver');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(duplicateNameMessage('Lab receiver'));
    expect((await run('webhooks', 'edit', '99', '--name', 'x')).code).toBe(2);

    const paused = await run('webhooks', 'pause', '2', '--reason', 'receiver down for maintenance');
    expect(paused.code, paused.stderr).toBe(0);
    expect((await list())[1]).toMatchObject({ paused: true, pausedReason: 'receiver down for maintenance' });
    expect(await run('webhooks', 'list')).toMatchObject({ stdout: expect.stringMatching(/^2\s+Signed\s+offline\s+paused\s/m) });
    const resumed = await run('webhooks', 'resume', '2');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect((await list())[1]).toMatchObject({ paused: false, pausedReason: null });
  });

  it('sends a test event: exit 0 on 2xx, 1 otherwise, with the status and time', async () => {
    const ok = await run('webhooks', 'test', '1');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^Test online event to http:\/\/127\.0\.0\.1:\d+\/hooks: HTTP 200 in \d+ ms\n$/);
    const got = hooks.requests().at(-1);
    expect(JSON.parse(got?.body ?? '{}')).toMatchObject({ eventActivity: 'device.status.online', webhookId: 1, webhookName: 'Lab receiver' });

    const bad = await run('webhooks', 'test', '2', '--json');
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ webhookId: 2, result: 'failure', status: 500, test: true, event: 'device.status.offline' });
    expect(failing.requests().length).toBeGreaterThan(0);
    hooks.clear();
  });

  it('exports, removes and imports back (all or nothing)', async () => {
    const exportFile = join(dataDir, '..', `${withRunner ? 'with' : 'without'}-export.json`);
    const exported = await run('webhooks', 'export', exportFile);
    expect(exported.code, exported.stderr).toBe(0);
    const before = await list();

    expect((await run('webhooks', 'remove', '2')).code).toBe(2);
    const removed = await run('webhooks', 'remove', '2', '--yes');
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toBe('Removed webhook 2 "Signed"\n');
    expect((await list()).map((w) => w['id'])).toEqual([1]);

    // Entry 1 clashes with "Lab receiver", which still exists: nothing is imported.
    const refused = await run('webhooks', 'import', exportFile);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`entry 1, name: ${duplicateNameMessage('Lab receiver')}`);
    expect(await list()).toHaveLength(1);

    const doc = JSON.parse(readFileSync(exportFile, 'utf-8')) as { webhooks: unknown[] };
    writeFileSync(exportFile, JSON.stringify({ ...doc, webhooks: doc.webhooks.slice(1) }));
    const imported = await run('webhooks', 'import', exportFile);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toBe('Imported 1 webhook(s): 3 "Signed"\n');
    const after = await list();
    const strip = (w: Record<string, unknown> | undefined) => ({ ...w, id: 0, createdAt: '', updatedAt: '' });
    expect(strip(after[1])).toEqual(strip(before[1]));
  });

  it('lists the devices the adb server reports (human and JSON)', async () => {
    fakes.adb.setDevices([note8]);
    await expect
      .poll(async () => json(await run('devices', '--json')).find((d) => d['udid'] === note8.serial)?.['status'], { timeout: 15_000, interval: 300 })
      .toBe('Online');
    // The battery as the local API shows it: the adb fake's dumpsys battery (full, on USB power, 25.0 °C),
    // read by the runner's battery monitor, or once by the command itself when no runner holds the folder.
    const battery = { level: 100, charging: true, temperatureC: 25, health: 'Good' };
    await expect.poll(async () => json(await run('devices', '--json')).find((d) => d['udid'] === note8.serial)?.['battery'], { timeout: 15_000, interval: 300 }).toEqual(battery);
    const [device] = json(await run('devices', '--json'));
    expect(device).toMatchObject({ udid: note8.serial, name: 'Galaxy Note 8', platform: 'android', connection: 'usb', status: 'Online', inUse: null, battery });
    const human = await run('devices');
    expect(human.stdout).toMatch(/^STATUS\s+FOR\s+NAME\s+PLATFORM\s+CONNECTION\s+BATTERY\s+IN USE BY\s+UDID\n/);
    expect(human.stdout).toMatch(new RegExp(`Online\\s+\\d+[smhd].*\\s+Galaxy Note 8\\s+android\\s+usb\\s+100 % charging\\s+${note8.serial}`));
  });

  it('lists deliveries and redelivers one', async () => {
    const pixelCallback = () => hooks.requests().find((r) => (JSON.parse(r.body) as { deviceUdid?: string }).deviceUdid === pixel.serial);
    if (!withRunner) {
      // A callback is delivered by a runner, which then stops: the history is what the command reads.
      const once = runHeadless(dataDir, fakes, ['--no-local-api']);
      await once.waitFor(STARTED);
      fakes.adb.setDevices([note8, pixel]);
      await expect.poll(pixelCallback, { timeout: 15_000 }).toBeDefined();
      await once.stop();
    } else {
      fakes.adb.setDevices([note8, pixel]);
      await expect.poll(pixelCallback, { timeout: 15_000 }).toBeDefined();
    }
    const sent = pixelCallback();
    const attempts = json<Record<string, unknown>[]>(await run('deliveries', '--webhook', '1', '--json'));
    const real = attempts.find((a) => a['test'] === false && a['udid'] === pixel.serial);
    expect(real).toMatchObject({ webhookId: 1, result: 'success', status: 200, outcome: 'succeeded', event: 'device.status.online', attempt: 1 });
    const human = await run('deliveries');
    expect(human.stdout).toMatch(/^DELIVERY\s+TIME\s+WEBHOOK\s+DEVICE\s+EVENT\s+TRY\s+RESULT\s+OUTCOME\s+DETAIL\n/);
    expect(human.stdout).toContain(String(real?.['deliveryId']));
    const failed = json(await run('deliveries', '--failed', '--webhook', '2', '--json'));
    expect(failed.every((a) => a['result'] === 'failure')).toBe(true);
    expect(failed.length).toBeGreaterThan(0);
    expect((await run('deliveries', '--limit', 'lots')).code).toBe(2);

    hooks.clear();
    const again = await run('redeliver', String(real?.['deliveryId']));
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`^Redelivered ${String(real?.['deliveryId'])} as dlv_\\S+: HTTP 200 in \\d+ ms\\n$`));
    // The same message again, to the same receiver: the same webhook-id and event; only creationTime (the
    // time this try is sent) differs.
    const resent = hooks.requests();
    expect(resent.map((r) => r.headers['webhook-id'])).toEqual([sent?.headers['webhook-id']]);
    const withoutTime = (body: string | undefined) => {
      const { creationTime: _t, ...rest } = JSON.parse(body ?? '{}') as Record<string, unknown>;
      return rest;
    };
    expect(withoutTime(resent[0]?.body)).toEqual(withoutTime(sent?.body));
    expect((await run('redeliver', 'dlv_nope')).code).toBe(2);
  });

  it.runIf(withRunner)('a runner that does not answer: changes exit 3 naming it, reading still works', async () => {
    const pid = runner?.proc.pid ?? 0;
    process.kill(pid, 'SIGSTOP');
    try {
      const [change, read] = await Promise.all([run('webhooks', 'pause', '1'), run('webhooks', 'list', '--json')]);
      expect(change.code).toBe(3);
      expect(change.stderr).toContain(`The DeviceHooks headless runner (pid ${pid}`);
      expect(change.stderr).toContain('does not answer commands');
      expect(read.code, read.stderr).toBe(0);
      expect((JSON.parse(read.stdout) as { name: string; paused: boolean }[])[0]).toMatchObject({ name: 'Lab receiver', paused: false });
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  });

  it('never loses an edit when commands run at once', async () => {
    const results = await Promise.all([
      run('webhooks', 'add', '--name', 'Parallel A', '--url', 'https://example.com/a', '--events', 'online'),
      run('webhooks', 'add', '--name', 'Parallel B', '--url', 'https://example.com/b', '--events', 'online'),
      run('webhooks', 'edit', '1', '--description', 'set at once'),
      run('webhooks', 'edit', '1', '--events', 'online,offline'),
    ]);
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const after = await list();
    expect(after.map((w) => w['name'])).toEqual(expect.arrayContaining(['Parallel A', 'Parallel B']));
    expect(after[0]).toMatchObject({ description: 'set at once', events: { online: true, offline: true } });
  });
});

describe('devicehooks-headless commands on a folder held by a DeviceHooks that does not answer', () => {
  it('refuses changes with exit 3 naming it, and still reads', async () => {
    const dataDir = await tempDataDir();
    const fakes = await startFakes();
    expect((await runCli(dataDir, fakes, ['webhooks', 'add', '--name', 'Kept', '--url', 'https://example.com/k', '--events', 'online'])).code).toBe(0);
    // A live process that holds the lock and listens on nothing.
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      writeFileSync(join(dataDir, LOCK_FILE), JSON.stringify({ kind: 'headless', pid: holder.pid, hostname: hostname(), startedAt: new Date().toISOString(), id: 'x' }));
      const change = await runCli(dataDir, fakes, ['webhooks', 'pause', '1']);
      expect(change.code).toBe(3);
      expect(change.stderr).toContain(`The DeviceHooks headless runner (pid ${holder.pid}`);
      expect(change.stderr).toContain('Nothing was changed');
      const read = await runCli(dataDir, fakes, ['webhooks', 'list', '--json']);
      expect(read.code).toBe(0);
      expect(JSON.parse(read.stdout)).toEqual([expect.objectContaining({ name: 'Kept', paused: false })]);

      writeFileSync(join(dataDir, LOCK_FILE), JSON.stringify({ kind: 'desktop', pid: holder.pid, hostname: hostname(), startedAt: new Date().toISOString(), id: 'x' }));
      const desktop = await runCli(dataDir, fakes, ['webhooks', 'remove', '1', '--yes']);
      expect(desktop.code).toBe(3);
      expect(desktop.stderr).toContain(`The DeviceHooks desktop app (pid ${holder.pid}`);
    } finally {
      holder.kill();
    }
  });

  it('says what each command does with --help, and exits 2 on an unknown command', async () => {
    const dataDir = await tempDataDir();
    const fakes = await startFakes();
    const top = await runCli(dataDir, fakes, ['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain('webhooks add');
    const commands = [['webhooks', '--help'], ['webhooks', 'add', '--help'], ['webhooks', 'edit', '-h'], ['devices', '--help'], ['deliveries', '--help'], ['redeliver', '--help'], ['run', '--help']];
    const helps = await Promise.all(commands.map((args) => runCli(dataDir, fakes, args)));
    helps.forEach((help, i) => {
      expect(help.code, commands[i]?.join(' ')).toBe(0);
      expect(help.stdout).toMatch(/^Usage: (devicehooks-headless|node out\/main\/headless\.js) /);
    });
    const unknown = await runCli(dataDir, fakes, ['webhook', 'list']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown command "webhook"');
  });
});
