// The tray icon, drawn here as PNG bytes (no image files to ship or keep in step): a rounded square
// with a dot whose colour says how the webhooks are doing.
import { deflateSync } from 'node:zlib';
import type { TrayIconState } from './trayModel';

const COLORS: Record<TrayIconState, [number, number, number]> = {
  ok: [31, 138, 76],
  paused: [183, 121, 31],
  failing: [194, 58, 58],
};

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** RGBA PNG of size×size. */
export function trayIconPng(state: TrayIconState, size = 32): Buffer {
  const [r, g, b] = COLORS[state];
  const rows: Buffer[] = [];
  const c = (size - 1) / 2;
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 4);
    for (let x = 0; x < size; x++) {
      const d = Math.hypot(x - c, y - c);
      const outer = size * 0.46;
      const inner = size * 0.26;
      // A ring in the dark-grey "device" colour, and a status dot inside.
      let px: [number, number, number, number] = [0, 0, 0, 0];
      if (d <= inner) px = [r, g, b, 255];
      else if (d <= outer && d >= outer - size * 0.1) px = [90, 96, 106, 255];
      row.set(px, 1 + x * 4);
    }
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', header), chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}
