import { appendFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HIDDEN_HEADER_VALUE } from '../../main/delivery/dispatcher';
import { openHistory } from '../../main/delivery/history';
import type { NewAttemptRecord } from '../../main/delivery/history';
import { event, receiver, rig, tempDir, webhook } from '../support/delivery';

const attempt = (i: number, over: Partial<NewAttemptRecord> = {}): NewAttemptRecord => ({
  deliveryId: `dlv_${i}`,
  messageId: `msg_${i}`,
  webhookId: 1 + (i % 2),
  udid: 'dev',
  seq: i,
  attempt: 1,
  at: 1_000 + i,
  latencyMs: 3,
  result: i % 3 === 0 ? 'failure' : 'success',
  outcome: i % 3 === 0 ? 'retrying' : 'succeeded',
  request: { method: 'POST', url: 'http://127.0.0.1/x', headers: {}, body: `{"i":${i}}` },
  ...over,
});

describe('delivery history', () => {
  it('is bounded on disk by dropping the oldest whole segments', async () => {
    const dir = await tempDir();
    const history = await openHistory({ dir, maxEntries: 50, segmentEntries: 10, indexPerWebhook: 5, batchWindowMs: 1 });
    for (let i = 0; i < 237; i++) history.append(attempt(i));
    await history.flush();
    const segments = (await readdir(dir)).filter((f) => f.startsWith('history-')).sort();
    expect(history.size).toBeLessThanOrEqual(50);
    expect(history.size).toBeGreaterThanOrEqual(40);
    expect(segments.length).toBeLessThanOrEqual(5);
    expect(segments.at(-1)).toBe('history-000024.jsonl');
    // Everything older than the kept segments is gone from queries too, newest first, no gaps.
    const all = [...(await history.query({ webhookId: 1, limit: 1000 })), ...(await history.query({ webhookId: 2, limit: 1000 }))].sort((a, b) => b.id - a.id);
    expect(all).toHaveLength(history.size);
    expect(all[0]?.id).toBe(237);
    expect(all.map((r) => r.id)).toEqual(Array.from({ length: all.length }, (_, k) => 237 - k));
    await history.close();

    const reopened = await openHistory({ dir, maxEntries: 50, segmentEntries: 10 });
    expect(reopened.size).toBe(all.length);
    const next = reopened.append(attempt(999)).record;
    expect(next.id).toBe(238);
    await reopened.close();
  });

  it('filters by webhook and result, pages with before, reads from disk beyond the in-memory index', async () => {
    const dir = await tempDir();
    const history = await openHistory({ dir, indexPerWebhook: 3, batchWindowMs: 1 });
    for (let i = 0; i < 60; i++) history.append(attempt(i));
    const failures = await history.query({ webhookId: 1, result: 'failure', limit: 100 });
    // webhook 1 = even i; failure = i % 3 === 0 → 0, 6, 12, …, 54
    expect(failures.map((r) => r.seq)).toEqual([54, 48, 42, 36, 30, 24, 18, 12, 6, 0]);
    expect(failures.every((r) => r.result === 'failure' && r.webhookId === 1)).toBe(true);
    const page1 = await history.query({ webhookId: 2, limit: 4 });
    const page2 = await history.query({ webhookId: 2, limit: 4, before: page1.at(-1)!.id });
    expect(page1.map((r) => r.seq)).toEqual([59, 57, 55, 53]);
    expect(page2.map((r) => r.seq)).toEqual([51, 49, 47, 45]);
    expect((await history.findByDelivery('dlv_4'))?.request.body).toBe('{"i":4}');
    await history.close();
  });

  it('tells listeners about every attempt as it happens', async () => {
    const history = await openHistory({ dir: await tempDir() });
    const heard: number[] = [];
    const off = history.onAttempt((r) => heard.push(r.seq));
    history.append(attempt(1));
    history.append(attempt(2));
    off();
    history.append(attempt(3));
    expect(heard).toEqual([1, 2]);
    await history.close();
  });

  it('skips a line cut off by a crash and starts a fresh segment after it', async () => {
    const dir = await tempDir();
    const first = await openHistory({ dir });
    first.append(attempt(1));
    first.append(attempt(2));
    await first.close();
    await appendFile(join(dir, 'history-000001.jsonl'), '{"id":3,"deliveryId":"dl');
    const second = await openHistory({ dir });
    second.append(attempt(4));
    await second.flush();
    expect((await second.query({ webhookId: 2, limit: 10 })).map((r) => r.seq)).toEqual([1]);
    expect((await second.query({ webhookId: 1, limit: 10 })).map((r) => r.seq)).toEqual([4, 2]);
    expect((await readdir(dir)).filter((f) => f.startsWith('history-')).sort()).toEqual(['history-000001.jsonl', 'history-000002.jsonl']);
    await second.close();
  });

  it('keeps the first 16 KiB of a response body and says it was cut; keeps request and response as sent', async () => {
    const big = 'é'.repeat(12 * 1024); // 24 KiB of UTF-8
    const r = await receiver({ reply: { status: 200, body: big, headers: { 'x-answer': 'yes' } } });
    const { dispatcher, attemptsReach } = await rig({ webhooks: [webhook({ url: `${r.url}/hook`, headers: { 'X-Team': 'lab' } })] });
    await dispatcher.dispatch(event());
    const [rec] = await attemptsReach(1);
    expect(rec?.response?.truncated).toBe(true);
    expect(Buffer.byteLength(rec!.response!.body)).toBeLessThanOrEqual(16 * 1024);
    expect(rec!.response!.body.startsWith('é'.repeat(8000))).toBe(true);
    expect(rec?.response?.headers['x-answer']).toBe('yes');
    expect(rec?.request).toMatchObject({ method: 'POST', url: `${r.url}/hook`, body: r.requests()[0]?.body });
    // Custom header values (credentials) are not copied into the history; the receiver got the real one.
    expect(rec?.request.headers).toMatchObject({ 'X-Team': HIDDEN_HEADER_VALUE, 'Content-Type': 'application/json', 'User-Agent': 'DeviceHooks/9.9.9-test' });
    expect(r.requests()[0]?.headers['x-team']).toBe('lab');

    r.setReply({ status: 200, body: 'short' });
    await dispatcher.dispatch(event());
    const recs = await attemptsReach(2);
    expect(recs[1]?.response).toMatchObject({ status: 200, body: 'short', truncated: false });
  });
});
