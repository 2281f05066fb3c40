// The built headless runner killed with SIGKILL at random points during an event storm, again and again,
// then restarted: after the last restart every status change it had committed before a kill reaches
// the receiver for every webhook, and a change reaching it twice does so with the same webhook-id.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openOutbox } from '../../main/delivery/outbox';
import { openSettingsStore } from '../../main/services/settings';
import { openWebhookStore } from '../../main/webhooks/store';
import type { FakeAdbDevice } from '../fakes/adbServer';
import { STARTED, prepareDataDir, receiver, runHeadless, startFakes, stopAll, tempDataDir } from './runner';

afterEach(stopAll);

const KILLS = 50;
const SERIALS = ['CRASH0001', 'CRASH0002', 'CRASH0003', 'CRASH0004', 'CRASH0005', 'CRASH0006'];
type State = 'device' | 'offline' | 'gone';

const HOOKS = ['/crash', '/crash2'];

interface Received {
  /** The receiver path: which webhook it was sent for. */
  hook: string;
  id: string;
  udid: string;
  activity: string;
}

interface LoopResult {
  received: Received[];
  /** webhook-ids of every callback found in the outbox right after a kill (committed, not yet delivered). */
  committed: Set<string>;
  kills: number;
  /** Webhook and device pairs whose last callback was not the Online they all ended in. */
  finalNotOnline: string[];
}

let result: LoopResult | undefined;

/** Reads the outbox of a copy of the data folder (opening it recovers and compacts: never on the live one). */
async function committedIn(dataDir: string): Promise<{ ids: string[]; badLines: number }> {
  const copy = await mkdtemp(join(tmpdir(), 'dh-crash-copy-'));
  try {
    await cp(join(dataDir, 'delivery', 'outbox'), copy, { recursive: true }).catch(() => undefined);
    const outbox = await openOutbox({ dir: copy, durability: 'none' });
    const ids = outbox.list().map((d) => d.messageId);
    const badLines = outbox.openReport.badLines;
    await outbox.close();
    return { ids, badLines };
  } finally {
    await rm(copy, { recursive: true, force: true });
  }
}

const random = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1));

describe('headless runner killed again and again during an event storm', () => {
  it(`after ${KILLS} SIGKILLs at random points, every status change committed before a kill reaches the receiver for every webhook; a repeat carries the same webhook-id`, { timeout: 240_000 }, async () => {
    const dataDir = await tempDataDir();
    const fakes = await startFakes();
    const received: Received[] = [];
    const hooks = await receiver({ reply: { status: 200, delayMs: 5 } });
    hooks.onRequest((r) => {
      const body = JSON.parse(r.body) as { deviceUdid: string; eventActivity: string };
      received.push({ hook: r.path, id: r.headers['webhook-id'] ?? '', udid: body.deviceUdid, activity: body.eventActivity });
    });
    await prepareDataDir(dataDir, []);
    const { store } = await openWebhookStore({ dataDir, logger: () => undefined });
    for (const [i, path] of HOOKS.entries()) {
      const created = await store.create({ name: `Crash ${i + 1}`, url: `${hooks.url}${path}`, events: { online: true, offline: true, utilizing: false, unplugged: true }, signing: true });
      expect(created.ok).toBe(true);
    }
    await store.close();
    // No debounce: every flip of the fake is a status change.
    const settings = await openSettingsStore({ dataDir, logger: () => undefined });
    expect((await settings.update({ ...settings.general(), debounce: { onlineMs: 0, offlineMs: 0, unpluggedMs: 0, settleMs: 0 } })).ok).toBe(true);
    await settings.store.close();

    const states = new Map<string, State>(SERIALS.map((s) => [s, 'device']));
    const publish = () => {
      const list: FakeAdbDevice[] = [];
      for (const [serial, state] of states) if (state !== 'gone') list.push({ serial, state, usb: `1-${serial.slice(-1)}`, model: 'Crash Phone' });
      fakes.adb.setDevices(list);
    };
    publish();
    const storm = setInterval(() => {
      const serial = SERIALS[random(0, SERIALS.length - 1)] as string;
      const next: State[] = ['device', 'offline', 'gone'];
      states.set(serial, next[random(0, 2)] as State);
      publish();
    }, 15);

    const committed = new Set<string>();
    let kills = 0;
    let startedRuns = 0;
    try {
      while (kills < KILLS) {
        const runner = runHeadless(dataDir, fakes, ['--no-local-api']);
        const exitedEarly = runner.exited.then(() => {
          throw new Error(`the runner exited on its own (run ${kills + 1}):\n${runner.output()}`);
        });
        exitedEarly.catch(() => undefined);
        if (kills % 4 === 0) {
          // Every fourth kill lands anywhere in start-up: lock, recovery, compaction, first sends.
          await Promise.race([exitedEarly, new Promise((resolve) => setTimeout(resolve, random(50, 1_000)))]);
        } else {
          // The others in the middle of the storm, once it runs.
          await Promise.race([exitedEarly, runner.waitFor(STARTED, { timeoutMs: 30_000 })]);
          startedRuns++;
          await Promise.race([exitedEarly, new Promise((resolve) => setTimeout(resolve, random(0, 800)))]);
        }
        runner.proc.kill('SIGKILL');
        const { signal } = await runner.exited;
        expect(signal).toBe('SIGKILL');
        kills++;
        const after = await committedIn(dataDir);
        expect(after.badLines, `outbox after kill ${kills}`).toBe(0);
        for (const id of after.ids) committed.add(id);
      }
    } finally {
      clearInterval(storm);
    }
    expect(startedRuns).toBe(KILLS - Math.ceil(KILLS / 4));

    // The last start: every device settles Online; the runner sends what is left.
    for (const serial of SERIALS) states.set(serial, 'device');
    publish();
    const last = runHeadless(dataDir, fakes, ['--no-local-api']);
    await last.waitFor(STARTED, { timeoutMs: 30_000 });
    const ids = () => new Set(received.map((r) => r.id));
    const lastOf = (hook: string, udid: string) => received.filter((r) => r.hook === hook && r.udid === udid).at(-1)?.activity;
    const missing = () => [...committed].filter((id) => !ids().has(id));
    const notOnline = () => HOOKS.flatMap((h) => SERIALS.filter((s) => lastOf(h, s) !== 'device.status.online').map((s) => `${h} ${s}`));
    for (let waited = 0; waited < 60_000 && missing().length > 0; waited += 250) await new Promise((r) => setTimeout(r, 250));
    expect(missing(), last.output().slice(-4000)).toEqual([]);
    // The devices' final Online (checked in the test below): a few seconds more at most.
    for (let waited = 0; waited < 5_000 && notOnline().length > 0; waited += 250) await new Promise((r) => setTimeout(r, 250));
    const finalNotOnline = notOnline().map((hs) => {
      const [h = '', s = ''] = hs.split(' ');
      return `${hs}: ${lastOf(h, s) ?? 'nothing'}`;
    });
    expect(await last.stop('SIGTERM')).toEqual({ code: 0, signal: null });

    expect(committed.size).toBeGreaterThan(0);
    // Every callback carries a webhook-id; the same id always announces the same change.
    const byId = new Map<string, Received>();
    for (const r of received) {
      expect(r.id).toMatch(/^msg_/);
      const first = byId.get(r.id);
      if (first) expect({ hook: r.hook, udid: r.udid, activity: r.activity }).toEqual({ hook: first.hook, udid: first.udid, activity: first.activity });
      else byId.set(r.id, r);
    }
    result = { received, committed, kills, finalNotOnline };
  });

  // The device's committed status and sequence number are durable together with its callbacks, and a
  // callback's webhook-id is derived from (data-folder secret, webhook, device, seq): a change committed
  // again after a kill carries the same id, and no change is forgotten by the device state.
  it('no status change is announced twice under two webhook-ids, every webhook gets every change, and each device ends on its real status', () => {
    expect(result).toBeDefined();
    const { received, finalNotOnline } = result as LoopResult;
    expect(finalNotOnline).toEqual([]);
    // Per webhook and device, the distinct messages in the order they first arrived alternate between
    // statuses: the same status twice in a row is one change announced under two ids.
    const seen = new Set<string>();
    const changes = new Map<string, string[]>();
    for (const hook of HOOKS) {
      for (const udid of SERIALS) {
        const firsts = received.filter((r) => r.hook === hook && r.udid === udid && !seen.has(r.id) && (seen.add(r.id), true));
        for (let i = 1; i < firsts.length; i++) {
          expect(firsts[i]?.activity, `${hook} ${udid}: message ${firsts[i]?.id} after ${firsts[i - 1]?.id}`).not.toBe(firsts[i - 1]?.activity);
        }
        changes.set(`${hook} ${udid}`, firsts.map((r) => r.activity));
      }
    }
    // Both webhooks subscribe to the same events: each committed change reached both, so per device
    // they saw the same changes in the same order.
    for (const udid of SERIALS) {
      expect(changes.get(`${HOOKS[1]} ${udid}`), udid).toEqual(changes.get(`${HOOKS[0]} ${udid}`));
      expect(changes.get(`${HOOKS[0]} ${udid}`)?.length, udid).toBeGreaterThan(0);
    }
  });
});
