// What the adb server says about devices, parsed: the lines of the long device list, the connection a
// serial implies, and a shell property answer worth keeping. Pure functions (./adb.ts uses them).

import type { Connection } from './types';

// ---------------------------------------------------------------------------------------------------------------
// Device lists

export interface AdbDeviceLine {
  serial: string;
  state: string;
  /** devpath without the `usb:` key, e.g. `1-1.4` on Linux (macOS gives an opaque number like `336592896X`). */
  usb?: string;
  product?: string;
  /** As the server prints it: non-alphanumerics turned into `_` (`SM_N950F`). */
  model?: string;
  device?: string;
  transportId?: number;
}

/** Keys of the long listing, in the order they are searched from the END of the line (the reverse of print order). */
const LONG_KEYS = ['device', 'model', 'product', 'usb'] as const;

/**
 * Parses `host:devices-l` / `host:track-devices-l` text (and the short `serial\tstate` form too).
 * Long lines are `%-22s` serial, a space, the state, then optional ` usb:` ` product:` ` model:` ` device:` and
 * always ` transport_id:N`. Empty fields are left out and the state may contain spaces
 * (`no permissions (...); see [...]`), so fields are taken by key from the end, never by column.
 */
export function parseDevicesLong(text: string): AdbDeviceLine[] {
  const out: AdbDeviceLine[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/\r$/, '');
    if (line.trim() === '') continue;
    const parsed = parseLongLine(line);
    if (parsed) out.push(parsed);
  }
  return out;
}

function parseLongLine(line: string): AdbDeviceLine | undefined {
  let rest = line;
  const result: Partial<AdbDeviceLine> = {};
  const tid = / transport_id:(\d+)$/.exec(rest);
  if (tid?.[1] !== undefined) {
    result.transportId = Number(tid[1]);
    rest = rest.slice(0, tid.index);
  } else if (rest.includes('\t')) {
    // Short listing: serial TAB state.
    const tab = rest.lastIndexOf('\t');
    const serial = rest.slice(0, tab);
    const state = rest.slice(tab + 1).trim();
    return serial && state ? { serial, state } : undefined;
  }
  for (const key of LONG_KEYS) {
    const marker = ` ${key}:`;
    const at = rest.lastIndexOf(marker);
    // The value runs to the end of what is left; a field never contains a later field's key.
    if (at > 0 && !rest.slice(at + marker.length).includes(' ')) {
      result[key] = rest.slice(at + marker.length);
      rest = rest.slice(0, at);
    }
  }
  // What remains is "serial<padding> state"; the state is one word, except "no permissions (...)".
  const noPerm = rest.indexOf(' no permissions');
  let serial: string;
  let state: string;
  if (noPerm >= 0) {
    serial = rest.slice(0, noPerm).trimEnd();
    state = rest.slice(noPerm + 1).trim();
  } else {
    const m = /^(.*\S)\s+(\S+)\s*$/.exec(rest);
    if (!m?.[1] || !m[2]) return undefined;
    serial = m[1].trimEnd();
    state = m[2];
  }
  if (!serial || !state) return undefined;
  return { ...result, serial, state };
}

/** `host:port` (`adb connect`) and mDNS (`adb-XXXX._adb-tls-connect._tcp`) serials, and emulators, are not USB. */
export function adbConnectionOf(serial: string): Connection {
  if (/\._adb(-tls-connect)?\._tcp\.?$/.test(serial)) return 'network';
  if (/^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):\d{1,5}$/.test(serial)) return 'network';
  // The emulator's transport is a local TCP socket: calling it "usb" would make the tracker look for a cable.
  if (/^emulator-\d+$/.test(serial)) return 'network';
  return 'usb';
}

export const USB_PATH = /^\d+-\d+(\.\d+)*$/;
/** Emulators are never merged with anything, whatever their ro.serialno says. */
export const EMULATOR_SERIAL = /^emulator-\d+$/;

/** A shell answer worth showing: one non-empty line that is not `null` nor a shell/framework error. */
export function cleanShellValue(output: string): string | undefined {
  const text = output.replace(/\r/g, '').trim();
  if (text === '' || text === 'null' || text.includes('\n')) return undefined;
  if (/^(\/system\/bin\/sh:|\/bin\/sh:|sh:|cmd:|Exception occurred|java\.lang\.|Failure \[|error:)/.test(text)) return undefined;
  return text;
}
