import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codePointLength, validateWebhookInput, webhookInputSchema } from '../../main/webhooks/schema';

const events = { online: true, offline: false, utilizing: false, unplugged: false };
const valid = { name: 'Build farm', url: 'https://example.com/hook', events };

function errorsOf(input: unknown): Record<string, string> {
  const result = validateWebhookInput(input);
  if (result.ok) throw new Error(`expected field errors, got ${JSON.stringify(result.value)}`);
  return result.fieldErrors;
}
function valueOf(input: unknown) {
  const result = validateWebhookInput(input);
  if (!result.ok) throw new Error(`expected valid, got ${JSON.stringify(result.fieldErrors)}`);
  return result.value;
}

/** Values a required text field refuses as blank. */
const BLANK: [string, string | undefined][] = [
  ['empty', ''],
  ['whitespace only', ' \t\n '],
  ['missing', undefined],
];

describe('validateWebhookInput: a valid webhook', () => {
  it('passes and comes back normalized, without unknown keys', () => {
    expect(valueOf({ ...valid, name: '  Build farm ', url: ' https://example.com/hook\n', extra: 1 })).toEqual({
      name: 'Build farm',
      url: 'https://example.com/hook',
      events,
    });
  });

  it('treats a missing event switch as off', () => {
    expect(valueOf({ ...valid, events: { unplugged: true } }).events).toEqual({ online: false, offline: false, utilizing: false, unplugged: true });
  });

  it('reports every bad field at once, one sentence each', () => {
    expect(errorsOf({ name: '', url: 'ftp://x', description: 5, events: {} })).toEqual({
      name: 'Enter a name',
      url: 'URL must start with http:// or https://',
      description: 'Description must be text',
      events: 'Choose at least one event',
    });
  });

  it('refuses something that is not an object under the `_` key', () => {
    expect(errorsOf(null)).toEqual({ _: 'Send the webhook as an object with a name, a URL and events' });
    expect(errorsOf('hook')).toHaveProperty('_');
  });

  it('is the same rule set as the zod schema the IPC layer can use', () => {
    const parsed = webhookInputSchema.safeParse({ ...valid, name: '' });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['name', 'Enter a name']]);
  });
});

describe('name', () => {
  it('accepts 50 characters and refuses 51, saying how many', () => {
    expect(valueOf({ ...valid, name: 'a'.repeat(50) }).name).toHaveLength(50);
    expect(errorsOf({ ...valid, name: 'a'.repeat(51) })).toEqual({ name: 'Name must be at most 50 characters (this one has 51)' });
  });

  it('trims surrounding whitespace before counting: 52 with spaces is 50 and valid', () => {
    expect(valueOf({ ...valid, name: ` ${'b'.repeat(50)}\t` }).name).toBe('b'.repeat(50));
  });

  it.each(BLANK)('is required (%s)', (_label, name) => {
    expect(errorsOf({ ...valid, name })).toEqual({ name: 'Enter a name' });
  });

  it('must be text', () => {
    expect(errorsOf({ ...valid, name: 42 })).toEqual({ name: 'Name must be text' });
  });

  it('counts code points: 50 emoji are fine, 51 are not (UTF-16 length would say 100 and 102)', () => {
    expect(valueOf({ ...valid, name: '😀'.repeat(50) }).name).toBe('😀'.repeat(50));
    expect('😀'.repeat(50).length).toBe(100);
    expect(errorsOf({ ...valid, name: '😀'.repeat(51) }).name).toContain('this one has 51');
  });

  it('counts a ZWJ family emoji as its code points (5), not as one picture', () => {
    const family = '👨‍👩‍👧'; // man ZWJ woman ZWJ girl
    expect(codePointLength(family)).toBe(5);
    expect(valueOf({ ...valid, name: family.repeat(10) }).name).toBe(family.repeat(10)); // 50 code points
    expect(errorsOf({ ...valid, name: family.repeat(10) + 'x' }).name).toContain('this one has 51');
  });

  it('is stored NFC-normalized, so the same letters typed two ways are one name', () => {
    const decomposed = 'Cafe\u0301'; // e + combining acute
    expect(valueOf({ ...valid, name: decomposed }).name).toBe('Caf\u00e9');
  });

  it('keeps its case (uniqueness is exact: see the store tests)', () => {
    expect(valueOf({ ...valid, name: 'HoOk' }).name).toBe('HoOk');
  });

  it('refuses line breaks and control characters inside', () => {
    expect(errorsOf({ ...valid, name: 'two\nlines' })).toEqual({ name: 'Name cannot contain line breaks or control characters' });
    expect(errorsOf({ ...valid, name: 'bell\u0007' }).name).toContain('control characters');
    expect(errorsOf({ ...valid, name: 'para\u2029graph' }).name).toContain('line breaks');
  });

  it('any 1–50 code points of printable text (surrounding spaces aside) is a valid name (property)', () => {
    const printable = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 50 }).filter((s) => {
      const t = s.trim().normalize('NFC');
      return t !== '' && codePointLength(t) <= 50 && !/[\p{Cc}\u2028\u2029]/u.test(t);
    });
    fc.assert(
      fc.property(printable, (name) => {
        const result = validateWebhookInput({ ...valid, name });
        expect(result.ok).toBe(true);
      }),
    );
  });
});

describe('url', () => {
  const host = 'https://example.com/';
  it('accepts 512 characters and refuses 513', () => {
    const at512 = host + 'a'.repeat(512 - host.length);
    expect(valueOf({ ...valid, url: at512 }).url).toHaveLength(512);
    expect(errorsOf({ ...valid, url: at512 + 'a' })).toEqual({ url: 'URL must be at most 512 characters (this one has 513)' });
  });

  it('trims before counting', () => {
    const at512 = host + 'a'.repeat(512 - host.length);
    expect(valueOf({ ...valid, url: `  ${at512}  ` }).url).toBe(at512);
  });

  it.each(BLANK)('is required (%s)', (_label, url) => {
    expect(errorsOf({ ...valid, url })).toEqual({ url: 'Enter a URL' });
  });

  it.each(['http://example.com', 'https://example.com/hook?x=1#y', 'HTTPS://EXAMPLE.COM/Hook', 'http://localhost:8080/hook', 'http://127.0.0.1:9/x', 'https://user:pw@example.com/h', 'https://bücher.example/'])(
    'accepts %s',
    (url) => {
      expect(valueOf({ ...valid, url }).url).toBe(url);
    },
  );

  it.each(['http://[::1]:8080/hook', 'https://[2001:db8::1]/'])('accepts an IPv6 host: %s', (url) => {
    expect(valueOf({ ...valid, url }).url).toBe(url);
  });

  it.each([
    'ftp://example.com/file',
    'javascript:alert(1)',
    'file:///etc/passwd',
    'mailto:ops@example.com',
    'data:text/plain,hello',
    'ws://example.com/socket',
    'localhost:8080/hook',
    'http:example.com',
  ])('refuses a non-http(s) URL or one without the slashes: %s', (url) => {
    expect(errorsOf({ ...valid, url })).toEqual({ url: 'URL must start with http:// or https://' });
  });

  it.each(['/hook', 'hook', 'example.com/hook', '//example.com/hook', '?x=1'])('refuses a relative URL: %s', (url) => {
    expect(errorsOf({ ...valid, url })).toEqual({ url: 'URL must be absolute, e.g. https://example.com/hook' });
  });

  it.each(['http://', 'https://', 'http:///hook', 'https://:8080/', 'https://user@/x', 'http://?q'])('refuses a URL without a host: %s', (url) => {
    expect(errorsOf({ ...valid, url })).toEqual({ url: 'URL must include a host, e.g. https://example.com/hook' });
  });

  it('refuses an impossible port or host, saying which', () => {
    expect(errorsOf({ ...valid, url: 'http://example.com:99999/' }).url).toBe('URL has an invalid port: use a number from 1 to 65535');
    expect(errorsOf({ ...valid, url: 'http://example.com:0/' }).url).toBe('URL has an invalid port: use a number from 1 to 65535');
    expect(errorsOf({ ...valid, url: 'http://exa%mple.com/' }).url).toContain('invalid host name');
    expect(errorsOf({ ...valid, url: 'http://[::1/' }).url).toContain('invalid host name');
  });

  it('refuses spaces and line breaks inside (the parser would drop or encode them silently)', () => {
    expect(errorsOf({ ...valid, url: 'https://example.com/a b' }).url).toBe('URL cannot contain spaces or line breaks: write a space as %20');
    expect(errorsOf({ ...valid, url: 'https://exam\nple.com/' }).url).toContain('line breaks');
  });

  it('must be text', () => {
    expect(errorsOf({ ...valid, url: new URL('https://example.com') })).toEqual({ url: 'URL must be text' });
  });
});

describe('description', () => {
  it('is optional: missing, null, empty and whitespace-only all mean none', () => {
    for (const description of [undefined, null, '', '   ']) {
      expect(valueOf({ ...valid, description })).not.toHaveProperty('description');
    }
  });

  it('accepts 512 code points and refuses 513', () => {
    expect(valueOf({ ...valid, description: 'd'.repeat(512) }).description).toHaveLength(512);
    expect(errorsOf({ ...valid, description: 'd'.repeat(513) })).toEqual({ description: 'Description must be at most 512 characters (this one has 513)' });
    expect(valueOf({ ...valid, description: '🚀'.repeat(512) }).description).toBe('🚀'.repeat(512));
    expect(errorsOf({ ...valid, description: '🚀'.repeat(513) })).toHaveProperty('description');
  });

  it('is trimmed, keeps line breaks inside, refuses other control characters', () => {
    expect(valueOf({ ...valid, description: '  line one\nline two\t ' }).description).toBe('line one\nline two');
    expect(errorsOf({ ...valid, description: 'nul\u0000' })).toEqual({ description: 'Description cannot contain control characters' });
  });
});

describe('events', () => {
  it('needs at least one on', () => {
    expect(errorsOf({ ...valid, events: { online: false, offline: false, utilizing: false, unplugged: false } })).toEqual({ events: 'Choose at least one event' });
    expect(errorsOf({ ...valid, events: undefined })).toEqual({ events: 'Choose at least one event' });
  });

  it.each(['online', 'offline', 'utilizing', 'unplugged'])('any one event alone is enough: %s', (key) => {
    expect(valueOf({ ...valid, events: { [key]: true } }).events[key as 'online']).toBe(true);
  });

  it('refuses switches that are not true/false, and a non-object', () => {
    expect(errorsOf({ ...valid, events: { online: 'yes' } })).toEqual({ events: 'The online event must be on or off' });
    expect(errorsOf({ ...valid, events: ['online'] })).toEqual({ events: 'Events must be a set of on/off switches' });
  });
});
