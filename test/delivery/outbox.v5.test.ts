// Record version 5: every journal record is framed (length and CRC-32), the committed status of a device
// (`dev`) and a webhook's failure count (`fails`) too; up to version 4 those two were plain JSON lines, so
// a byte changed on disk that still parsed (a digit of a seq, a letter of a status) was taken as it was.
// Plain lines written by version 4 and before are still read.
import { cp, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readJsonLines } from '../../main/delivery/files';
import { SNAPSHOT_FILE, journalFile, openOutbox } from '../../main/delivery/outbox';
import type { Outbox } from '../../main/delivery/outbox';
import { tempDir } from '../support/delivery';

const RS = '\x1e';
const at = Date.UTC(2026, 10, 30, 3, 0, 0);

function change(outbox: Outbox, udid: string, to: 'Online' | 'Offline', seq: number): Promise<void> {
  const event = { udid, name: `Phone ${udid}`, platform: 'android' as const, to, at: at + seq * 1000, seq };
  const input = { webhookId: 3, udid, seq, messageId: `msg_${udid}_${seq}`, id: `dlv_${udid}_${seq}`, createdAt: at + seq * 1000 };
  return outbox.enqueueChange([input], event, { udid, name: event.name, platform: 'android', to, seq, at: event.at }).written;
}

async function journalText(dir: string): Promise<{ name: string; text: string }> {
  const name = (await readdir(dir)).filter((n) => n.startsWith('outbox-journal-')).sort().at(-1) as string;
  return { name, text: await readFile(join(dir, name), 'utf8') };
}

describe('outbox record version 5: every journal record framed', () => {
  it('writes the enqueue, the outcome, the committed status and the failure count each as a framed record', async () => {
    const dir = await tempDir();
    const outbox = await openOutbox({ dir });
    await change(outbox, 'P1', 'Online', 1);
    await outbox.update('dlv_P1_1', { state: 'succeeded', attempts: 1, updatedAt: at + 1500 });
    await outbox.setFailures(3, 2);
    await outbox.commitDevice({ udid: 'P2', name: 'Phone P2', platform: 'android', to: 'Offline', seq: 4, at: at + 4000 });
    await outbox.flush();
    const lines = (await journalText(dir)).text.split('\n').filter((l) => l !== '');
    expect(lines.map((l) => /"t":"(\w+)"/.exec(l)?.[1])).toEqual(['enq', 'dev', 'upd', 'fails', 'dev']);
    for (const line of lines) expect(line.startsWith(`${RS}F1 `)).toBe(true);
    await outbox.close();
  });

  it('a committed status changed on disk so that it still parses is not taken: the one before it stands, and the damage is counted', async () => {
    const dir = await tempDir();
    const outbox = await openOutbox({ dir });
    await change(outbox, 'P1', 'Online', 1);
    await change(outbox, 'P1', 'Offline', 2);
    await outbox.flush();
    // A killed process leaves the folder as it is; then one byte of the newest status changes (seq 2 → 7).
    const copy = await tempDir();
    await cp(dir, copy, { recursive: true });
    await outbox.close();
    const { name, text } = await journalText(copy);
    const damaged = text.replace('"to":"Offline","seq":2', '"to":"Offline","seq":7');
    expect(damaged).not.toBe(text);
    await writeFile(join(copy, name), damaged);

    const reopened = await openOutbox({ dir: copy });
    expect(reopened.committedDevices().get('P1')).toMatchObject({ to: 'Online', seq: 1 });
    expect(reopened.openReport.badLines + reopened.openReport.unreadableRecords).toBe(1);
    await reopened.close();
  });
});

describe('an outbox written by record version 4 (plain `dev` and `fails` lines) still opens', () => {
  it('with its deliveries, committed statuses and failure counts, and is rewritten as version 5', async () => {
    const dir = await tempDir();
    await cp(fileURLToPath(new URL('./fixtures/outbox-v4-unframed', import.meta.url)), dir, { recursive: true });
    const outbox = await openOutbox({ dir });
    expect(outbox.list().map((d) => [d.id, d.state])).toEqual([['dlv_p1_2', 'pending']]);
    expect(outbox.committedDevices().get('P1')).toMatchObject({ to: 'Offline', seq: 2 });
    expect(outbox.failures(3)).toBe(2);
    expect(outbox.openReport).toMatchObject({ badLines: 0, tornTail: false, unreadableRecords: 0 });
    await outbox.close();
    const header = (await readJsonLines<{ version?: number; devices?: unknown[]; failures?: unknown[] }>(join(dir, SNAPSHOT_FILE))).records[0];
    expect(header).toMatchObject({ version: 5, devices: [expect.objectContaining({ udid: 'P1', seq: 2 })], failures: [[3, 2]] });
    expect(await readJsonLines(join(dir, journalFile(2)))).toMatchObject({ records: [] });
  });
});
