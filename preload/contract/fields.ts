// The field schemas several channels and main's own files share, each defined once: a record id and a
// port to listen on. main/base/schemas.ts hands them on to main's stores and saved-state files.
import { z } from 'zod';

/** A record id (webhooks, profiles): a positive whole number a JSON number holds exactly. */
export const idSchema = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/** A port to listen on: 0 (any free port) up to 65535. Callers that refuse 1–1023 say so themselves. */
export const listenPortSchema = z
  .number({ error: 'Enter a port number' })
  .int('A port is a whole number')
  .min(0, 'Use 0 (any free port) or 1024–65535')
  .max(65_535, 'A port is at most 65535');
