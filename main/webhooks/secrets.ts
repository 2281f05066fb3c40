// Secrets at rest: a webhook's signing secret and its extra header values (often bearer tokens) are
// kept in webhooks.json as `Sealed` values, never as bare strings.
//
// - `os`: base64 of the bytes the OS keyring encrypted (Electron's safeStorage: Keychain on macOS,
//   DPAPI on Windows, libsecret/kwallet on Linux). Only this OS account on this machine can open it.
// - `plain`: the text itself, for a machine whose OS offers no keyring (and for tests). The UI says so
//   (`secretsEncrypted()` on the store).
//
// Plain Node on purpose: the composition root hands `createOsBox` Electron's safeStorage (or anything
// of the same shape), this file never imports electron.
import { randomBytes } from 'node:crypto';

type SealScheme = 'os' | 'plain';
export type Sealed = { scheme: SealScheme; data: string };

export interface SecretBox {
  /** True when `seal` encrypts (scheme `os`); false when it writes plain text. */
  readonly encrypted: boolean;
  seal(plain: string): Sealed;
  /** Throws SecretUnavailableError when the value cannot be opened here. */
  open(sealed: Sealed): string;
}

/** The part of Electron's safeStorage the box uses (its synchronous API). */
interface OsEncryption {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
  /**
   * Linux only in Electron: `basic_text` means "no real keyring, a key written into Chromium's source".
   * When it says so, the box treats the OS as offering no encryption (it seals in plain and says so)
   * rather than pretend: a value sealed that way is no safer than plain text. Optional.
   */
  getSelectedStorageBackend?(): string;
}

type SecretErrorReason = 'keyring_unavailable' | 'decrypt_failed' | 'encrypt_failed' | 'unknown_scheme';

/** A sealed value could not be opened (or a value could not be sealed) on this machine, now. */
export class SecretUnavailableError extends Error {
  readonly code = 'secret_unavailable' as const;
  readonly reason: SecretErrorReason;

  constructor(reason: SecretErrorReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SecretUnavailableError';
    this.reason = reason;
  }
}

const KEYRING_UNAVAILABLE = "This secret was encrypted by your OS account's keyring, which is not available now";

/** Keeps values as they are (scheme `plain`): for machines without OS encryption, and for tests. */
export const plainBox: SecretBox = Object.freeze({
  encrypted: false,
  seal: (plain: string): Sealed => ({ scheme: 'plain', data: plain }),
  open: (sealed: Sealed): string => openPlainOr(sealed, () => {
    throw new SecretUnavailableError('keyring_unavailable', KEYRING_UNAVAILABLE);
  }),
});

/**
 * A box over the OS keyring. While the OS offers encryption it seals as `os`; it still opens `plain`
 * values written before (the store re-seals those on its next write). Without OS encryption it seals
 * as `plain`, and opening an `os` value throws SecretUnavailableError (reason `keyring_unavailable`).
 * Availability is asked each time: on Linux it only becomes true once the app is ready.
 */
export function createOsBox(os: OsEncryption): SecretBox {
  const available = (): boolean => {
    try {
      return os.isEncryptionAvailable();
    } catch {
      return false;
    }
  };
  const realKeyring = (): boolean => {
    if (typeof os.getSelectedStorageBackend !== 'function') return true;
    try {
      return os.getSelectedStorageBackend() !== 'basic_text';
    } catch {
      return true;
    }
  };
  return {
    get encrypted() {
      return available() && realKeyring();
    },
    seal(plain: string): Sealed {
      if (!(available() && realKeyring())) return plainBox.seal(plain);
      let bytes: Buffer;
      try {
        bytes = os.encryptString(plain);
      } catch (error) {
        throw new SecretUnavailableError('encrypt_failed', `Your OS account's keyring could not encrypt the secret (${describe(error)})`, { cause: error });
      }
      return { scheme: 'os', data: Buffer.from(bytes).toString('base64') };
    },
    open(sealed: Sealed): string {
      return openPlainOr(sealed, () => {
        if (!available()) throw new SecretUnavailableError('keyring_unavailable', KEYRING_UNAVAILABLE);
        try {
          return os.decryptString(Buffer.from(sealed.data, 'base64'));
        } catch (error) {
          throw new SecretUnavailableError(
            'decrypt_failed',
            `Your OS account's keyring could not decrypt this secret: it may have been encrypted by another account or machine (${describe(error)})`,
            { cause: error },
          );
        }
      });
    },
  };
}

function openPlainOr(sealed: Sealed, openOs: () => string): string {
  if (sealed.scheme === 'plain') return sealed.data;
  if (sealed.scheme === 'os') return openOs();
  throw new SecretUnavailableError('unknown_scheme', `This secret is stored in a way DeviceHooks does not know (${String((sealed as { scheme?: unknown }).scheme)})`);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Where secret bytes come from; the delivery layer's RandomSource fits. */
export interface SecretRandom {
  bytes(n: number): Uint8Array;
}

export const cryptoSecretRandom: SecretRandom = { bytes: (n) => randomBytes(n) };

/** Standard Webhooks secrets are 24–64 random bytes; DeviceHooks uses 32. */
const SECRET_BYTES = 32;
const SECRET_PREFIX = 'whsec_';

/** `whsec_` + base64 of 32 random bytes. */
export function generateSecret(random: SecretRandom = cryptoSecretRandom): string {
  const bytes = random.bytes(SECRET_BYTES);
  if (bytes.length !== SECRET_BYTES) throw new Error(`generateSecret: the random source gave ${bytes.length} bytes, not ${SECRET_BYTES}`);
  return `${SECRET_PREFIX}${Buffer.from(bytes).toString('base64')}`;
}
