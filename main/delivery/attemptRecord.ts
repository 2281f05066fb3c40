// One HTTP attempt's result as the history records it: the request sent, the response (its body cut at
// RESPONSE_BODY_LIMIT) or the error, success or failure, and the outcome the dispatcher gives it.
import type { ClassifiedError, HttpResponse } from './http';
import { RESPONSE_BODY_LIMIT } from './history';
import type { AttemptRecord, NewAttemptRecord } from './history';

/** What one HTTP attempt gave (the dispatcher's perform()). */
export interface Performed {
  at: number;
  latencyMs: number;
  request: AttemptRecord['request'];
  response?: HttpResponse;
  error?: ClassifiedError;
  aborted: boolean;
}

/** What a record says besides the attempt itself. */
export interface AttemptExtras {
  nextAttemptAt?: number | undefined;
  redeliveryOf?: string | undefined;
  test?: true | undefined;
  event?: AttemptRecord['event'];
}

/**
 * The history record of one attempt, made once (the history adds its id): the fields in the order the
 * disk line has always had them, the optional ones only when set.
 */
export function attemptRecord(
  done: Performed,
  ids: { deliveryId: string; messageId: string; webhookId: number; udid: string; seq: number; attempt: number },
  outcome: NewAttemptRecord['outcome'],
  extras: AttemptExtras = {},
): NewAttemptRecord {
  const status = done.response?.status;
  const ok = status !== undefined && status >= 200 && status < 300;
  const record = {
    deliveryId: ids.deliveryId,
    messageId: ids.messageId,
    webhookId: ids.webhookId,
    udid: ids.udid,
    seq: ids.seq,
    attempt: ids.attempt,
    at: done.at,
    latencyMs: done.latencyMs,
    result: ok ? 'success' : 'failure',
    request: done.request,
  } as NewAttemptRecord;
  const response = done.response;
  if (response) {
    const body = response.body;
    record.response = {
      status: response.status,
      headers: response.headers,
      body: (body.length > RESPONSE_BODY_LIMIT ? body.subarray(0, RESPONSE_BODY_LIMIT) : body).toString('utf8'),
      truncated: response.truncated || body.length > RESPONSE_BODY_LIMIT,
    };
    if (!ok) {
      record.errorClass = 'http';
      record.errorLabel = `HTTP ${response.status}`;
    }
  } else if (done.error) {
    record.errorClass = done.error.errorClass;
    record.errorLabel = done.error.label;
    record.errorDetail = done.error.detail;
  }
  record.outcome = outcome;
  if (extras.nextAttemptAt !== undefined) record.nextAttemptAt = extras.nextAttemptAt;
  if (extras.redeliveryOf !== undefined) record.redeliveryOf = extras.redeliveryOf;
  if (extras.test) record.test = true;
  if (extras.event !== undefined) record.event = extras.event;
  return record;
}
