// The headless runner's commands, on a CliContext: the runner's live core (over the control socket) or the
// stores opened from the folder under its lock. This file is what every command shares (the context, the
// output, the usual answers) and the dispatch to the command groups: webhookCommands.ts, deviceCommands.ts,
// deliveryCommands.ts; output.ts turns results into text and JSON. Validation is the app's (the store runs
// main/webhooks/schema.ts); the commands only turn options into the app's form and results into text.
import type { DeliveryHistory } from '../delivery/history';
import type { Dispatcher } from '../delivery/dispatcher';
import type { Battery } from '../devices/battery';
import type { DeviceView } from '../devices/tracker';
import type { Platform, SourceHealth } from '../devices/types';
import type { FieldErrors } from '../webhooks/schema';
import type { WebhookService } from '../webhooks/service';
import type { WebhookStore } from '../webhooks/store';
import { CLI_EXIT } from './types';
import type { CliRequest, CliResponse, OptionValue } from './types';
import { flagFor } from './output';
import { webhookCommand } from './webhookCommands';
import { deviceCommand } from './deviceCommands';
import { deliveryCommand } from './deliveryCommands';

/** A device as the `devices` command shows it: the tracker's view and its last battery reading, if any. */
export type CliDevice = DeviceView & { battery?: Battery };

export interface CliDevices {
  devices: CliDevice[];
  health: SourceHealth[];
}

export interface CliContext {
  dataDir: string;
  service: WebhookService;
  webhooks: WebhookStore;
  history(): Promise<DeliveryHistory>;
  dispatcher(): Promise<Dispatcher>;
  devices(): Promise<CliDevices>;
  /** A connected device for a test event (Online first), if any. */
  testDevice(): Promise<{ udid: string; name: string; platform: Platform } | undefined>;
  /** How long to wait for a redelivery's first attempt. */
  attemptWaitMs: number;
  /** Said after a failed redelivery: who retries it. */
  retriedBy: string;
  now(): number;
}

class Out {
  out = '';
  err = '';
  fileText: string | undefined;
  line(text = ''): void {
    this.out += `${text}\n`;
  }
  warn(text: string): void {
    this.err += `${text}\n`;
  }
  done(code: number): CliResponse {
    return { code, out: this.out, err: this.err, ...(this.fileText !== undefined ? { fileText: this.fileText } : {}) };
  }
}

/** One call: its request and context, its output, and the answers every command gives the same way. */
function begin(request: CliRequest, ctx: CliContext) {
  const o = new Out();
  const json = request.options['json'] === true;
  const fail = (code: number, message: string, extra: Record<string, unknown> = {}): CliResponse => {
    if (json) o.line(JSON.stringify({ error: { message, ...extra } }));
    o.warn(message);
    return o.done(code);
  };
  const invalid = (fieldErrors: FieldErrors): CliResponse => {
    const lines = Object.entries(fieldErrors).map(([field, message]) => `  ${flagFor(field)}: ${message}`);
    if (json) o.line(JSON.stringify({ error: { message: 'Invalid input; nothing was saved', fieldErrors } }));
    o.warn(`Invalid input; nothing was saved:\n${lines.join('\n')}`);
    return o.done(CLI_EXIT.usage);
  };
  const storeFailure = (result: { fieldErrors: FieldErrors } | { error: { code: string; message: string } }): CliResponse => {
    if ('fieldErrors' in result) return invalid(result.fieldErrors);
    const code = result.error.code === 'not_found' ? CLI_EXIT.usage : CLI_EXIT.failed;
    return fail(code, result.error.message, { code: result.error.code });
  };
  const webhookId = (): number | CliResponse => {
    const raw = request.args[0] ?? '';
    const id = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(id) || id < 1) return fail(CLI_EXIT.usage, `"${raw}" is not a webhook id (a whole number; see webhooks list)`);
    if (!ctx.webhooks.get(id)) return fail(CLI_EXIT.usage, `There is no webhook ${id} (see webhooks list)`, { code: 'not_found' });
    return id;
  };
  const opt = (name: string): OptionValue | undefined => request.options[name];
  const str = (name: string): string | undefined => {
    const v = opt(name);
    return typeof v === 'string' ? v : undefined;
  };
  const list = (name: string): string[] | undefined => {
    const v = opt(name);
    return Array.isArray(v) ? v : undefined;
  };
  return { request, ctx, o, json, fail, invalid, storeFailure, webhookId, opt, str, list };
}

export type Call = ReturnType<typeof begin>;

export async function execute(request: CliRequest, ctx: CliContext): Promise<CliResponse> {
  const call = begin(request, ctx);
  const command = request.command;
  if (command === 'ping') return call.o.done(CLI_EXIT.ok);
  if (command === 'devices') return deviceCommand(call);
  if (command === 'deliveries' || command === 'redeliver') return deliveryCommand(call, command);
  return webhookCommand(call, command);
}
