// The framed record's bytes: length and CRC-32 are those of the JSON's UTF-8 bytes, whatever the text holds.
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeLine, frameJson, frameRecord } from '../../main/delivery/framing';

describe('framing', () => {
  it.each([
    ['ASCII', { t: 'enq', d: { id: 'dlv_1', name: 'Pixel 7' } }],
    ['non-ASCII (2-, 3- and 4-byte UTF-8)', { name: 'Ünïcødé — 電話 📱', quote: '"\\' }],
  ])('length and CRC are of the UTF-8 bytes: %s', (_label, value) => {
    const json = JSON.stringify(value);
    const bytes = Buffer.from(json, 'utf8');
    const expected = `\x1eF1 ${bytes.length} ${crc32(bytes).toString(16).padStart(8, '0')} ${json}\n`;
    expect(frameJson(json)).toBe(expected);
    expect(frameRecord(value)).toBe(expected);
    const line = Buffer.from(expected.slice(0, -1), 'utf8');
    expect(decodeLine(line)).toEqual({ records: [value], bad: 0, lastBad: false });
  });
});
