import { describe, expect, it } from 'vitest';
import { SecretUnavailableError, createOsBox, generateSecret, plainBox } from '../../main/webhooks/secrets';
import type { Sealed } from '../../main/webhooks/secrets';
import { FakeSafeStorage, countingRandom } from '../support/storage';

const SECRET = 'whsec_c2VjcmV0LWJ5dGVzLWZvci10aGUtdGVzdHMtMDEyMzQ1';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('plainBox', () => {
  it('is not encrypted and keeps the text as it is, under scheme plain', () => {
    expect(plainBox.encrypted).toBe(false);
    const sealed = plainBox.seal(SECRET);
    expect(sealed).toEqual({ scheme: 'plain', data: SECRET });
    expect(plainBox.open(sealed)).toBe(SECRET);
  });

  it('cannot open an os value: a typed error with a plain sentence', () => {
    const error = thrown(() => plainBox.open({ scheme: 'os', data: 'AAAA' }));
    expect(error).toBeInstanceOf(SecretUnavailableError);
    expect(error).toMatchObject({ code: 'secret_unavailable', reason: 'keyring_unavailable' });
    expect((error as Error).message).toBe("This secret was encrypted by your OS account's keyring, which is not available now");
  });

  it('refuses a scheme it does not know instead of handing out the data', () => {
    const error = thrown(() => plainBox.open({ scheme: 'rot13', data: 'frperg' } as unknown as Sealed));
    expect(error).toMatchObject({ code: 'secret_unavailable', reason: 'unknown_scheme' });
  });
});

describe('createOsBox over a safeStorage fake (AES-256-GCM)', () => {
  it('seals as os: base64 of the encrypted bytes, never the text, and opens it again', () => {
    const os = new FakeSafeStorage();
    const box = createOsBox(os);
    expect(box.encrypted).toBe(true);
    const sealed = box.seal(SECRET);
    expect(sealed.scheme).toBe('os');
    expect(sealed.data).not.toContain('whsec_');
    expect(Buffer.from(sealed.data, 'base64').toString('latin1')).not.toContain(SECRET);
    expect(Buffer.from(sealed.data, 'base64').subarray(0, 3).toString()).toBe('v10');
    expect(box.open(sealed)).toBe(SECRET);
    expect(os.encrypts).toBe(1);
    expect(os.decrypts).toBe(1);
  });

  it('still opens plain values written before encryption was available', () => {
    const box = createOsBox(new FakeSafeStorage());
    expect(box.open({ scheme: 'plain', data: SECRET })).toBe(SECRET);
  });

  it('without OS encryption: not encrypted, seals plain, and refuses os values with a typed error', () => {
    const os = new FakeSafeStorage();
    const box = createOsBox(os);
    const sealedEarlier = box.seal(SECRET);
    os.available = false;
    expect(box.encrypted).toBe(false);
    expect(box.seal('token')).toEqual({ scheme: 'plain', data: 'token' });
    const error = thrown(() => box.open(sealedEarlier));
    expect(error).toBeInstanceOf(SecretUnavailableError);
    expect(error).toMatchObject({ code: 'secret_unavailable', reason: 'keyring_unavailable' });
    expect((error as Error).message).toContain('which is not available now');
    // And it comes back when the keyring does.
    os.available = true;
    expect(box.open(sealedEarlier)).toBe(SECRET);
  });

  it("an os value from another key (account or machine) is a typed decrypt_failed, not the keyring's raw error", () => {
    const sealed = createOsBox(new FakeSafeStorage(Buffer.alloc(32, 1))).seal(SECRET);
    const error = thrown(() => createOsBox(new FakeSafeStorage(Buffer.alloc(32, 2))).open(sealed));
    expect(error).toMatchObject({ code: 'secret_unavailable', reason: 'decrypt_failed' });
    expect((error as Error).message).toMatch(/^Your OS account's keyring could not decrypt this secret/);
  });

  it("Linux's basic_text backend is not a keyring: the box seals plain and says it is not encrypted", () => {
    const os = new FakeSafeStorage();
    os.backend = 'basic_text';
    const box = createOsBox(os);
    expect(box.encrypted).toBe(false);
    expect(box.seal(SECRET)).toEqual({ scheme: 'plain', data: SECRET });
    expect(os.encrypts).toBe(0);
  });

  it('an encryption that fails is a typed encrypt_failed error', () => {
    const os = new FakeSafeStorage();
    os.failEncrypt = true;
    const error = thrown(() => createOsBox(os).seal(SECRET));
    expect(error).toMatchObject({ code: 'secret_unavailable', reason: 'encrypt_failed' });
  });
});

describe('generateSecret', () => {
  it('is whsec_ + base64 of 32 bytes from the random source it is given', () => {
    const random = countingRandom(0xab);
    const secret = generateSecret(random);
    expect(secret).toBe(`whsec_${Buffer.alloc(32, 0xab).toString('base64')}`);
    expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
    expect(random.calls).toBe(1);
  });

  it('differs from call to call with the default (crypto) source', () => {
    const a = generateSecret();
    const b = generateSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(a).not.toBe(b);
  });

  it('refuses a random source that gives the wrong number of bytes', () => {
    expect(() => generateSecret({ bytes: () => new Uint8Array(16) })).toThrow(/16 bytes, not 32/);
  });
});
