// The queue bound is per webhook: one webhook whose receiver is down cannot crowd out the others. At
// the bound, new callbacks for that webhook are refused (never older ones dropped), counted and said.
import { describe, expect, it } from 'vitest';
import { openOutbox, OutboxFullError } from '../../main/delivery/outbox';
import type { EnqueueInput } from '../../main/delivery/outbox';
import { ManualClock, event, memoryLog, receiver, rig, tempDir, webhook } from '../support/delivery';

const input = (webhookId: number, seq: number): EnqueueInput => ({
  webhookId,
  udid: 'dev',
  seq,
  event: { udid: 'dev', name: 'Dev', to: 'Online', at: 1, seq },
  createdAt: 1_000 + seq,
});

describe('queue bound per webhook', () => {
  it('refuses new callbacks for a webhook at its bound, counts them, and keeps taking the others’', async () => {
    const dir = await tempDir();
    const log = memoryLog();
    const overflows: [number, number][] = [];
    const outbox = await openOutbox({ dir, maxPending: 2, logger: log.logger, onOverflow: (info) => overflows.push([info.webhookId, info.refusedSinceFull]) });
    const kept = [await outbox.enqueue(input(1, 1)), await outbox.enqueue(input(1, 2))];
    await expect(outbox.enqueue(input(1, 3))).rejects.toBeInstanceOf(OutboxFullError);
    await expect(outbox.enqueue(input(1, 4))).rejects.toMatchObject({ code: 'OUTBOX_FULL', webhookId: 1, limit: 2 });
    // Another webhook is not held up by webhook 1's backlog.
    await expect(outbox.enqueue(input(2, 1))).resolves.toMatchObject({ webhookId: 2 });
    await expect(outbox.enqueue(input(2, 2))).resolves.toMatchObject({ webhookId: 2 });
    expect(outbox.pendingFor(1)).toBe(2);
    expect(outbox.refusedFor(1)).toBe(2);
    expect(outbox.refusedFor(2)).toBe(0);
    expect(overflows).toEqual([
      [1, 1],
      [1, 2],
    ]);
    expect(log.lines.filter((l) => l.level === 'error' && /webhook 1.*FULL|FULL.*webhook 1/.test(l.message))).toHaveLength(1);
    // The older ones were never dropped; room again: accepted, the count ends.
    expect(outbox.list({ webhookId: 1 }).map((d) => d.id)).toEqual(kept.map((d) => d.id));
    await outbox.update(kept[0]!.id, { state: 'succeeded' });
    await expect(outbox.enqueue(input(1, 5))).resolves.toMatchObject({ seq: 5 });
    expect(outbox.refusedFor(1)).toBe(0);
    await outbox.close();
    // Counts are rebuilt from disk.
    const reopened = await openOutbox({ dir, maxPending: 2 });
    expect([reopened.pendingFor(1), reopened.pendingFor(2)]).toEqual([2, 2]);
    await reopened.close();
  });

  it('the dispatcher reports what a full webhook refused while another webhook still queues', async () => {
    const clock = new ManualClock();
    const r = await receiver({ reply: { status: 500 } });
    const t = await rig({
      webhooks: [webhook({ id: 1, url: r.url }), webhook({ id: 2, url: r.url, scope: { udids: ['X'] } })],
      outbox: { maxPending: 2 },
      dispatcher: { clock },
    });
    await t.dispatcher.dispatch(event({ udid: 'A' }));
    await t.dispatcher.dispatch(event({ udid: 'B' }));
    const third = await t.dispatcher.dispatch(event({ udid: 'X' }));
    expect(third.deliveries.map((d) => d.webhookId)).toEqual([2]);
    expect(third.refused.map((x) => [x.webhookId, (x.error as { code?: string }).code])).toEqual([[1, 'OUTBOX_FULL']]);
  });
});
