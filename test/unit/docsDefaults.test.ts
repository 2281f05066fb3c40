// The defaults and limits the guides quote live in the code, and only there: each sentence below is
// composed from the code's own constants and must appear, word for word, in the guide that quotes it.
// Change a default and this test prints the sentence the guide must now say. It also checks that every
// relative link in the README and the guides, and every `*.md` path a code comment names, exists.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HIDDEN_HEADER_VALUE } from '../../main/delivery/dispatcher';
import { RESPONSE_BODY_LIMIT } from '../../main/delivery/history';
import { RECEIVER_MAX_KEPT_BYTES } from '../../main/delivery/receiver';
import { DEFAULT_JITTER, DEFAULT_MAX_INTERVAL_MS, DEFAULT_MAX_RETRY_AFTER_MS, DEFAULT_RETRY_HORIZON_MS, DEFAULT_SCHEDULE_MS } from '../../main/delivery/retry';
import { DEFAULT_LOCAL_API_PORT } from '../../main/devices/deviceState';
import { MAX_BODY_BYTES } from '../../main/devices/localApi';
import { FLAP_THRESHOLD, FLAP_WINDOW_MS } from '../../main/devices/tracker';
import { SECRET_RECHECK_MS } from '../../main/services/secretWait';
import { DEFAULT_SETTINGS } from '../../main/services/settings';
import { FIRST_DELAY_MS, FREE_FAILURES, MAX_DELAY_MS } from '../../main/profiles/attemptThrottle';
import { DEFAULT_SCRYPT } from '../../main/profiles/passphrase';
import { PASSPHRASE_MIN } from '../../main/profiles/profileInput';
import { WEBHOOK_LIMITS } from '../../main/webhooks/schema';

const root = join(import.meta.dirname, '../..');
const read = (file: string) => readFileSync(join(root, file), 'utf8').replace(/\s+/g, ' ');

/** 5000 → "5 s", 120000 → "2 min", 3600000 → "1 h", 500 → "0.5 s". */
function duration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${ms / 1000} s`;
}
const WORDS = ['no', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];
const count = (n: number) => n.toLocaleString('en-US');
const list = (items: string[]) => `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
const hoursAsDays = (hours: number) => (hours % 24 === 0 ? `${hours / 24} days` : `${hours} hours`);
const kib = (bytes: number) => `${bytes / 1024} KiB`;
const mib = (bytes: number) => `${bytes / 1024 / 1024} MiB`;

const d = DEFAULT_SETTINGS;
const retries = DEFAULT_SCHEDULE_MS.filter((ms) => ms > 0).map(duration);

/** [guide, the sentence it must contain]. */
const QUOTES: [string, string][] = [
  // Delivery: retries, limits, pausing.
  [
    'docs/delivery.md',
    `is retried after ${list(retries)} (±${DEFAULT_JITTER * 100}%), then every ${duration(DEFAULT_SCHEDULE_MS.at(-1) as number).replace(/^1 h$/, 'hour')} (never more than an ${duration(DEFAULT_MAX_INTERVAL_MS).replace(/^1 h$/, 'hour')} apart)`,
  ],
  ['docs/delivery.md', `when the receiver sends \`Retry-After\` on 429/503 (at most an ${duration(DEFAULT_MAX_RETRY_AFTER_MS).replace(/^1 h$/, 'hour')})`],
  ['docs/delivery.md', `**retry horizon** (Settings › General, default ${hoursAsDays(d.delivery.retryHorizonHours)})`],
  ['docs/delivery.md', `Each attempt times out after ${d.delivery.timeoutSeconds} s`],
  ['docs/delivery.md', `After ${d.delivery.pauseAfterFailures} failed attempts in a row a webhook **pauses**`],
  ['docs/delivery.md', `Each webhook's queue holds at most ${count(d.delivery.maxQueued)} callbacks (Settings › General)`],
  ['docs/delivery.md', `The history keeps the last ${count(d.delivery.historyEntries)} attempts`],
  ['docs/delivery.md', `bounded by count (${count(d.delivery.historyEntries)} attempts) and by size on disk (${d.delivery.historyMegabytes} MB)`],
  ['docs/delivery.md', `only the first ${kib(RESPONSE_BODY_LIMIT)} of an answer are read`],
  ['docs/delivery.md', `DeviceHooks tries the keyring again every ${duration(SECRET_RECHECK_MS)}`],
  // Device features: the watched Appium server and the battery alert thresholds.
  ['docs/usage.md', `default \`${d.appiumUrls[0]}\``],
  ['docs/usage.md', `device is at or below ${d.battery.lowPercent} % and not charging, or at or above ${d.battery.hotC} °C`],
  // Using the app: devices, local API, webhooks, test receiver, data.
  [
    'docs/usage.md',
    `(${duration(d.debounce.onlineMs)} for Online, ${duration(d.debounce.offlineMs)} for Offline, ${duration(d.debounce.unpluggedMs)} for Unplugged; change them in Settings › General › Devices)`,
  ],
  ['docs/usage.md', `wait for a settle window (${duration(d.debounce.settleMs)}; Settings › General › Devices)`],
  ['docs/usage.md', `Unplugged for longer than the retention (${d.deviceRetentionDays} days; Settings › General › Devices)`],
  ['docs/usage.md', `changed more than ${FLAP_THRESHOLD} times in ${duration(FLAP_WINDOW_MS).replace(' min', ' minutes')} is **flapping**`],
  ['docs/usage.md', `(default port ${DEFAULT_LOCAL_API_PORT};`],
  ['docs/usage.md', `413 body over ${kib(MAX_BODY_BYTES)}`],
  ['docs/usage.md', `Webhook Name: required, at most ${WEBHOOK_LIMITS.nameMax} characters`],
  ['docs/usage.md', `URL: required, at most ${WEBHOOK_LIMITS.urlMax} characters`],
  ['docs/usage.md', `Description: optional, at most ${WEBHOOK_LIMITS.descriptionMax} characters`],
  ['docs/usage.md', `keeps at most 500 requests and ${mib(RECEIVER_MAX_KEPT_BYTES)}`],
  ['docs/usage.md', `A profile may have a passphrase (at least ${PASSPHRASE_MIN} characters`],
  [
    'docs/usage.md',
    `After ${WORDS[FREE_FAILURES] ?? FREE_FAILURES} wrong tries for one profile, each further try waits ${duration(FIRST_DELAY_MS)}, then ${(2 * FIRST_DELAY_MS) / 1000}, ${(4 * FIRST_DELAY_MS) / 1000}… up to a ${duration(MAX_DELAY_MS).replace(/^1 min$/, 'minute')}`,
  ],
  ['docs/usage.md', `in the history as \`${HIDDEN_HEADER_VALUE}\``],
  ['docs/usage.md', `the last delivery attempts (at most ${count(d.delivery.historyEntries)} and ${d.delivery.historyMegabytes} MB; both are settings)`],
  // Security.
  ['docs/security.md', `At least ${PASSPHRASE_MIN} characters; scrypt N=2^${Math.log2(DEFAULT_SCRYPT.N)}`],
];

describe('the defaults the guides quote', () => {
  it('the retry horizon setting and the dispatcher agree', () => {
    expect(d.delivery.retryHorizonHours * 3_600_000).toBe(DEFAULT_RETRY_HORIZON_MS);
  });

  it.each(QUOTES)('%s says: %s', (file, sentence) => {
    expect(read(file), `${file} must contain (composed from the code): ${sentence}`).toContain(sentence);
  });
});

function files(dir: string, match: RegExp): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, dir))) {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) out.push(...files(path, match));
    else if (match.test(name)) out.push(path);
  }
  return out;
}

describe('documents point only at files in the repository', () => {
  it('every relative link in the README and the guides exists', () => {
    const missing: string[] = [];
    for (const file of ['README.md', 'bench/README.md', ...files('docs', /\.md$/)]) {
      for (const [, target] of readFileSync(join(root, file), 'utf8').matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target as string) || (target as string).startsWith('#')) continue;
        const path = resolve(root, dirname(file), (target as string).split('#')[0] as string);
        if (!existsSync(path)) missing.push(`${file} → ${target}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('every *.md a code comment names exists', () => {
    const missing: string[] = [];
    const code = ['main', 'preload', 'renderer', 'test', 'bench', 'scripts'].flatMap((dir) => files(dir, /\.(ts|tsx|mjs|js)$/));
    for (const file of [...code, 'eslint.config.js']) {
      for (const [name] of readFileSync(join(root, file), 'utf8').matchAll(/[\w./-]*[A-Za-z]\.md\b/g)) {
        if (!existsSync(join(root, name)) && !existsSync(join(root, dirname(file), name))) missing.push(`${relative(root, join(root, file))}: ${name}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
