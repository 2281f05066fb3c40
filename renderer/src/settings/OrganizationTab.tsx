import { useState } from 'react';
import type { FormEvent } from 'react';
import type { Org } from '../../../preload/contract';
import { api } from '../api';
import { useWebhooksState } from '../state';
import { Field } from '../ui/Field';
import { FormError } from '../ui/FormDialog';
import { SubmitRow } from '../ui/bits';

export function OrganizationTab() {
  const { value: state, error } = useWebhooksState();
  const [status, setStatus] = useState<string | null>(null);
  if (error) return <p role="alert" className="error">{error}</p>;
  if (!state) return <p className="empty">Loading…</p>;
  // Re-mount the form when main's values change (another window, an import), so it shows what is saved.
  return (
    <OrganizationForm
      key={`${state.org.id}:${state.org.name}`}
      org={state.org}
      canModify={state.canModify}
      reason={state.readOnlyReason}
      status={status}
      setStatus={setStatus}
    />
  );
}

function OrganizationForm({
  org,
  canModify,
  reason,
  status,
  setStatus,
}: {
  org: Org;
  canModify: boolean;
  reason: string | null;
  status: string | null;
  setStatus: (status: string | null) => void;
}) {
  const [id, setId] = useState(String(org.id));
  const [name, setName] = useState(org.name);
  const [errors, setErrors] = useState<Record<string, string>>({});

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setStatus(null);
    // Send what was typed; main decides whether it is a positive whole number.
    const asNumber = id.trim() === '' ? NaN : Number(id);
    const result = await api.orgUpdate({ id: Number.isFinite(asNumber) ? asNumber : id, name });
    if (result.ok) {
      setErrors({});
      setStatus('Saved.');
    } else if (result.error.code === 'validation') setErrors(result.error.fieldErrors);
    else setErrors({ _: result.error.message });
  };

  return (
    <section aria-labelledby="org-title" className="panel">
      <h2 id="org-title">Organization</h2>
      {reason ? (
        <p className="readonly-note" role="note">
          Read only. {reason}
        </p>
      ) : null}
      <form onSubmit={submit} noValidate className="narrow-form">
        <FormError error={errors['_']} />
        <Field label="Organization ID" error={errors['id']} hint="A positive whole number, sent as orgId in every callback">
          {(props) => <input {...props} type="text" inputMode="numeric" value={id} onChange={(e) => setId(e.target.value)} disabled={!canModify} />}
        </Field>
        <Field label="Organization name" error={errors['name']}>
          {(props) => <input {...props} type="text" value={name} onChange={(e) => setName(e.target.value)} disabled={!canModify} />}
        </Field>
        <SubmitRow label="Save" disabled={!canModify}>
          {status ? <span role="status">{status}</span> : null}
        </SubmitRow>
      </form>
    </section>
  );
}
