// The delivery layer's randomness (ids, jitter, secrets) comes from a pool of crypto random bytes.
import { describe, expect, it } from 'vitest';
import { cryptoRandom, randomId } from '../../main/delivery/types';

describe('cryptoRandom (pooled)', () => {
  it('hands out every byte once: 10,000 ids (many pool refills) are all distinct and well-formed', () => {
    const ids = Array.from({ length: 10_000 }, () => randomId('msg', cryptoRandom));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids.slice(0, 100)) expect(id).toMatch(/^msg_[A-Za-z0-9_-]{22}$/);
  });

  it('gives the caller its own copy: changing one result changes no later one', () => {
    const a = cryptoRandom.bytes(16);
    a.fill(0);
    const b = cryptoRandom.bytes(16);
    expect(b.some((x) => x !== 0)).toBe(true);
  });

  it('serves any size (large ones straight from the generator) and floats in [0, 1)', () => {
    expect(cryptoRandom.bytes(1).length).toBe(1);
    expect(cryptoRandom.bytes(64 * 1024).length).toBe(64 * 1024);
    for (let i = 0; i < 2_000; i++) {
      const f = cryptoRandom.float();
      expect(f).toBeGreaterThanOrEqual(0);
      expect(f).toBeLessThan(1);
    }
  });
});
