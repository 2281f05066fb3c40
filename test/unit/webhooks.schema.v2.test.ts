// The schema version 2 form rules: scope, headers, signing (and an import entry's `enabled`).
import { describe, expect, it } from 'vitest';
import { validateWebhookImportEntry, validateWebhookInput, webhookInputSchema } from '../../main/webhooks/schema';

const events = { online: true, offline: false, utilizing: false, unplugged: false };
const valid = { name: 'Build farm', url: 'https://example.com/hook', events };

function errorsOf(input: Record<string, unknown>): Record<string, string> {
  const result = validateWebhookInput({ ...valid, ...input });
  if (result.ok) throw new Error(`expected field errors, got ${JSON.stringify(result.value)}`);
  return result.fieldErrors;
}
function valueOf(input: Record<string, unknown>) {
  const result = validateWebhookInput({ ...valid, ...input });
  if (!result.ok) throw new Error(`expected valid, got ${JSON.stringify(result.fieldErrors)}`);
  return result.value;
}

/** The first header row's value (a kept row has none). */
function firstValue(input: { headers?: unknown[] | undefined }): string | undefined {
  return (input.headers?.[0] as { value?: string } | undefined)?.value;
}
const ids = (n: number, prefix = 'udid-') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `X-Header-${i}`, value: `v${i}` }));

describe('scope', () => {
  it('is optional: absent or null leaves it out of the value (an update keeps what the webhook has)', () => {
    expect(valueOf({})).not.toHaveProperty('scope');
    expect(valueOf({ scope: null })).not.toHaveProperty('scope');
  });

  it('fills in the missing list: {} is every device', () => {
    expect(valueOf({ scope: {} }).scope).toEqual({ udids: [], platforms: [] });
    expect(valueOf({ scope: { platforms: ['ios'] } }).scope).toEqual({ udids: [], platforms: ['ios'] });
  });

  it('trims device IDs and removes duplicates, keeping the first order', () => {
    expect(valueOf({ scope: { udids: [' b ', 'a', 'b', '\ta'] } }).scope?.udids).toEqual(['b', 'a']);
  });

  it('accepts 500 device IDs and refuses 501', () => {
    expect(valueOf({ scope: { udids: ids(500) } }).scope?.udids).toHaveLength(500);
    expect(errorsOf({ scope: { udids: ids(501) } })).toEqual({ scope: 'A scope can list at most 500 device IDs (this one has 501)' });
  });

  it('counts distinct device IDs: 501 entries with one repeated are 500', () => {
    expect(valueOf({ scope: { udids: [...ids(500), 'udid-7'] } }).scope?.udids).toHaveLength(500);
  });

  it('accepts a 256-character device ID and refuses 257 (after trimming)', () => {
    expect(valueOf({ scope: { udids: [` ${'u'.repeat(256)} `] } }).scope?.udids).toEqual(['u'.repeat(256)]);
    expect(errorsOf({ scope: { udids: ['ok', 'u'.repeat(257)] } })).toEqual({
      scope: 'Device ID 2 in the scope must be at most 256 characters (this one has 257)',
    });
  });

  it.each([
    ['empty', '', 'Device ID 1 in the scope is empty'],
    ['blank', '   ', 'Device ID 1 in the scope is empty'],
    ['not text', 42, 'Device ID 1 in the scope must be text'],
    ['on two lines', 'a\nb', 'Device ID 1 in the scope cannot contain line breaks or control characters'],
  ])('refuses a device ID that is %s', (_label, udid, message) => {
    expect(errorsOf({ scope: { udids: [udid] } })).toEqual({ scope: message });
  });

  it('keeps only android, ios and other, in that order, once each', () => {
    expect(valueOf({ scope: { platforms: ['other', 'android', 'other', 'ios'] } }).scope?.platforms).toEqual(['android', 'ios', 'other']);
  });

  it.each([
    ['windows', 'Unknown platform "windows": choose android, ios or other'],
    ['Android', 'Unknown platform "Android": choose android, ios or other'],
    [7, 'Unknown platform 7: choose android, ios or other'],
  ])('refuses an unknown platform: %s', (platform, message) => {
    expect(errorsOf({ scope: { platforms: ['ios', platform] } })).toEqual({ scope: message });
  });

  it('refuses lists that are not lists, and a scope that is not an object', () => {
    expect(errorsOf({ scope: { udids: 'abc' } })).toEqual({ scope: 'The device IDs in the scope must be a list' });
    expect(errorsOf({ scope: { platforms: 'ios' } })).toEqual({ scope: 'The platforms in the scope must be a list' });
    expect(errorsOf({ scope: ['ios'] })).toEqual({ scope: 'Scope must be a list of device IDs and a list of platforms' });
  });
});

describe('headers', () => {
  it('is optional: absent or null leaves it out; [] is no headers', () => {
    expect(valueOf({})).not.toHaveProperty('headers');
    expect(valueOf({ headers: null })).not.toHaveProperty('headers');
    expect(valueOf({ headers: [] }).headers).toEqual([]);
  });

  it('accepts 20 headers and refuses 21, on the headers key', () => {
    expect(valueOf({ headers: rows(20) }).headers).toHaveLength(20);
    expect(errorsOf({ headers: rows(21) })).toEqual({ headers: 'A webhook can have at most 20 headers (this one has 21)' });
  });

  it('trims names and values and keeps the name as typed', () => {
    expect(valueOf({ headers: [{ name: ' X-Api-Key ', value: '  Bearer abc \n' }] }).headers).toEqual([{ name: 'X-Api-Key', value: 'Bearer abc' }]);
  });

  it('accepts a 100-character name and refuses 101', () => {
    expect(valueOf({ headers: [{ name: 'x'.repeat(100), value: 'v' }] }).headers?.[0]?.name).toHaveLength(100);
    expect(errorsOf({ headers: [{ name: 'x'.repeat(101), value: 'v' }] })).toEqual({
      'headers.0.name': 'Header name must be at most 100 characters (this one has 101)',
    });
  });

  it('accepts every RFC 7230 token character in a name', () => {
    const name = "!#$%&'*+-.^_`|~0-9A-Za-z";
    expect(valueOf({ headers: [{ name, value: 'v' }] }).headers?.[0]?.name).toBe(name);
  });

  it.each(['X Custom', 'X-Custom:', 'X-Ünicode', 'X(1)', 'X/Y', 'X"Y', 'X\tY'])('refuses a name that is not a token: %s', (name) => {
    expect(errorsOf({ headers: [{ name, value: 'v' }] })).toEqual({
      'headers.0.name': "Header name can only contain letters, digits and ! # $ % & ' * + - . ^ _ ` | ~ (no spaces or colons)",
    });
  });

  it('accepts a 4096-character value and refuses 4097', () => {
    expect(firstValue(valueOf({ headers: [{ name: 'X-Big', value: 'v'.repeat(4096) }] }))).toHaveLength(4096);
    expect(errorsOf({ headers: [{ name: 'X-Big', value: 'v'.repeat(4097) }] })).toEqual({
      'headers.0.value': 'The value of the header "X-Big" must be at most 4096 characters (this one has 4097)',
    });
  });

  it.each([
    ['CRLF injection', 'abc\r\nX-Injected: 1'],
    ['a bare LF', 'abc\nX-Injected: 1'],
    ['a bare CR', 'abc\rdef'],
    ['NUL', 'abc\u0000def'],
  ])('refuses %s inside a value', (_label, value) => {
    expect(errorsOf({ headers: [{ name: 'X-Token', value }] })).toEqual({
      'headers.0.value': 'The value of the header "X-Token" cannot contain line breaks or NUL characters',
    });
  });

  it('refuses other control characters but keeps a tab inside', () => {
    expect(errorsOf({ headers: [{ name: 'X-T', value: 'a\u0007b' }] })).toEqual({ 'headers.0.value': 'The value of the header "X-T" cannot contain control characters' });
    expect(firstValue(valueOf({ headers: [{ name: 'X-T', value: 'a\tb' }] }))).toBe('a\tb');
  });

  it('refuses characters Node cannot send in a header (above U+00FF), accepts Latin-1', () => {
    expect(errorsOf({ headers: [{ name: 'X-T', value: 'price €5' }] })['headers.0.value']).toBe(
      'The header "X-T" cannot be sent: "€" is not allowed in an HTTP header value (use plain ASCII text)',
    );
    expect(firstValue(valueOf({ headers: [{ name: 'X-T', value: 'café' }] }))).toBe('café');
  });

  it('refuses an empty value (typed empty or only spaces) and asks for a missing one', () => {
    expect(errorsOf({ headers: [{ name: 'X-Empty', value: '' }] })).toEqual({ 'headers.0.value': 'Enter a value for the header "X-Empty"' });
    expect(errorsOf({ headers: [{ name: 'X-Empty', value: '   ' }] })).toEqual({ 'headers.0.value': 'Enter a value for the header "X-Empty"' });
    expect(errorsOf({ headers: [{ name: 'X-Empty' }] })).toEqual({ 'headers.0.value': 'Enter a value for the header "X-Empty"' });
  });

  it.each([
    ['Content-Type', 'DeviceHooks sets Content-Type itself'],
    ['content-type', 'DeviceHooks sets Content-Type itself'],
    ['CONTENT-LENGTH', 'DeviceHooks sets Content-Length itself'],
    ['Host', "the Host header comes from the webhook's URL"],
    ['uSeR-aGeNt', 'DeviceHooks sets User-Agent itself'],
    ['Transfer-Encoding', 'the HTTP connection sets Transfer-Encoding itself'],
    ['CONNECTION', 'the HTTP connection sets Connection itself'],
    ['webhook-signature', 'names starting with webhook- are reserved for Standard Webhooks signing'],
    ['Webhook-Id', 'names starting with webhook- are reserved for Standard Webhooks signing'],
    ['WEBHOOK-Custom', 'names starting with webhook- are reserved for Standard Webhooks signing'],
  ])('refuses the reserved name %s, saying why', (name, why) => {
    expect(errorsOf({ headers: [{ name, value: 'x' }] })).toEqual({ 'headers.0.name': `The header "${name}" cannot be set here: ${why}` });
  });

  it('allows names that only look close to reserved ones', () => {
    expect(valueOf({ headers: [{ name: 'X-Webhook-Id', value: '1' }, { name: 'Webhook', value: '2' }, { name: 'Content-Types', value: '3' }] }).headers).toHaveLength(3);
  });

  it('refuses a name that repeats another differing only in case, on the later row', () => {
    expect(errorsOf({ headers: [{ name: 'X-Token', value: 'a' }, { name: 'x-token', value: 'b' }] })).toEqual({
      'headers.1.name': 'The header "x-token" is already in the list (header names ignore case)',
    });
  });

  it('reports every bad row at once, each on its own key', () => {
    expect(
      errorsOf({
        headers: [{ name: 'Host', value: 'x' }, 'X-Raw: 1', { name: '', value: 'a\r\nb' }, { name: 'Fine', value: 'ok' }],
      }),
    ).toEqual({
      'headers.0.name': 'The header "Host" cannot be set here: the Host header comes from the webhook\'s URL',
      'headers.1': 'Header 2 needs a name and a value',
      'headers.2.name': 'Enter a header name',
      'headers.2.value': 'The value of header 3 cannot contain line breaks or NUL characters',
    });
  });

  it('refuses headers that are not a list', () => {
    expect(errorsOf({ headers: { 'X-Token': 'a' } })).toEqual({ headers: 'Headers must be a list of names and values' });
  });

  it('puts the issue under headers.N.name in the zod schema too (the IPC layer can use it as is)', () => {
    const parsed = webhookInputSchema.safeParse({ ...valid, headers: [{ name: 'A', value: '1' }, { name: 'a', value: '2' }] });
    expect(parsed.error?.issues.map((i) => i.path)).toEqual([['headers', 1, 'name']]);
  });
});

describe('signing', () => {
  it('is on, off, or not given', () => {
    expect(valueOf({ signing: true }).signing).toBe(true);
    expect(valueOf({ signing: false }).signing).toBe(false);
    expect(valueOf({})).not.toHaveProperty('signing');
  });

  it('refuses anything else', () => {
    expect(errorsOf({ signing: 'yes' })).toEqual({ signing: 'Signing must be on or off' });
    expect(errorsOf({ signing: 1 })).toEqual({ signing: 'Signing must be on or off' });
  });
});

describe('an import entry', () => {
  it('follows the same rules, plus enabled (absent = enabled)', () => {
    const result = validateWebhookImportEntry({ ...valid, enabled: false, scope: { platforms: ['android'] } });
    expect(result).toEqual({ ok: true, value: { ...valid, enabled: false, scope: { udids: [], platforms: ['android'] } } });
    expect(validateWebhookImportEntry({ ...valid, enabled: 'no' })).toEqual({ ok: false, fieldErrors: { enabled: 'Enabled must be on or off' } });
    expect(validateWebhookImportEntry({ ...valid, headers: [{ name: 'Host', value: 'x' }] })).toMatchObject({ ok: false, fieldErrors: { 'headers.0.name': expect.any(String) } });
  });

  it('says why a header has no value (exports leave them out)', () => {
    expect(validateWebhookImportEntry({ ...valid, headers: [{ name: 'X-Api-Key' }] })).toEqual({
      ok: false,
      fieldErrors: {
        'headers.0.value':
          'Header "X-Api-Key" has no value: exports leave header values out. Write the value into the file, or remove the header and add it after the import',
      },
    });
  });

  it('the form does not take enabled (it is a switch of its own)', () => {
    expect(valueOf({ enabled: false })).not.toHaveProperty('enabled');
  });
});
