// The userinfo of a URL (`https://user:secret@host/hook`) is a credential. These helpers split it off (to
// be sealed like a header value), join it back for sending, and redact it wherever a URL is shown,
// logged or written to history. String surgery on the authority, so a URL without userinfo is never
// rewritten (no normalising of what the admin typed). Plain, no dependencies.

/** What stands in for the userinfo in every view, log line and history record. */
export const URL_CREDENTIALS_MASK = '***';

/** `scheme://` + the authority (up to the first / ? # or \), split at its last `@`. */
const AUTHORITY = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)([^/?#\\]*)/;

/** `{ url }` without the userinfo, and the userinfo (as written, percent-encoding kept) when there was one. */
export function splitUrlCredentials(url: string): { url: string; credentials?: string } {
  const match = AUTHORITY.exec(url);
  if (!match) return { url };
  const [whole, scheme = '', authority = ''] = match;
  const at = authority.lastIndexOf('@');
  if (at < 0) return { url };
  const credentials = authority.slice(0, at);
  const stripped = scheme + authority.slice(at + 1) + url.slice(whole.length);
  return credentials === '' ? { url: stripped } : { url: stripped, credentials };
}

/** The URL with `credentials` put back as its userinfo (none: the URL as it is). */
export function joinUrlCredentials(url: string, credentials: string | undefined): string {
  if (!credentials) return url;
  const match = AUTHORITY.exec(url);
  if (!match) return url;
  const scheme = match[1] ?? '';
  return scheme + credentials + '@' + url.slice(scheme.length);
}

/** The URL with its userinfo (if any) replaced by the mask; anything else unchanged. */
export function redactUrl(url: string): string {
  const split = splitUrlCredentials(url);
  return split.credentials === undefined ? url : joinUrlCredentials(split.url, URL_CREDENTIALS_MASK);
}
