// The small validation pieces every layer shares: the id and port schemas (defined once, in
// preload/contract/fields.ts, so the channels use the same ones), and one mapping from zod issues to
// field errors (`{ 'events.online': 'Choose …' }`, the empty path as `_`). Pure: zod only.
import type { z } from 'zod';

export { idSchema, listenPortSchema } from '../../preload/contract/fields';

/** The console's own listeners (Local API, Test receiver) refuse 1–1023: the message for such a port, else undefined. */
export function privilegedPortProblem(port: number): string | undefined {
  return port > 0 && port < 1024 ? 'Use 0 (any free port) or 1024–65535' : undefined;
}

export type FieldErrors = Record<string, string>;

/** zod issues → the first message for each field, keyed by its path (`name`, `events.online`); the empty path is `_`. */
export function fieldErrorsFromZod(error: z.ZodError): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of error.issues) {
    const key = issue.path.length > 0 ? issue.path.map(String).join('.') : '_';
    errors[key] ??= issue.message;
  }
  return errors;
}
