// The history answers recent attempts from memory: what it answers is what was written, whether the
// attempt was recorded by this process or read back at open.
import { describe, expect, it } from 'vitest';
import { openHistory } from '../../main/delivery/history';
import type { NewAttemptRecord } from '../../main/delivery/history';
import { attemptRecord, tempDir } from '../support/delivery';

const attempt = (i: number, body = '{"ok":true}'): NewAttemptRecord =>
  attemptRecord(i, {
    request: { method: 'POST', url: 'http://127.0.0.1/x', headers: { 'content-type': 'application/json' }, body: `{"i":${i}}` },
    response: { status: 200, headers: { 'x-a': 'b' }, body, truncated: false },
  });

describe('delivery history in memory', () => {
  it('answers what was written: a listener changing the record it was given changes nothing kept', async () => {
    const dir = await tempDir();
    const history = await openHistory({ dir, batchWindowMs: 1 });
    history.onAttempt((record) => {
      record.outcome = 'dead';
      record.request.headers['content-type'] = 'text/plain';
    });
    history.append(attempt(1));
    const [fromMemory] = await history.query({ webhookId: 1 });
    expect(fromMemory).toMatchObject({ deliveryId: 'dlv_1', outcome: 'succeeded', request: { headers: { 'content-type': 'application/json' } } });
    expect(await history.findByDelivery('dlv_1')).toMatchObject({ outcome: 'succeeded' });
    await history.close();
  });

  it('a response body stored as base64 on disk comes back as its text, from memory and after a reopen', async () => {
    const dir = await tempDir();
    const binaryish = '\u0001\u0002\u0003"\\\u0004'.repeat(50);
    const history = await openHistory({ dir, batchWindowMs: 1 });
    history.append(attempt(1, binaryish));
    history.append(attempt(2));
    expect((await history.query({ webhookId: 1 })).map((r) => [r.deliveryId, r.response?.body])).toEqual([
      ['dlv_2', '{"ok":true}'],
      ['dlv_1', binaryish],
    ]);
    expect((await history.findByDelivery('dlv_1'))?.response?.body).toBe(binaryish);
    await history.close();
    const reopened = await openHistory({ dir });
    expect((await reopened.query({ webhookId: 1 })).map((r) => r.response?.body)).toEqual(['{"ok":true}', binaryish]);
    expect(await reopened.query({ webhookId: 1, before: 2 })).toHaveLength(1);
    await reopened.close();
  });
});
