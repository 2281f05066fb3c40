// What a command-line call sends to whoever executes it (this process, or the runner over the control
// socket) and what comes back. Plain data: it crosses the socket as one JSON line each way.

export const CLI_COMMANDS = [
  'webhooks list',
  'webhooks add',
  'webhooks edit',
  'webhooks remove',
  'webhooks pause',
  'webhooks resume',
  'webhooks test',
  'webhooks export',
  'webhooks import',
  'devices',
  'deliveries',
  'redeliver',
] as const;
export type CliCommand = (typeof CLI_COMMANDS)[number];

/** Commands that change nothing: they still work from the files when the holder of the folder does not answer. */
export const READ_ONLY_COMMANDS: ReadonlySet<CliCommand> = new Set<CliCommand>(['webhooks list', 'webhooks export', 'devices', 'deliveries']);

export type OptionValue = string | boolean | string[];

export interface CliRequest {
  /** `ping` asks only whether anyone answers. */
  command: CliCommand | 'ping';
  /** Positional arguments after the command words (an id). */
  args: string[];
  options: Record<string, OptionValue | undefined>;
  /** `webhooks import`: the file's text, read by the caller (paths are the caller's). */
  fileText?: string;
}

export interface CliResponse {
  /** The exit code the caller should end with. */
  code: number;
  /** For stdout and stderr. */
  out: string;
  err: string;
  /** `webhooks export`: the text for the caller to write to its file. */
  fileText?: string;
}

export const CLI_EXIT = {
  ok: 0,
  /** The data could not be read or saved, a test or redelivery attempt failed, or the profile may not. */
  failed: 1,
  /** Bad usage or invalid input: nothing was saved. */
  usage: 2,
  /** Another DeviceHooks holds the folder and does not take commands: nothing was changed. */
  unreachable: 3,
} as const;
