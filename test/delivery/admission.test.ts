// A committed status change is admitted as one unit: its callbacks (one per webhook) and the device's
// new status go into the outbox in one write, the status after its callbacks, with one promise for the
// whole change. Nothing of it is sent or acknowledged before that write is on disk; if it cannot be
// written, none of it is sent, and once the disk takes it again, all of it goes.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { nodeStorageFs, readJsonLines } from '../../main/delivery/files';
import type { AppendHandle, StorageFs } from '../../main/delivery/files';
import { openOutbox } from '../../main/delivery/outbox';
import { event, receiver, rig, tempDir, webhook } from '../support/delivery';

const until = (check: () => void | Promise<void>, timeout = 10_000): Promise<void> => vi.waitFor(check, { timeout, interval: 5 });

/** node:fs/promises whose journal writes fail with ENOSPC while `full` is set. */
function fillableFs(): { fs: StorageFs; full: boolean } {
  const state = { full: false } as { fs: StorageFs; full: boolean };
  const wrap = (h: AppendHandle, path: string): AppendHandle => ({
    ...h,
    write: (buffer, offset, length) => {
      if (state.full && path.includes('outbox-journal-')) return Promise.reject(Object.assign(new Error('ENOSPC: simulated'), { code: 'ENOSPC' }));
      return h.write(buffer, offset, length);
    },
    datasync: () => h.datasync(),
    sync: () => h.sync(),
    truncate: (len) => h.truncate(len),
    close: () => h.close(),
  });
  state.fs = { ...nodeStorageFs, open: async (path, flags, mode) => wrap(await nodeStorageFs.open(path, flags, mode), path) };
  return state;
}

describe('admitting a committed status change', () => {
  it('the callbacks of one change share one event object and one write with the device status, which comes after them', async () => {
    const dir = await tempDir();
    const outbox = await openOutbox({ dir });
    const queued = { udid: 'A', name: 'Phone A', platform: 'android' as const, to: 'Offline' as const, at: 5, seq: 3 };
    const change = outbox.enqueueChange(
      [1, 2, 3].map((webhookId) => ({ webhookId, udid: 'A', seq: 3, createdAt: 7 })),
      queued,
      { udid: 'A', name: 'Phone A', platform: 'android', to: 'Offline', seq: 3, at: 5 },
    );
    expect(change.added.map((d) => d.webhookId)).toEqual([1, 2, 3]);
    expect(change.added[1]?.event).toBe(change.added[0]?.event);
    expect(change.added.every((d) => !outbox.isDurable(d.id))).toBe(true);
    await change.written;
    expect(change.added.every((d) => outbox.isDurable(d.id))).toBe(true);
    expect(outbox.stats().writes).toBe(1);
    const name = (await readdir(dir)).find((n) => n.startsWith('outbox-journal-')) as string;
    const lines = (await readJsonLines<{ t: string; d: { webhookId?: number; udid: string } }>(join(dir, name))).records;
    expect(lines.map((l) => [l.t, l.d.webhookId ?? l.d.udid])).toEqual([
      ['enq', 1],
      ['enq', 2],
      ['enq', 3],
      ['dev', 'A'],
    ]);
    await outbox.close();
  });

  it('a queue that is full refuses only its own webhook’s callback; the others and the status are written', async () => {
    const dir = await tempDir();
    const outbox = await openOutbox({ dir, maxPending: 1 });
    await outbox.enqueue({ webhookId: 2, udid: 'B', seq: 1, createdAt: 1, body: '{}' });
    const change = outbox.enqueueChange(
      [1, 2].map((webhookId) => ({ webhookId, udid: 'A', seq: 3, createdAt: 7 })),
      { udid: 'A', name: 'Phone A', to: 'Offline', at: 5, seq: 3 },
      { udid: 'A', name: 'Phone A', to: 'Offline', seq: 3, at: 5 },
    );
    expect(change.added.map((d) => d.webhookId)).toEqual([1]);
    expect(change.refused.map((r) => [r.webhookId, (r.error as { code?: string }).code])).toEqual([[2, 'OUTBOX_FULL']]);
    await change.written;
    await outbox.close();
    const reopened = await openOutbox({ dir });
    expect(reopened.list().map((d) => [d.webhookId, d.udid])).toEqual([
      [2, 'B'],
      [1, 'A'],
    ]);
    expect(reopened.committedDevices().get('A')?.seq).toBe(3);
    await reopened.close();
  });

  it('disk full: nothing of the change is sent or acknowledged; once there is room, every callback goes once', async () => {
    const disk = fillableFs();
    const r = await receiver();
    const t = await rig({ webhooks: [webhook({ id: 1, url: r.url }), webhook({ id: 2, url: r.url })], outbox: { fs: disk.fs, retryMs: 600_000 } });
    disk.full = true;
    let answered = false;
    const dispatched = t.dispatcher.dispatch(event({ udid: 'A', seq: 9 })).then((result) => {
      answered = true;
      return result;
    });
    await until(() => expect(t.outbox.saveProblem).toBeDefined());
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(r.requests()).toEqual([]);
    expect(answered).toBe(false);
    expect(t.outbox.saveProblem).toMatchObject({ unsaved: 1, unsavedCallbacks: 2 });

    disk.full = false;
    t.outbox.retrySave();
    const result = await dispatched;
    expect(result.deliveries.map((d) => d.webhookId)).toEqual([1, 2]);
    expect(result.refused).toEqual([]);
    await t.attemptsReach(2);
    await t.dispatcher.flush();
    expect(r.requests().map((q) => q.headers['webhook-id']).sort()).toEqual(result.deliveries.map((d) => d.messageId).sort());
    expect(t.outbox.committedDevices().get('A')?.seq).toBe(9);
  });
});
