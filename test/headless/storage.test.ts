// The built headless runner with a damaged outbox file: the readable callbacks are sent, and it says
// how many records could not be read and where the copy of the damaged file is.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SNAPSHOT_FILE, openOutbox } from '../../main/delivery/outbox';
import { STARTED, labWithHook, runHeadless, stopAll } from './runner';

afterEach(stopAll);

const phones = ['DAMAGE001', 'DAMAGE002', 'DAMAGE003'].map((serial, i) => ({ serial, state: 'device', usb: `1-${i + 1}`, model: 'Pixel 7' }));

describe('headless runner and a damaged outbox file', () => {
  it('sends every readable callback and says how many records were lost', async () => {
    const { dataDir, fakes, hooks } = await labWithHook('Lab', { status: 503 });

    // Three callbacks wait (the receiver answers 503), then the runner stops.
    const first = runHeadless(dataDir, fakes, ['--no-local-api']);
    await first.waitFor(STARTED);
    fakes.adb.setDevices(phones);
    await expect.poll(() => hooks.requests().length, { timeout: 15_000 }).toBeGreaterThanOrEqual(3);
    expect(await first.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    // Opening compacts: the three are now lines of the snapshot.
    const outboxDir = join(dataDir, 'delivery', 'outbox');
    const outbox = await openOutbox({ dir: outboxDir });
    expect(outbox.size).toBe(3);
    await outbox.close();

    // A bad sector: one byte of the second callback's line changes.
    const file = join(outboxDir, SNAPSHOT_FILE);
    const bytes = await readFile(file);
    const lineStarts = [0];
    for (let i = bytes.indexOf(10); i >= 0 && i < bytes.length - 1; i = bytes.indexOf(10, i + 1)) lineStarts.push(i + 1);
    expect(lineStarts).toHaveLength(5); // header, three callbacks, end
    const at = (lineStarts[2] as number) + 40;
    bytes[at] = (bytes[at] as number) ^ 0x04;
    await writeFile(file, bytes);

    hooks.clear();
    hooks.setReply({ status: 200 });
    const second = runHeadless(dataDir, fakes, ['--no-local-api']);
    await second.waitFor(STARTED);
    await second.waitFor(/The delivery outbox file was damaged: 1 waiting callback record\(s\) could not be read and will not be sent; 2 callback\(s\) were recovered and will be sent\. A copy of the damaged file is at \S+outbox-snapshot\.unreadable-\d+\.jsonl\./);
    await expect.poll(() => hooks.requests().length, { timeout: 15_000 }).toBe(2);
    const sent = hooks.requests().map((r) => (JSON.parse(r.body) as { deviceUdid: string }).deviceUdid);
    expect(new Set(sent).size).toBe(2);
    expect(await second.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  });
});
