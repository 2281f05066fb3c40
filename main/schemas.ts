// The small validation pieces every layer shares: one id schema, one port schema, and one mapping from
// zod issues to field errors (`{ 'events.online': 'Choose …' }`, the empty path as `_`). Pure: zod only.
import { z } from 'zod';

/** A record id (webhooks, profiles): a positive whole number a JSON number holds exactly. */
export const idSchema = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/** A port to listen on: 0 (any free port) up to 65535. Callers that refuse 1–1023 say so themselves. */
export const listenPortSchema = z
  .number({ error: 'Enter a port number' })
  .int('A port is a whole number')
  .min(0, 'Use 0 (any free port) or 1024–65535')
  .max(65_535, 'A port is at most 65535');

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
