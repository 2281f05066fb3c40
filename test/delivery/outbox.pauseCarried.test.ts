// The outbox no longer owns pause state (webhooks.json does), but data written by record version 2
// (pause/resume journal records, a `paused` snapshot list, `paused` deliveries) must still open: a pause
// found there is carried until the webhook store holds it (handOverPauses), across restarts.
// The fixtures were written by the version 2 outbox code itself (fixtures/outbox-v2-paused/).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJsonLines } from '../../main/delivery/files';
import { OUTBOX_RECORD_VERSION, SNAPSHOT_FILE, journalFile, openOutbox } from '../../main/delivery/outbox';
import { tempDir, v2Folder } from '../support/delivery';


describe('outbox: pause state written by record version 2', () => {
  it.each(['journal', 'snapshot'] as const)('a pause only in the %s is carried; parked deliveries read back pending, in order, nothing lost', async (which) => {
    const dir = await v2Folder(which);
    const outbox = await openOutbox({ dir });
    expect(outbox.carriedPauses()).toEqual([7]);
    expect(outbox.list().map((d) => [d.id, d.webhookId, d.state])).toEqual([
      ['dlv_a1', 7, 'pending'],
      ['dlv_a2', 7, 'pending'],
      ['dlv_b1', 8, 'pending'],
      ['dlv_c1', 9, 'pending'],
    ]);
    // The retry planned before the pause is kept; webhook 9's resume record made its callback due then.
    expect(outbox.get('dlv_a1')).toMatchObject({ attempts: 1, nextAttemptAt: 1_800_000_000_000, lastError: 'HTTP 500' });
    expect(outbox.get('dlv_c1')).toMatchObject({ attempts: 1, nextAttemptAt: 1_700_000_000_040 });
    expect(outbox.failures(7)).toBe(3);
    await outbox.close();
  });

  it('writes the current snapshot version (4 or later): no paused deliveries, the carried pause kept in the header until handed over', async () => {
    const dir = await v2Folder('journal');
    const first = await openOutbox({ dir });
    await first.close();
    const { records } = await readJsonLines<{ kind?: string; version?: number; paused?: number[]; state?: string }>(join(dir, SNAPSHOT_FILE));
    expect(records[0]).toMatchObject({ kind: 'outbox-snapshot', version: OUTBOX_RECORD_VERSION, paused: [7] });
    expect(records.filter((r) => r.state !== undefined).map((r) => r.state)).toEqual(['pending', 'pending', 'pending', 'pending']);

    // Still carried after a restart (the webhook store has not taken it yet).
    const second = await openOutbox({ dir });
    expect(second.carriedPauses()).toEqual([7]);
    await second.handOverPauses([7, 8]);
    expect(second.carriedPauses()).toEqual([]);
    // Durable when it resolves: a journal record, no pause/resume record.
    const journal = await readJsonLines<{ t: string; w?: number }>(join(dir, journalFile(second.stats().gen)));
    expect(journal.records).toEqual([{ t: 'handed', w: 7 }]);
    await second.close();

    const third = await openOutbox({ dir });
    expect(third.carriedPauses()).toEqual([]);
    expect(third.list()).toHaveLength(4);
    await third.close();
    const header = (await readJsonLines<{ version?: number; paused?: number[] }>(join(dir, SNAPSHOT_FILE))).records[0];
    expect(header).toMatchObject({ version: OUTBOX_RECORD_VERSION, paused: [] });
  });

  it('a new outbox never writes pause or resume records', async () => {
    const dir = await tempDir();
    const outbox = await openOutbox({ dir });
    await outbox.enqueue({ webhookId: 1, udid: 'A', seq: 1, body: '{}', createdAt: 1 });
    await outbox.setFailures(1, 25);
    await outbox.close();
    const text = (await readFile(join(dir, journalFile(outbox.stats().gen)))).toString('utf8');
    expect(text).toContain('"t":"fails"');
    expect(text).not.toMatch(/"t":"(pause|resume)"/);
    expect(outbox.carriedPauses()).toEqual([]);
  });
});
