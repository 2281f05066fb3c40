import type { DeliveryAttempt } from '../../../preload/contract';
import { OptionalDetail } from '../ui/bits';

function Headers({ headers }: { headers: Record<string, string> }) {
  const entries = Object.entries(headers);
  if (entries.length === 0) return <p className="hint">No headers</p>;
  return (
    <dl className="headers mono">
      {entries.map(([k, v]) => (
        <div key={k}>
          <dt>{k}:</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

function pretty(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

/** When the device's status changed (the body's creationTime is when the try was sent). */
function StatusChanged({ attempt }: { attempt: DeliveryAttempt }) {
  if (!attempt.event || attempt.test) return null;
  return (
    <>
      <dt>Status changed</dt>
      <dd>
        status changed at {new Date(attempt.event.at).toLocaleString()} ({attempt.event.to})
      </dd>
    </>
  );
}

/** A callback that was not sent: the webhook no longer wanted it. */
/** The message id and the device change it reports: the same two facts in every detail. */
function IdAndDevice({ attempt }: { attempt: DeliveryAttempt }) {
  return (
    <>
      <dt>webhook-id</dt>
      <dd className="mono">{attempt.messageId}</dd>
      <dt>Device</dt>
      <dd className="mono">
        {attempt.udid} #{attempt.seq}
      </dd>
    </>
  );
}

function SkippedDetail({ attempt, onRedeliver, canRedeliver }: { attempt: DeliveryAttempt; onRedeliver: () => void; canRedeliver: boolean }) {
  return (
    <section className="attempt-detail" aria-label={`Skipped delivery ${attempt.deliveryId}`}>
      <div className="panel-head">
        <h3>{attempt.errorLabel ?? 'Skipped'}</h3>
        <button type="button" className="button" onClick={onRedeliver} disabled={!canRedeliver}>
          Redeliver
        </button>
      </div>
      <p className="hint">Nothing was sent: the webhook no longer subscribes to this event or device, or was deleted. It is not a failure.</p>
      <dl className="facts">
        <dt>Skipped</dt>
        <dd>{new Date(attempt.at).toLocaleString()}</dd>
        <StatusChanged attempt={attempt} />
        <dt>Tries sent before</dt>
        <dd>{attempt.attempt}</dd>
        <IdAndDevice attempt={attempt} />
      </dl>
    </section>
  );
}

/** Exactly what went out and what came back. */
export function AttemptDetail({ attempt, onRedeliver, canRedeliver }: { attempt: DeliveryAttempt; onRedeliver: () => void; canRedeliver: boolean }) {
  if (attempt.result === 'skipped') return <SkippedDetail attempt={attempt} onRedeliver={onRedeliver} canRedeliver={canRedeliver} />;
  return (
    <section className="attempt-detail" aria-label={`Attempt ${attempt.attempt} of delivery ${attempt.deliveryId}`}>
      <div className="panel-head">
        <h3>
          {attempt.result === 'success' ? 'Succeeded' : attempt.errorLabel ?? 'Failed'} · attempt {attempt.attempt}
          {attempt.test ? ' · test event' : ''}
        </h3>
        {!attempt.test ? (
          <button type="button" className="button" onClick={onRedeliver} disabled={!canRedeliver}>
            Redeliver
          </button>
        ) : null}
      </div>
      <dl className="facts">
        <dt>Sent</dt>
        <dd>{new Date(attempt.at).toLocaleString()}</dd>
        <StatusChanged attempt={attempt} />
        <dt>Latency</dt>
        <dd>{Math.round(attempt.latencyMs)} ms</dd>
        <dt>Outcome</dt>
        <dd>
          {attempt.outcome}
          {attempt.nextAttemptAt ? ` · next try ${new Date(attempt.nextAttemptAt).toLocaleTimeString()}` : ''}
        </dd>
        <OptionalDetail term="Error" value={attempt.errorDetail} className="mono" />
        <IdAndDevice attempt={attempt} />
      </dl>
      <h4>Request</h4>
      <p className="mono">
        {attempt.request.method} {attempt.request.url}
      </p>
      <Headers headers={attempt.request.headers} />
      <pre className="body mono" aria-label="Request body">
        {pretty(attempt.request.body)}
      </pre>
      <h4>Response</h4>
      {attempt.response ? (
        <>
          <p className="mono">HTTP {attempt.response.status}</p>
          <Headers headers={attempt.response.headers} />
          <pre className="body mono" aria-label="Response body">
            {attempt.response.body || '(empty body)'}
          </pre>
          {attempt.response.truncated ? <p className="hint">Only the first 16 KiB of the response body is kept.</p> : null}
        </>
      ) : (
        <p className="hint">No response: {attempt.errorLabel ?? 'the request did not complete'}.</p>
      )}
    </section>
  );
}
