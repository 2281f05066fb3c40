// One HTTP attempt's result as the history records it: the request sent, the response (its body cut at
// RESPONSE_BODY_LIMIT) or the error, and success or failure. The dispatcher adds the outcome.
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

export function attemptRecordBase(
  done: Performed,
  ids: { deliveryId: string; messageId: string; webhookId: number; udid: string; seq: number; attempt: number },
): Omit<NewAttemptRecord, 'outcome'> {
  const status = done.response?.status;
  const ok = status !== undefined && status >= 200 && status < 300;
  const base: Omit<NewAttemptRecord, 'outcome'> = {
    ...ids,
    at: done.at,
    latencyMs: done.latencyMs,
    result: ok ? 'success' : 'failure',
    request: done.request,
  };
  if (done.response) {
    base.response = {
      status: done.response.status,
      headers: done.response.headers,
      body: done.response.body.subarray(0, RESPONSE_BODY_LIMIT).toString('utf8'),
      truncated: done.response.truncated || done.response.body.length > RESPONSE_BODY_LIMIT,
    };
    if (!ok) {
      base.errorClass = 'http';
      base.errorLabel = `HTTP ${done.response.status}`;
    }
  } else if (done.error) {
    base.errorClass = done.error.errorClass;
    base.errorLabel = done.error.label;
    base.errorDetail = done.error.detail;
  }
  return base;
}
