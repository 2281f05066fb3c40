// Webhooks waiting because their signing secret or a header value cannot be opened now (the OS keyring
// is locked, or the headless runner reads the desktop app's folder). Their callbacks queue and wait in
// the dispatcher; this says so once per change (a banner in the app, the log and stdout headless) and
// looks again every 30 s and whenever asked (the window gaining focus), so that when the keyring opens
// the dispatcher sends what waited. Plain Node: the composition root passes the store, the dispatcher
// and where notices go.
import type { Clock } from '../devices/types';
import { Listeners } from '../base/listeners';

export const SECRET_RECHECK_MS = 30_000;
const WAITING_LABEL = 'Waiting — secret unavailable';

interface WaitingWebhook {
  name: string;
  reason: string;
}

interface SecretWaitOptions {
  /** What the dispatcher is given: entries with `unavailable` are the waiting ones. */
  list: () => readonly { id: number; name: string; unavailable?: string }[];
  /** Tells the dispatcher to look at its held callbacks again. */
  refresh: () => Promise<void> | void;
  notice: (level: 'info' | 'warning', message: string) => void;
  clock: Clock;
  intervalMs?: number;
}

export class SecretWait {
  #waiting = new Map<number, WaitingWebhook>();
  readonly #listeners = new Listeners<void>();
  readonly #options: SecretWaitOptions;
  #timer: unknown;
  #stopped = false;

  constructor(options: SecretWaitOptions) {
    this.#options = options;
  }

  /** Webhook id → name and reason, for the webhooks waiting now. */
  waiting(): ReadonlyMap<number, WaitingWebhook> {
    return this.#waiting;
  }

  onChange(listener: () => void): () => void {
    return this.#listeners.add(listener);
  }

  /** Looks now; says what changed; wakes the dispatcher when a webhook can send again. */
  check(): void {
    let list: readonly { id: number; name: string; unavailable?: string }[];
    try {
      list = this.#options.list();
    } catch {
      return;
    }
    const now = new Map<number, WaitingWebhook>();
    for (const w of list) if (w.unavailable !== undefined) now.set(w.id, { name: w.name, reason: w.unavailable });
    let changed = false;
    let released = false;
    for (const [id, w] of now) {
      if (this.#waiting.has(id)) continue;
      changed = true;
      this.#options.notice(
        'warning',
        `Webhook ${w.name}: ${WAITING_LABEL}. ${w.reason} Its callbacks stay queued, new events keep queueing, and nothing is sent without its secret and headers; they go out in order once the OS keyring can be read (checked every 30 s).`,
      );
    }
    for (const [id, w] of this.#waiting) {
      if (now.has(id)) continue;
      changed = true;
      released = true;
      // Still defined: it can send again (a deleted one just stops waiting).
      if (list.some((x) => x.id === id)) this.#options.notice('info', `Webhook ${w.name} can be signed again: its waiting callbacks are being sent.`);
    }
    this.#waiting = now;
    if (released) void Promise.resolve(this.#options.refresh()).catch(() => undefined);
    if (changed) this.#listeners.emit();
  }

  /** Checks now and then every intervalMs until stop(). */
  start(): void {
    this.check();
    this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#options.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = this.#options.clock.setTimeout(() => {
      this.check();
      this.#schedule();
    }, this.#options.intervalMs ?? SECRET_RECHECK_MS);
  }
}
