// Text that comes from a device (adb names and model fields, usbmuxd device names, USB string
// descriptors) is untrusted: it reaches the UI, the logs, the callback payloads and the data files. The
// sources pass it through cleanDeviceText() where they receive it: terminal escape sequences, control
// characters and bidirectional-override characters are removed, whitespace folded, and the result capped
// at 128 characters (whole characters; no half surrogate pairs). Plain, no dependencies.

export const DEVICE_TEXT_MAX = 128;

// ESC-introduced sequences: CSI (ESC [ … final), OSC (ESC ] … BEL or ESC \), and two-character escapes.
// eslint-disable-next-line no-control-regex -- matching control characters is this module's job
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?/g;
// Line breaks and tabs of every kind become a space.
const BREAKS = /[\t\n\v\f\r\u0085\u2028\u2029]/g;
// C0 and C1 controls, DEL; bidi marks, embeddings, overrides and isolates; zero-width characters and BOM.
// eslint-disable-next-line no-control-regex -- matching control characters is this module's job
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;
// Half a surrogate pair (not text): the replacement character.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function cleanDeviceText(raw: string, max: number = DEVICE_TEXT_MAX): string {
  // Look at a bounded prefix only: a megabyte of name is not worth scanning.
  const head = raw.length > max * 16 ? raw.slice(0, max * 16) : raw;
  const text = head.replace(LONE_SURROGATE, '\ufffd').replace(ESCAPES, '').replace(BREAKS, ' ').replace(INVISIBLE, '').replace(/ {2,}/g, ' ').trim();
  const chars = Array.from(text);
  return chars.length > max ? chars.slice(0, max).join('').trimEnd() : text;
}
