import { useState } from 'react';
import type { FormEvent } from 'react';
import { api } from '../api';
import { useLocalApiInfo } from '../state';
import { Field } from '../ui/Field';
import { OptionalDetail, SubmitRow } from '../ui/bits';

export function LocalApiTab() {
  const { value: info, error } = useLocalApiInfo();
  const [port, setPort] = useState<string | null>(null);
  const [fieldError, setFieldError] = useState<string | undefined>(undefined);
  const [copied, setCopied] = useState(false);
  if (error) return <p role="alert" className="error">{error}</p>;
  if (!info) return <p className="empty">Loading…</p>;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const value = Number(port ?? info.configuredPort);
    const result = await api.localApiSetPort({ port: Number.isFinite(value) ? value : -1 });
    if (result.ok) {
      setPort(null);
      setFieldError(undefined);
    } else setFieldError(result.error.code === 'validation' ? (result.error.fieldErrors['port'] ?? result.error.message) : result.error.message);
  };
  const copy = async () => {
    await navigator.clipboard.writeText(info.token).then(
      () => setCopied(true),
      () => setCopied(false),
    );
  };
  const base = info.url ?? `http://127.0.0.1:${info.configuredPort}`;

  return (
    <section aria-labelledby="local-api-title" className="panel">
      <h2 id="local-api-title">Local API</h2>
      <p className="empty">
        Test runners on this computer can reserve a device (it turns Utilizing), renew and release it over HTTP. The API listens on 127.0.0.1 only
        and needs the token below.
      </p>
      <dl className="facts">
        <dt>Status</dt>
        <dd>
          <span role="status">{info.running ? `Listening on ${info.url}` : 'Not running'}</span>
        </dd>
        <OptionalDetail term="Problem" value={info.error} className="error" />
        <dt>Token</dt>
        <dd>
          {info.canManage ? (
            <>
              <code className="mono" data-testid="api-token">
                {info.token}
              </code>{' '}
              <button type="button" className="button small" onClick={copy}>
                {copied ? 'Copied' : 'Copy'}
              </button>{' '}
              <button type="button" className="button small" onClick={() => void api.localApiNewToken()}>
                New token
              </button>
            </>
          ) : (
            <span className="hint">Only an Admin can see the token.</span>
          )}
        </dd>
      </dl>
      {info.canManage ? (
        <form onSubmit={submit} noValidate className="narrow-form inline-form">
          <Field label="Port" error={fieldError} hint="0 picks any free port at each start">
            {(props) => <input {...props} type="text" inputMode="numeric" value={port ?? String(info.configuredPort)} onChange={(e) => setPort(e.target.value)} />}
          </Field>
          <SubmitRow label="Save port" />
        </form>
      ) : null}
      <h3>Example</h3>
      <pre className="example mono">{`curl -X POST ${base}/v1/devices/<UDID>/reservation \\
  -H "Authorization: Bearer <token>" -H "Content-Type: application/json" \\
  -d '{"ttlSeconds": 900, "by": "ci-runner-7"}'
# → 201 {"udid": …, "token": "<reservation token>", "expiresAt": …}
# renew:   PUT    …/reservation  with header X-Reservation-Token and {"ttlSeconds": 900}
# release: DELETE …/reservation  with header X-Reservation-Token`}</pre>
    </section>
  );
}
