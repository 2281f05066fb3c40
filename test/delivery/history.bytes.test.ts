// The delivery history is bounded in bytes as well as in entries, stores response bodies near their
// wire size, and reads its segments as streams.
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openHistory } from '../../main/delivery/history';
import type { NewAttemptRecord } from '../../main/delivery/history';
import { attemptRecord, tempDir } from '../support/delivery';

const attempt = (i: number, over: Partial<NewAttemptRecord> = {}): NewAttemptRecord =>
  attemptRecord(i, { request: { method: 'POST', url: 'http://127.0.0.1/x', headers: {}, body: JSON.stringify({ i, pad: 'p'.repeat(250) }) }, ...over });

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) total += (await stat(join(dir, name))).size;
  return total;
}

describe('delivery history bounded by bytes', () => {
  it('drops the oldest whole segments to stay under maxBytes even when the entry bound is far away', async () => {
    const dir = await tempDir();
    const maxBytes = 64 * 1024;
    const history = await openHistory({ dir, maxEntries: 500_000, maxBytes, batchWindowMs: 1 });
    let lineBytes = 0;
    for (let i = 0; i < 2_000; i++) {
      const { record } = history.append(attempt(i));
      lineBytes = Math.max(lineBytes, Buffer.byteLength(JSON.stringify(record)) + 1);
    }
    await history.flush();
    const bytes = await folderBytes(dir);
    expect(bytes).toBeLessThanOrEqual(maxBytes);
    expect(bytes).toBeGreaterThan(maxBytes / 2);
    // The newest entries are the ones kept, without gaps.
    const kept = await history.query({ webhookId: 1, limit: 1000 });
    expect(kept[0]?.seq).toBe(1_999);
    expect(kept.map((r) => r.seq)).toEqual(Array.from({ length: kept.length }, (_, k) => 1_999 - k));
    await history.close();
    // A lower bound at the next start shrinks it.
    const smaller = await openHistory({ dir, maxEntries: 500_000, maxBytes: maxBytes / 4 });
    expect(await folderBytes(dir)).toBeLessThanOrEqual(maxBytes / 4);
    await smaller.close();
  });
});

describe('response bodies on disk', () => {
  it('16 KiB of control bytes take about their wire size on disk, not six times it, and read back the same', async () => {
    const dir = await tempDir();
    const hostile = Array.from({ length: 16 * 1024 }, (_, i) => String.fromCharCode(i % 32)).join('');
    const history = await openHistory({ dir, batchWindowMs: 1 });
    history.append(attempt(1, { response: { status: 500, headers: {}, body: hostile, truncated: false } }));
    history.append(attempt(2, { response: { status: 200, headers: {}, body: '{"ok":true}', truncated: false } }));
    await history.close();
    const [segment] = (await readdir(dir)).filter((f) => f.startsWith('history-'));
    const lines = (await readFile(join(dir, segment as string), 'utf8')).split('\n').filter(Boolean);
    expect(Buffer.byteLength(lines[0] as string)).toBeLessThan(16 * 1024 * 1.4 + 1024);
    // A plain JSON body stays readable in the file.
    expect(lines[1]).toContain('"body":"{\\"ok\\":true}"');
    const reopened = await openHistory({ dir, indexPerWebhook: 1 });
    const [r2, r1] = await reopened.query({ webhookId: 1, limit: 10 });
    expect(r1?.response?.body).toBe(hostile);
    expect(r2?.response?.body).toBe('{"ok":true}');
    expect(r1?.response).not.toHaveProperty('bodyEncoding');
    await reopened.close();
  });
});
