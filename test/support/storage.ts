// Test doubles for the storage layer: a real JSONFile whose writes can be made to fail (ENOSPC,
// EACCES…) on demand — chmod does not stop root, which is who runs CI — and a logger that records.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { JSONFile } from 'lowdb/node';
import type { Logger, LogLevel } from '../../main/base/log';

export function osError(code: string, message = `${code}: simulated`): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

export class FaultyJsonFile extends JSONFile<unknown> {
  /** Each write takes the next entry: an error to throw, or null to write for real. Empty: write. */
  readonly failures: (NodeJS.ErrnoException | null)[] = [];
  writes = 0;
  inFlight = 0;
  maxInFlight = 0;
  /** Hold each write open for a few ms so overlapping writes would show in maxInFlight. */
  holdMs = 0;

  override async write(data: unknown): Promise<void> {
    this.writes++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.holdMs > 0) await new Promise((resolve) => setTimeout(resolve, this.holdMs));
      const failure = this.failures.shift();
      if (failure) throw failure;
      await super.write(data);
    } finally {
      this.inFlight--;
    }
  }
}

export interface RecordingLogger {
  log: Logger;
  lines: { level: LogLevel; message: string }[];
}

export function recordingLogger(): RecordingLogger {
  const lines: { level: LogLevel; message: string }[] = [];
  return { log: (level, message) => lines.push({ level, message }), lines };
}

/**
 * A stand-in for Electron's safeStorage: AES-256-GCM with a fixed key (`v10` + iv + tag + ciphertext,
 * like Chromium's prefix). `available` switches the keyring off and on; `backend` is what
 * getSelectedStorageBackend() answers (Linux's `basic_text` means no real keyring).
 */
export class FakeSafeStorage {
  available = true;
  backend = 'gnome_libsecret';
  /** Make the next encryptString throw (a keyring that is listed but refuses). */
  failEncrypt = false;
  encrypts = 0;
  decrypts = 0;
  readonly #key: Buffer;

  constructor(key: Buffer = Buffer.alloc(32, 0x5a)) {
    this.#key = key;
  }

  isEncryptionAvailable(): boolean {
    return this.available;
  }

  getSelectedStorageBackend(): string {
    return this.backend;
  }

  encryptString(plainText: string): Buffer {
    if (!this.available || this.failEncrypt) throw new Error('Error while encrypting the text provided to safeStorage.encryptString.');
    this.encrypts++;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const body = Buffer.concat([cipher.update(plainText, 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.from('v10'), iv, cipher.getAuthTag(), body]);
  }

  decryptString(encrypted: Buffer): string {
    if (!this.available) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
    this.decrypts++;
    if (encrypted.subarray(0, 3).toString() !== 'v10') throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
    const iv = encrypted.subarray(3, 15);
    const tag = encrypted.subarray(15, 31);
    const decipher = createDecipheriv('aes-256-gcm', this.#key, iv);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(encrypted.subarray(31)), decipher.final()]).toString('utf8');
  }
}

/** Random bytes for secrets that a test can predict: each call fills with the next byte value. */
export function countingRandom(start = 1): { bytes(n: number): Uint8Array; calls: number } {
  let next = start;
  const source = {
    calls: 0,
    bytes(n: number): Uint8Array {
      source.calls++;
      return new Uint8Array(n).fill(next++ & 0xff);
    },
  };
  return source;
}

/** A webhook's events with only Online on. */
export const ONLINE_ONLY = { online: true, offline: false, utilizing: false, unplugged: false };

/** The id of the webhook a store call made (throws with the refusal when it made none). */
export function createdId(r: { ok: true; webhook: { id: number } } | { ok: false }): number {
  if (!r.ok) throw new Error(JSON.stringify(r));
  return r.webhook.id;
}
