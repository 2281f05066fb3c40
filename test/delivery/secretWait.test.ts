// A webhook whose secret cannot be opened now: its callbacks stay queued, new events keep queueing,
// nothing is sent unsigned, the others go on; when it can sign again they go out in order.
import { describe, expect, it, vi } from 'vitest';
import { generateSecret } from '../../main/delivery/signing';
import { ManualClock, event, receiver, rig, webhook } from '../support/delivery';

const until = (check: () => void, timeout = 10_000): Promise<void> => vi.waitFor(check, { timeout, interval: 5 });

describe('waiting — secret unavailable', () => {
  it('queues, sends nothing for it, lets the others through, then sends its backlog in order once it can sign', async () => {
    const clock = new ManualClock();
    const secret = generateSecret();
    const r = await receiver({ secrets: [secret], now: () => clock.now() });
    const locked = webhook({ id: 1, url: `${r.url}/locked`, headers: {}, unavailable: 'the OS keyring is locked' });
    const other = webhook({ id: 2, url: `${r.url}/other` });
    const hooks = [locked, other];
    const t = await rig({ webhooks: hooks, dispatcher: { clock } });
    for (let seq = 1; seq <= 3; seq++) {
      const { deliveries, refused } = await t.dispatcher.dispatch(event({ udid: 'A', seq }));
      expect(refused).toEqual([]);
      expect(deliveries.map((d) => d.webhookId)).toEqual([1, 2]);
    }
    await t.attemptsReach(3);
    clock.advance(24 * 3_600_000);
    await t.dispatcher.flush();
    expect(r.requests().map((q) => q.path)).toEqual(['/other', '/other', '/other']);
    expect(t.outbox.list({ webhookId: 1 }).map((d) => d.seq)).toEqual([1, 2, 3]);
    await expect(t.dispatcher.sendTest(1, event())).rejects.toThrow(/waiting — secret unavailable/);

    // The keyring opens: the same webhook, now with its secret.
    hooks[0] = webhook({ id: 1, url: `${r.url}/locked`, secret });
    await t.dispatcher.refresh();
    await t.attemptsReach(6);
    const sent = r.requests().filter((q) => q.path === '/locked');
    expect(sent.map((q) => (JSON.parse(q.body) as { deviceUdid: string }).deviceUdid)).toEqual(['A', 'A', 'A']);
    expect(t.attempts.filter((a) => a.webhookId === 1).map((a) => a.seq)).toEqual([1, 2, 3]);
    expect(sent.every((q) => q.signature.status === 'valid')).toBe(true);
    await until(() => expect(t.outbox.size).toBe(0));
  });
});
