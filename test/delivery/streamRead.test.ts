// Journals, snapshots and history segments are read as streams, line by line, never as one string (a
// file past ~512 MB cannot be one JavaScript string): here reading a whole file at once fails.
import { describe, expect, it, vi } from 'vitest';
import { openHistory } from '../../main/delivery/history';
import type * as fsPromises from 'node:fs/promises';
import { openOutbox } from '../../main/delivery/outbox';
import { tempDir } from '../support/delivery';

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof fsPromises>();
  const readFile = (...args: Parameters<typeof real.readFile>) => {
    const path = String(args[0]);
    if (path.includes('dh-delivery-')) {
      return Promise.reject(Object.assign(new Error('Cannot create a string longer than 0x1fffffe8 characters'), { code: 'ERR_STRING_TOO_LONG' }));
    }
    return real.readFile(...args);
  };
  return { ...real, readFile, default: { ...real, readFile } };
});

describe('reading the delivery files as streams', () => {
  it('the outbox and the history open and read without reading any file in one piece', async () => {
    const dir = await tempDir();
    const outbox = await openOutbox({ dir: `${dir}/outbox` });
    const made = [];
    for (let i = 0; i < 50; i++) made.push(await outbox.enqueue({ webhookId: 1, udid: 'd', seq: i, body: 'x'.repeat(20_000), createdAt: i }));
    await outbox.close();
    const history = await openHistory({ dir: `${dir}/history`, indexPerWebhook: 1, batchWindowMs: 1 });
    for (let i = 0; i < 30; i++) {
      history.append({ deliveryId: `d${i}`, messageId: `m${i}`, webhookId: 1, udid: 'd', seq: i, attempt: 1, at: i, latencyMs: 1, result: 'success', outcome: 'succeeded', request: { method: 'POST', url: 'http://x', headers: {}, body: 'y'.repeat(20_000) } });
    }
    await history.close();

    const reopened = await openOutbox({ dir: `${dir}/outbox` });
    expect(reopened.list().map((d) => d.id)).toEqual(made.map((d) => d.id));
    await reopened.close();
    const history2 = await openHistory({ dir: `${dir}/history`, indexPerWebhook: 1 });
    expect((await history2.query({ webhookId: 1, limit: 100 })).map((r) => r.seq)).toEqual(Array.from({ length: 30 }, (_, k) => 29 - k));
    await history2.close();
  });
});
