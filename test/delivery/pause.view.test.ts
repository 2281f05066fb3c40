// The dispatcher's view of pause is the webhook list: a list asked for before the store confirmed an
// auto-pause (it still says "not paused") answers late; it must not read as a resume.
import { describe, expect, it, vi } from 'vitest';
import type { DeliveryWebhook } from '../../main/delivery/types';
import { ManualClock, event, fixedRandom, receiver, rig, webhook } from '../support/delivery';
import type { Rig } from '../support/delivery';

const until = (check: () => void, timeout = 10_000): Promise<void> => vi.waitFor(check, { timeout, interval: 5 });

describe('dispatcher: pause as the webhook list shows it', () => {
  it('a list read before the store had the auto-pause, answered after it, is not a resume', async () => {
    const clock = new ManualClock();
    const r = await receiver({ reply: { status: 500 } });
    const hooks: DeliveryWebhook[] = [webhook({ url: r.url })];
    const held: (() => void)[] = [];
    let holding = false;
    // An async store: while holding, a read answers only when released, with the list as it was when asked.
    const listWebhooks = (): Promise<readonly DeliveryWebhook[]> => {
      const copy = hooks.map((w) => ({ ...w }));
      if (!holding) return Promise.resolve(copy);
      return new Promise((done) => held.push(() => done(copy)));
    };
    const ref: { t?: Rig } = {};
    let stale: Promise<void> | undefined;
    const pauseWebhook = (id: number) => {
      holding = true;
      stale = ref.t?.dispatcher.refresh(); // asked before the store's write…
      hooks[0]!.paused = true; // …which then lands
      ref.t?.paused.push(id);
    };
    const t = (ref.t = await rig({ webhooks: hooks, dispatcher: { clock, random: fixedRandom(0.5), schedule: [0, 1_000], pauseAfterFailures: 1, listWebhooks, pauseWebhook } }));
    await t.dispatcher.dispatch(event({ udid: 'A', seq: 1 }));
    await t.dispatcher.dispatch(event({ udid: 'A', seq: 2 }));
    await t.attemptsReach(1);
    // The read asked before the write, and the one the dispatcher asks once the pause is confirmed.
    await until(() => expect(held).toHaveLength(2));
    holding = false;
    held.shift()?.();
    await stale;
    held.shift()?.();
    await t.dispatcher.flush();
    expect(t.log.lines.filter((l) => /^Webhook 1 resumed$/.test(l.message))).toEqual([]);
    clock.advance(60_000);
    await t.dispatcher.flush();
    expect(r.requests()).toHaveLength(1);
    expect(t.outbox.size).toBe(2);
  });
});
