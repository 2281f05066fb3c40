// Sealing a webhook's secret material (the signing secret, extra header values, a URL's user name and
// password) with a SecretBox (the OS keyring when there is one), opening it again, and saying in plain
// words why a value cannot be opened. The store (main/webhooks/store.ts) keeps the sealed values.
import type { Logger } from '../base/log';
import { isKeptHeader } from './schema';
import type { WebhookHeader, WebhookHeaderInput } from './schema';
import { SecretUnavailableError } from './secrets';
import type { Sealed, SecretBox } from './secrets';
import type { StoredHeader, StoredWebhook, WebhooksFile } from './webhooksFile';

/** The answer to a new secret or header value while the OS keyring that sealed the others is locked. */
export const KEYRING_LOCKED_MESSAGE = 'The OS keyring is locked; unlock it to change secrets';

/** Why a sealed value cannot be opened now, with a way out; structurally a store error. */
interface SecretUnavailable {
  ok: false;
  error: { code: 'secret_unavailable'; message: string };
}

/** A webhook's secret material, opened. */
type Material = { ok: true; secret?: string; headers: WebhookHeader[]; urlCredentials?: string } | SecretUnavailable;

class Unopenable {
  constructor(readonly failure: SecretUnavailable) {}
}

export class WebhookSealer {
  readonly #box: SecretBox;
  readonly #logger: Logger;

  constructor(box: SecretBox, logger: Logger) {
    this.#box = box;
    this.#logger = logger;
  }

  /** Whether values are sealed by the OS keyring; false: plain text in webhooks.json. */
  get encrypted(): boolean {
    return this.#box.encrypted;
  }

  seal(plain: string): Sealed {
    return this.#box.seal(plain);
  }

  sealHeaders(headers: WebhookHeaderInput[]): StoredHeader[] {
    return headers.map((h) => {
      // Only the edit form sends kept rows, and update() resolves them; anything else is a caller's bug.
      if (isKeptHeader(h)) throw new Error(`webhooks: the kept header row "${h.name}" reached sealing`);
      return { name: h.name, value: this.#box.seal(h.value) };
    });
  }

  /** Values sealed by the OS keyring are stored here, but the keyring cannot seal now. */
  lockedIn(
    data: Readonly<{ webhooks: readonly { secret?: Sealed | undefined; urlCredentials?: Sealed | undefined; headers: readonly { value: Sealed }[] }[] }>,
  ): boolean {
    if (this.#box.encrypted) return false;
    return data.webhooks.some((w) => w.secret?.scheme === 'os' || w.urlCredentials?.scheme === 'os' || w.headers.some((h) => h.value.scheme === 'os'));
  }

  opensTo(sealed: Sealed, plain: string): boolean {
    const opened = this.tryOpen(sealed);
    return opened.ok && opened.value === plain;
  }

  tryOpen(sealed: Sealed): { ok: true; value: string } | { ok: false; reason: string } {
    try {
      return { ok: true, value: this.#box.open(sealed) };
    } catch (error) {
      if (!(error instanceof SecretUnavailableError)) throw error;
      const reason =
        error.reason === 'keyring_unavailable'
          ? "Can't be read now: the OS keyring is locked or not available."
          : error.reason === 'decrypt_failed'
            ? "Can't be read here: it was encrypted by another OS account or on another machine."
            : `Can't be read: ${error.message}.`;
      return { ok: false, reason };
    }
  }

  /** Opens a webhook's secret and header values, or says in a sentence why it cannot. */
  open(w: StoredWebhook): Material {
    // Each sealed value in turn; the first that cannot be opened is the answer.
    const open = (sealed: Sealed, what: string, remedy: string): string => {
      try {
        return this.#box.open(sealed);
      } catch (error) {
        throw new Unopenable(unavailable(error, what, remedy));
      }
    };
    try {
      const secret = w.secret ? open(w.secret, "This webhook's signing secret", 'rotate the secret and give the receiver the new one') : undefined;
      const headers: WebhookHeader[] = w.headers.map((h) => ({
        name: h.name,
        value: open(h.value, `The value of this webhook's header "${h.name}"`, 'edit the webhook and enter the value again'),
      }));
      const urlCredentials = w.urlCredentials
        ? open(w.urlCredentials, "The user name and password in this webhook's URL", 'edit the webhook and enter the URL again')
        : undefined;
      return { ok: true, headers, ...(secret === undefined ? {} : { secret }), ...(urlCredentials === undefined ? {} : { urlCredentials }) };
    } catch (error) {
      if (error instanceof Unopenable) return error.failure;
      throw error;
    }
  }

  /** With an encrypting box, seals every plain value in `draft`; answers how many. Failures stay plain (logged). */
  sealPlain(draft: WebhooksFile): number {
    if (!this.#box.encrypted) return 0;
    let count = 0;
    const reseal = (value: Sealed): Sealed => {
      if (value.scheme !== 'plain') return value;
      try {
        const sealed = this.#box.seal(value.data);
        if (sealed.scheme !== 'plain') count++;
        return sealed;
      } catch (error) {
        this.#logger('warn', `webhooks: could not seal a value with the OS keyring: ${error instanceof Error ? error.message : String(error)}`);
        return value;
      }
    };
    for (const w of draft.webhooks) {
      if (w.secret) w.secret = reseal(w.secret);
      if (w.urlCredentials) w.urlCredentials = reseal(w.urlCredentials);
      for (const h of w.headers) h.value = reseal(h.value);
    }
    return count;
  }
}

export function hasPlain(w: StoredWebhook): boolean {
  return w.secret?.scheme === 'plain' || w.urlCredentials?.scheme === 'plain' || w.headers.some((h) => h.value.scheme === 'plain');
}

/** A SecretUnavailableError about `what`, as a store error with a way out. */
function unavailable(error: unknown, what: string, remedy: string): SecretUnavailable {
  if (!(error instanceof SecretUnavailableError)) throw error;
  let message: string;
  if (error.reason === 'keyring_unavailable') {
    message = `${what} was encrypted by your OS account's keyring, which is not available now. Unlock the keyring (or sign in to the OS account that saved it) and restart DeviceHooks, or ${remedy}.`;
  } else if (error.reason === 'decrypt_failed') {
    message = `${what} could not be decrypted by your OS account's keyring: it may have been encrypted by another account or on another machine. ${capitalize(remedy)}.`;
  } else {
    message = `${what} cannot be read: ${error.message}. ${capitalize(remedy)}.`;
  }
  return { ok: false, error: { code: 'secret_unavailable', message } };
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
