// The command line of `devicehooks-headless`: which command, its arguments and options (before or after
// the positional arguments), and the help text of each command.
import { parseArgs } from 'node:util';
import type { CliCommand, OptionValue } from './types';

type OptionSpec = { type: 'string' | 'boolean'; short?: string; multiple?: boolean };

/** Every option of every command; each command then accepts only its own (COMMANDS[…].options). */
const ALL_OPTIONS = {
  'data-dir': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  'no-local-api': { type: 'boolean' },
  name: { type: 'string' },
  url: { type: 'string' },
  description: { type: 'string' },
  events: { type: 'string', multiple: true },
  signing: { type: 'boolean' },
  'no-signing': { type: 'boolean' },
  header: { type: 'string', multiple: true },
  'clear-headers': { type: 'boolean' },
  platform: { type: 'string', multiple: true },
  udid: { type: 'string', multiple: true },
  'all-devices': { type: 'boolean' },
  yes: { type: 'boolean' },
  reason: { type: 'string' },
  event: { type: 'string' },
  webhook: { type: 'string' },
  failed: { type: 'boolean' },
  limit: { type: 'string' },
} as const satisfies Record<string, OptionSpec>;
type OptionName = keyof typeof ALL_OPTIONS;

const FORM = ['name', 'url', 'description', 'events', 'signing', 'header', 'platform', 'udid'] as const satisfies readonly OptionName[];

interface CommandSpec {
  /** Positional arguments after the command words, by name (all required). */
  args: string[];
  options: readonly OptionName[];
  usage: string;
}

const COMMON = `Common options:
  --data-dir DIR   the data folder (default: the desktop app's, e.g. ~/.config/DeviceHooks on Linux)
  --json           machine-readable output (see docs/headless.md)
  -h, --help       show this text`;

const FORM_HELP = `  --name NAME            required, at most 50 characters, unique (case-sensitive)
  --url URL              required, http:// or https://, at most 512 characters
  --description TEXT     optional, at most 512 characters
  --events LIST          at least one of online,offline,utilizing,unplugged (comma-separated)
  --signing              sign requests (Standard Webhooks); a new secret is made and printed once
  --header "Name: value" an extra request header (repeat for more)
  --platform P           only devices of this platform: android, ios or other (repeat for more)
  --udid UDID            only this device (repeat for more)
Secrets and header values are stored in plain text in webhooks.json (readable only by its owner), so the
headless runner can read them.`;

const COMMANDS: Record<CliCommand, CommandSpec> = {
  'webhooks list': {
    args: [],
    options: [],
    usage: `Usage: devicehooks-headless webhooks list [--json]

Lists the webhooks: id, name, events, state, signing and URL.`,
  },
  'webhooks add': {
    args: [],
    options: FORM,
    usage: `Usage: devicehooks-headless webhooks add --name NAME --url URL --events LIST [options]

Creates a webhook with the app's rules. Prints: Created webhook ID "NAME" (with --json, the webhook).

${FORM_HELP}`,
  },
  'webhooks edit': {
    args: ['ID'],
    options: [...FORM, 'no-signing', 'clear-headers', 'all-devices'],
    usage: `Usage: devicehooks-headless webhooks edit ID [options]

Changes the given fields; the others keep their value.

${FORM_HELP}
  --no-signing           stop signing (the secret is deleted)
  --header …             replaces all extra headers; --clear-headers removes them
  --platform/--udid …    replace that part of the device scope; --all-devices clears the scope`,
  },
  'webhooks remove': {
    args: ['ID'],
    options: ['yes'],
    usage: `Usage: devicehooks-headless webhooks remove ID --yes

Deletes the webhook (its id is never used again). --yes confirms: there is no undo.`,
  },
  'webhooks pause': {
    args: ['ID'],
    options: ['reason'],
    usage: `Usage: devicehooks-headless webhooks pause ID [--reason TEXT]

New events for the webhook queue; nothing is sent until it is resumed.`,
  },
  'webhooks resume': {
    args: ['ID'],
    options: [],
    usage: `Usage: devicehooks-headless webhooks resume ID

Sends what queued while the webhook was paused, in order, then new events as they come.`,
  },
  'webhooks test': {
    args: ['ID'],
    options: ['event'],
    usage: `Usage: devicehooks-headless webhooks test ID [--event online|offline|utilizing|unplugged]

Sends one test callback now (a connected device if there is one, else a sample device) and prints the
HTTP status and the time it took. Exit 0 on a 2xx answer, 1 otherwise. Default event: the webhook's first.`,
  },
  'webhooks export': {
    args: ['FILE'],
    options: [],
    usage: `Usage: devicehooks-headless webhooks export FILE

Writes every webhook to FILE in the app's export format (no secrets, no header values).`,
  },
  'webhooks import': {
    args: ['FILE'],
    options: [],
    usage: `Usage: devicehooks-headless webhooks import FILE

Reads webhooks from an export. Every entry is checked with the app's rules: all are imported, or none
(each problem is listed by entry and field). Webhooks that signed get a new secret, printed once.`,
  },
  devices: {
    args: [],
    options: [],
    usage: `Usage: devicehooks-headless devices [--json]

The devices: status and for how long, name, platform, connection, who has it in use, UDID. With a runner
on the folder, its live view; without one, what adb, usbmuxd and USB report now.`,
  },
  deliveries: {
    args: [],
    options: ['webhook', 'failed', 'limit'],
    usage: `Usage: devicehooks-headless deliveries [--webhook ID] [--failed] [--limit N] [--json]

The latest delivery attempts, newest first (default 20, at most 1000), each with the delivery id that
redeliver takes.`,
  },
  redeliver: {
    args: ['DELIVERY_ID'],
    options: [],
    usage: `Usage: devicehooks-headless redeliver DELIVERY_ID

Sends a finished delivery again (same body and webhook-id) and prints the first attempt's result. Exit 0
on a 2xx answer, 1 otherwise (it is then retried like any callback).`,
  },
};

const GROUP_USAGE = `Usage: devicehooks-headless webhooks <list|add|edit|remove|pause|resume|test|export|import> [options]

Manage the webhooks of the data folder. \`devicehooks-headless webhooks COMMAND --help\` for each.

${COMMON}
`;

export type ParsedCli =
  | { kind: 'run'; argv: string[] }
  | { kind: 'help'; text: string }
  | { kind: 'usage-error'; message: string; usage: string }
  | { kind: 'command'; command: CliCommand; args: string[]; options: Record<string, OptionValue | undefined>; dataDir: string | undefined; json: boolean };

/** Decides between the runner (no command, or `run`) and a command, and parses the command's options. */
export function parseCli(argv: string[]): ParsedCli {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof ALL_OPTIONS; allowPositionals: true; tokens: true; strict: false }>>;
  try {
    parsed = parseArgs({ args: argv, options: ALL_OPTIONS, allowPositionals: true, strict: false, tokens: true });
  } catch {
    return { kind: 'run', argv };
  }
  const positionalTokens = parsed.tokens.filter((t) => t.kind === 'positional');
  const first = positionalTokens[0];
  if (!first) return { kind: 'run', argv };
  if (first.value === 'run') return { kind: 'run', argv: argv.filter((_, i) => i !== first.index) };

  const words = positionalTokens.map((t) => t.value);
  let command: CliCommand | undefined;
  let rest: string[];
  if (words[0] === 'webhooks') {
    const sub = words[1];
    if (sub === undefined) {
      const help = argv.includes('--help') || argv.includes('-h');
      return help ? { kind: 'help', text: GROUP_USAGE } : { kind: 'usage-error', message: 'Say which webhooks command: list, add, edit, remove, pause, resume, test, export or import.', usage: GROUP_USAGE };
    }
    command = isCommand(`webhooks ${sub}`) ? (`webhooks ${sub}` as CliCommand) : undefined;
    if (!command) return { kind: 'usage-error', message: `Unknown webhooks command "${sub}".`, usage: GROUP_USAGE };
    rest = words.slice(2);
  } else {
    command = isCommand(words[0] ?? '') ? (words[0] as CliCommand) : undefined;
    if (!command) return { kind: 'usage-error', message: `Unknown command "${words[0]}".`, usage: TOP_COMMANDS };
    rest = words.slice(1);
  }
  const spec = COMMANDS[command];
  const usage = `${spec.usage}\n\n${COMMON}\n`;

  // Strict now, with only this command's options.
  const allowed: Record<string, OptionSpec> = { 'data-dir': ALL_OPTIONS['data-dir'], json: ALL_OPTIONS.json, help: ALL_OPTIONS.help };
  for (const name of spec.options) allowed[name] = ALL_OPTIONS[name];
  let values: Record<string, OptionValue | undefined>;
  try {
    values = parseArgs({ args: argv, options: allowed, allowPositionals: true, strict: true }).values as Record<string, OptionValue | undefined>;
  } catch (error) {
    return { kind: 'usage-error', message: error instanceof Error ? error.message : String(error), usage };
  }
  if (values['help'] === true) return { kind: 'help', text: usage };
  if (rest.length < spec.args.length) return { kind: 'usage-error', message: `Missing ${spec.args.slice(rest.length).join(' ')}.`, usage };
  if (rest.length > spec.args.length) return { kind: 'usage-error', message: `Unexpected argument "${rest[spec.args.length]}".`, usage };
  const dataDir = values['data-dir'];
  if (typeof dataDir === 'string' && dataDir.trim() === '') return { kind: 'usage-error', message: 'Option --data-dir needs a folder.', usage };
  const options: Record<string, OptionValue | undefined> = {};
  for (const [key, value] of Object.entries(values)) if (key !== 'data-dir' && key !== 'help' && key !== 'json') options[key] = value;
  return { kind: 'command', command, args: rest, options, dataDir: typeof dataDir === 'string' ? dataDir : undefined, json: values['json'] === true };
}

function isCommand(name: string): boolean {
  return Object.hasOwn(COMMANDS, name);
}

export const TOP_COMMANDS = `Commands:
  run (default)        watch the devices and send the webhooks until stopped
  webhooks list        the webhooks                      webhooks add      create one
  webhooks edit ID     change one                        webhooks remove ID --yes
  webhooks pause ID    hold its callbacks                webhooks resume ID
  webhooks test ID     send a test callback              webhooks export FILE / import FILE
  devices              the devices and their status
  deliveries           the latest delivery attempts      redeliver DELIVERY_ID
Every command takes --data-dir DIR and --help; list commands take --json.
`;
