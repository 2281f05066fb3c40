import { useEffect, useState } from 'react';
import type { FormEvent } from 'react';
import type { ReceivedCallback, ReceiverInfo } from '../../../preload/contract';
import { api } from '../api';
import { Field } from '../ui/Field';

function useReceiver() {
  const [info, setInfo] = useState<ReceiverInfo | null>(null);
  const [requests, setRequests] = useState<ReceivedCallback[]>([]);
  const [refused, setRefused] = useState<string | null>(null);
  useEffect(() => {
    // Asked again whenever the active profile changes: a profile that may not see it sees nothing of it.
    const load = () => {
      void api.receiverState().then((r) => {
        if (r.ok) {
          setRefused(null);
          setInfo(r.value);
        } else {
          setInfo(null);
          setRequests([]);
          setRefused(r.error.message);
        }
      });
      void api.receiverRequests().then((r) => r.ok && setRequests([...r.value].reverse()));
    };
    load();
    const stopProfiles = api.onProfilesChanged(load);
    const stopInfo = api.onReceiverChanged((next) => {
      setRefused(null);
      setInfo(next);
      void api.receiverRequests().then((r) => r.ok && setRequests([...r.value].reverse()));
    });
    const stopRequests = api.onReceiverRequest((request) => setRequests((list) => [request, ...list.filter((r) => r.n !== request.n)].slice(0, 500)));
    return () => {
      stopProfiles();
      stopInfo();
      stopRequests();
    };
  }, []);
  return { info, requests, refused };
}

function signatureText(s: ReceivedCallback['signature']): string {
  if (s.status === 'valid') return 'Signature valid';
  if (s.status === 'invalid') return `Signature invalid (${s.reason})`;
  return 'Not signed, or no known secret';
}

/** A receiver on this computer for rehearsing webhooks: see each request arrive, choose the answer. */
export function ReceiverView() {
  const { info, requests, refused } = useReceiver();
  const [port, setPort] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [delay, setDelay] = useState<string | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [open, setOpen] = useState<number | null>(null);
  const [copied, setCopied] = useState(false);
  if (refused) {
    return (
      <section aria-labelledby="receiver-title">
        <h1 id="receiver-title">Test receiver</h1>
        <p role="alert" className="panel">
          {refused}
        </p>
      </section>
    );
  }
  if (!info) return <p className="empty">Loading…</p>;

  const start = async (event: FormEvent) => {
    event.preventDefault();
    const result = await api.receiverStart({ port: Number(port ?? info.configuredPort) });
    setErrors(result.ok ? {} : result.error.code === 'validation' ? result.error.fieldErrors : { port: result.error.message });
  };
  const reply = async (event: FormEvent) => {
    event.preventDefault();
    const result = await api.receiverSetReply({ status: Number(status ?? info.reply.status), delayMs: Number(delay ?? info.reply.delayMs) });
    setErrors(result.ok ? {} : result.error.code === 'validation' ? result.error.fieldErrors : { status: result.error.message });
  };
  const copy = () => {
    if (info.url) void navigator.clipboard.writeText(`${info.url}/hooks`).then(() => setCopied(true));
  };

  return (
    <section aria-labelledby="receiver-title">
      <h1 id="receiver-title">Test receiver</h1>
      <div className="panel">
        <p className="empty">
          A receiver on 127.0.0.1 for checking webhooks on this computer. Copy its URL into a webhook, then watch each callback arrive with its
          headers and body. Signatures are checked with your webhooks’ secrets. Choose the answer to rehearse failures.
        </p>
        <div className="receiver-controls">
          <form onSubmit={start} noValidate className="inline-fields">
            <Field label="Port" error={errors['port']} hint="0 picks any free port">
              {(props) => <input {...props} type="text" inputMode="numeric" value={port ?? String(info.configuredPort)} onChange={(e) => setPort(e.target.value)} />}
            </Field>
            {info.running ? (
              <>
                <button type="submit" className="button">
                  Restart
                </button>
                <button type="button" className="button" onClick={() => void api.receiverStop()}>
                  Stop
                </button>
              </>
            ) : (
              <button type="submit" className="button primary">
                Start receiver
              </button>
            )}
          </form>
          <form onSubmit={reply} noValidate className="inline-fields">
            <Field label="Answer with status" error={errors['status']}>
              {(props) => <input {...props} type="text" inputMode="numeric" value={status ?? String(info.reply.status)} onChange={(e) => setStatus(e.target.value)} />}
            </Field>
            <Field label="Delay (ms)" error={errors['delayMs']}>
              {(props) => <input {...props} type="text" inputMode="numeric" value={delay ?? String(info.reply.delayMs)} onChange={(e) => setDelay(e.target.value)} />}
            </Field>
            <button type="submit" className="button">
              Set answer
            </button>
          </form>
        </div>
        <p role="status" className="receiver-status">
          {info.running ? (
            <>
              Listening on <code className="mono">{info.url}/hooks</code>{' '}
              <button type="button" className="button small" onClick={copy}>
                {copied ? 'Copied' : 'Copy URL'}
              </button>{' '}
              · answering HTTP {info.reply.status}
              {info.reply.delayMs ? ` after ${info.reply.delayMs} ms` : ''}
            </>
          ) : (
            'Stopped'
          )}
        </p>
        {info.error ? (
          <p role="alert" className="error">
            {info.error}
          </p>
        ) : null}
      </div>
      <div className="panel">
        <div className="panel-head">
          <h2>Received</h2>
          <button type="button" className="button small" onClick={() => void api.receiverClear()} disabled={requests.length === 0}>
            Clear
          </button>
        </div>
        {requests.length === 0 ? (
          <p className="empty">Nothing received yet{info.running ? '' : ': start the receiver first'}.</p>
        ) : (
          <ol className="received" aria-label="Received requests">
            {requests.map((r) => (
              <li key={r.n}>
                <button type="button" className="received-row" aria-expanded={open === r.n} onClick={() => setOpen(open === r.n ? null : r.n)}>
                  <span className="mono">
                    #{r.n} {r.method} {r.path}
                  </span>
                  <span className="hint">{new Date(r.receivedAt).toLocaleTimeString()}</span>
                  <span className={`sig sig-${r.signature.status}`}>{signatureText(r.signature)}</span>
                  <span className="hint">answered {r.answeredStatus ?? '…'}</span>
                </button>
                {open === r.n ? (
                  <div className="received-detail">
                    <dl className="headers mono">
                      {Object.entries(r.headers).map(([k, v]) => (
                        <div key={k}>
                          <dt>{k}:</dt>
                          <dd>{v}</dd>
                        </div>
                      ))}
                    </dl>
                    <pre className="body mono" aria-label={`Body of request ${r.n}`}>
                      {r.body}
                    </pre>
                    {r.bodyTruncated ? <p className="hint">Body cut at 1 MiB.</p> : null}
                  </div>
                ) : null}
              </li>
            ))}
          </ol>
        )}
      </div>
    </section>
  );
}
