import { createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSecret, generateSecret, sign, signatureHeaders, verify } from '../../main/delivery/signing';
import { fixedRandom } from '../support/delivery';

// Written from the spec text only, with node:crypto directly: HMAC-SHA256 keyed with the base64-decoded
// part after "whsec_", over `${id}.${timestamp}.${body}`, base64, prefixed "v1,".
function specSignature(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

describe('Standard Webhooks signing', () => {
  it('matches the published test vector', () => {
    expect(specSignature(VECTOR.secret, VECTOR.id, VECTOR.timestamp, VECTOR.body)).toBe(VECTOR.signature);
    expect(sign(VECTOR)).toBe(VECTOR.signature);
    const headers = { 'webhook-id': VECTOR.id, 'webhook-timestamp': String(VECTOR.timestamp), 'webhook-signature': VECTOR.signature };
    expect(verify(headers, VECTOR.body, [VECTOR.secret], 300, VECTOR.timestamp * 1000)).toMatchObject({ ok: true, secretIndex: 0 });
  });

  it('agrees with the independent implementation for any secret, id, time and body', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 24, maxLength: 64 }), fc.string({ minLength: 1 }), fc.integer({ min: 0, max: 2 ** 40 }), fc.string({ unit: 'grapheme' }), (key, id, ts, body) => {
        const secret = `whsec_${Buffer.from(key).toString('base64')}`;
        expect(sign({ id, timestamp: ts, body, secret })).toBe(specSignature(secret, id, ts, body));
      }),
    );
  });

  it('uses the DECODED secret bytes as the key (not the text)', () => {
    const secret = generateSecret();
    const wrongKey = createHmac('sha256', secret).update(`a.1.b`).digest('base64');
    expect(sign({ id: 'a', timestamp: 1, body: 'b', secret })).not.toBe(`v1,${wrongKey}`);
  });

  it('generateSecret gives whsec_ + base64 of 32 bytes from the injected random source', () => {
    const s = generateSecret();
    expect(s).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(decodeSecret(s)).toHaveLength(32);
    expect(generateSecret()).not.toBe(s);
    const fixed = { ...fixedRandom(0), bytes: (n: number) => new Uint8Array(n).fill(7) };
    expect(generateSecret(fixed)).toBe(`whsec_${Buffer.alloc(32, 7).toString('base64')}`);
  });

  it('rejects unusable secrets', () => {
    expect(() => decodeSecret('whsec_')).toThrow();
    expect(() => decodeSecret('whsec_not base64!')).toThrow();
  });

  describe('verify', () => {
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const rotatedOut = `whsec_${randomBytes(32).toString('base64')}`;
    const now = 1_800_000_000_000;
    const ts = now / 1000;
    const body = '{"eventType":"DEVICE"}';
    const good = signatureHeaders({ id: 'msg_1', timestamp: ts, body, secret });

    it('accepts one of several space-separated signatures, with any of several secrets', () => {
      const other = sign({ id: 'msg_1', timestamp: ts, body, secret: rotatedOut });
      const headers = { ...good, 'webhook-signature': `v1a,ignored ${other} ${good['webhook-signature']}` };
      expect(verify(headers, body, [secret], 300, now)).toMatchObject({ ok: true, secretIndex: 0 });
      expect(verify({ ...good, 'webhook-signature': other }, body, [secret, rotatedOut], 300, now)).toMatchObject({ ok: true, secretIndex: 1 });
    });

    it('is case-insensitive about header names', () => {
      const upper = { 'Webhook-Id': good['webhook-id'], 'WEBHOOK-TIMESTAMP': good['webhook-timestamp'], 'Webhook-Signature': good['webhook-signature'] };
      expect(verify(upper, body, [secret], 300, now).ok).toBe(true);
    });

    it('rejects a changed body, id or timestamp, a wrong secret, stale or future timestamps, missing headers', () => {
      expect(verify(good, `${body} `, [secret], 300, now)).toEqual({ ok: false, reason: 'no-match' });
      expect(verify({ ...good, 'webhook-id': 'msg_2' }, body, [secret], 300, now)).toEqual({ ok: false, reason: 'no-match' });
      expect(verify({ ...good, 'webhook-timestamp': String(ts + 1) }, body, [secret], 300, now)).toEqual({ ok: false, reason: 'no-match' });
      expect(verify(good, body, [rotatedOut], 300, now)).toEqual({ ok: false, reason: 'no-match' });
      expect(verify(good, body, [secret], 300, now + 301_000)).toEqual({ ok: false, reason: 'too-old' });
      expect(verify(good, body, [secret], 300, now - 301_000)).toEqual({ ok: false, reason: 'too-new' });
      expect(verify({ 'webhook-id': 'msg_1' }, body, [secret], 300, now)).toEqual({ ok: false, reason: 'missing-headers' });
      expect(verify({ ...good, 'webhook-timestamp': '12abc' }, body, [secret], 300, now)).toEqual({ ok: false, reason: 'bad-timestamp' });
      expect(verify(good, body, [], 300, now)).toEqual({ ok: false, reason: 'no-secret' });
    });
  });
});
