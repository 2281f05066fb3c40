import { useState } from 'react';
import { EVENT_STATUS, WEBHOOK_EVENT_KEYS } from '../../../preload/contract';
import type { ImportProblem, Webhook } from '../../../preload/contract';
import { api } from '../api';
import { Sparkline } from '../deliveries/Sparkline';
import { useNavigation } from '../nav';
import { useDeliveryHealth, useWebhooksState } from '../state';
import { OrphansNotice } from './OrphansNotice';
import { ConfirmDialog } from '../ui/ConfirmDialog';
import { WebhookDialog } from './WebhookDialog';
import { EmptyState, TableHead } from '../ui/bits';


type Editing = { mode: 'create' } | { mode: 'edit'; webhook: Webhook } | null;
type Message = { kind: 'ok' | 'error'; text: string; problems?: ImportProblem[] } | null;

export function WebhookSettings() {
  const { value: state, error } = useWebhooksState();
  const [editing, setEditing] = useState<Editing>(null);
  const [deleting, setDeleting] = useState<Webhook | null>(null);
  const [deleteError, setDeleteError] = useState<string | null>(null);
  const [message, setMessage] = useState<Message>(null);
  const health = useDeliveryHealth();
  const nav = useNavigation();

  if (error) return <p role="alert" className="error">{error}</p>;
  if (!state) return <p className="empty">Loading webhooks…</p>;
  const { canModify } = state;

  const exportAll = async () => {
    const result = await api.webhooksExport();
    if (!result.ok) return setMessage({ kind: 'error', text: result.error.message });
    if (result.value.status === 'saved') setMessage({ kind: 'ok', text: `Exported ${result.value.count} webhook(s) to ${result.value.file}` });
  };
  const importFile = async () => {
    const result = await api.webhooksImport();
    if (!result.ok) return setMessage({ kind: 'error', text: result.error.message });
    const outcome = result.value;
    if (outcome.status === 'imported') setMessage({ kind: 'ok', text: `Imported ${outcome.count} webhook(s) from ${outcome.file}` });
    else if (outcome.status === 'refused')
      setMessage({ kind: 'error', text: `Nothing was imported from ${outcome.file}: fix these and try again.`, problems: outcome.problems });
  };
  const confirmDelete = async () => {
    if (!deleting) return;
    const result = await api.webhooksRemove({ id: deleting.id });
    if (result.ok) {
      setDeleting(null);
      setDeleteError(null);
    } else setDeleteError(result.error.message);
  };

  return (
    <section aria-labelledby="webhook-settings-title" className="panel">
      <div className="panel-head">
        <h2 id="webhook-settings-title">Webhooks</h2>
        <div className="actions">
          <button type="button" className="button" onClick={importFile} disabled={!canModify}>
            Import…
          </button>
          <button type="button" className="button" onClick={exportAll} disabled={state.webhooks.length === 0}>
            Export…
          </button>
          <button type="button" className="button primary" onClick={() => setEditing({ mode: 'create' })} disabled={!canModify}>
            Create Webhook
          </button>
        </div>
      </div>
      {state.readOnlyReason ? (
        <p className="readonly-note" role="note">
          Read only. {state.readOnlyReason}
        </p>
      ) : null}
      <OrphansNotice canModify={canModify} />
      {message ? (
        <div role={message.kind === 'error' ? 'alert' : 'status'} className={message.kind === 'error' ? 'callout error-callout' : 'callout'}>
          <p>{message.text}</p>
          {message.problems ? (
            <ul>
              {message.problems.map((p, i) => (
                <li key={i}>
                  {p.index === null ? 'File' : `Entry ${p.index + 1}`} · {p.field}: {p.message}
                </li>
              ))}
            </ul>
          ) : null}
          <button type="button" className="button ghost small" onClick={() => setMessage(null)}>
            Dismiss
          </button>
        </div>
      ) : null}
      {state.webhooks.length === 0 ? (
        <EmptyState title="No webhooks yet.">
          {canModify ? 'Create one to receive a callback when a device goes Online, Offline, Utilizing or Unplugged.' : 'An admin can create webhooks here.'}
        </EmptyState>
      ) : (
        <table className="table" aria-labelledby="webhook-settings-title">
          <TableHead columns={['Name', 'ID', 'URL', 'Events', 'Description', 'Recent deliveries']} />
          <tbody>
            {state.webhooks.map((webhook) => (
              <tr key={webhook.id}>
                <th scope="row" className="name-cell">
                  <span id={`webhook-${webhook.id}-name`}>{webhook.name}</span>
                  {!webhook.enabled ? <span className="badge badge-disabled">disabled</span> : null}
                  {webhook.enabled && webhook.paused ? <span className="badge badge-paused">paused</span> : null}
                  {webhook.hasSecret ? <span className="badge">signed</span> : null}
                  {health.get(webhook.id)?.secretUnavailable ? (
                    <>
                      <span className="badge badge-paused">Waiting — secret unavailable</span>
                      <div className="hint">{health.get(webhook.id)?.secretUnavailable} Its callbacks stay queued and go out once the OS keyring can be read.</div>
                    </>
                  ) : null}
                  {!webhook.enabled && webhook.disabledReason ? <div className="hint">{webhook.disabledReason}</div> : null}
                  {webhook.enabled && webhook.paused && webhook.pausedReason ? <div className="hint">{webhook.pausedReason}</div> : null}
                </th>
                <td className="mono" title="The webhookId in this webhook's callbacks">
                  {webhook.id}
                </td>
                <td className="mono url-cell">{webhook.url}</td>
                <td>
                  <ul className="chips" aria-label={`Events of ${webhook.name}`}>
                    {WEBHOOK_EVENT_KEYS
                      .filter((k) => webhook.events[k])
                      .map((k) => (
                        <li key={k} className={`chip chip-${k}`}>
                          {EVENT_STATUS[k]}
                        </li>
                      ))}
                  </ul>
                </td>
                <td className="desc-cell">{webhook.description}</td>
                <td>
                  <Sparkline results={health.get(webhook.id)?.recent ?? []} label={webhook.name} />
                  {health.get(webhook.id)?.pending ? <div className="hint">{health.get(webhook.id)?.pending} waiting</div> : null}
                  {health.get(webhook.id)?.refused ? (
                    <div className="error">Queue full: {health.get(webhook.id)?.refused} new callbacks refused</div>
                  ) : null}
                </td>
                <td className="row-actions">
                  {!webhook.enabled ? (
                    <button type="button" className="button small" aria-describedby={`webhook-${webhook.id}-name`} disabled={!canModify} onClick={() => void api.webhooksSetEnabled({ id: webhook.id, enabled: true })}>
                      Enable
                    </button>
                  ) : webhook.paused ? (
                    <button type="button" className="button small" aria-describedby={`webhook-${webhook.id}-name`} disabled={!canModify} onClick={() => void api.webhooksResume({ id: webhook.id })}>
                      Resume
                    </button>
                  ) : null}
                  <button type="button" className="button small" aria-describedby={`webhook-${webhook.id}-name`} onClick={() => nav.showDeliveries(webhook.id)}>
                    Deliveries
                  </button>
                  <button type="button" className="button small" aria-describedby={`webhook-${webhook.id}-name`} onClick={() => setEditing({ mode: 'edit', webhook })} disabled={!canModify}>
                    Edit
                  </button>
                  <button type="button" className="button small" aria-describedby={`webhook-${webhook.id}-name`} onClick={() => setDeleting(webhook)} disabled={!canModify}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editing ? (
        <WebhookDialog
          {...(editing.mode === 'edit' ? { webhook: editing.webhook } : {})}
          secretsEncrypted={state.secretsEncrypted}
          keyringLocked={state.keyringLocked}
          onClose={(saved) => {
            setEditing(null);
            if (saved) {
              setMessage({ kind: 'ok', text: `Saved “${saved.name}”.` });
              // A new signing secret is shown once, in the edit dialog, to copy.
              if (saved.hasSecret && (editing.mode === 'create' || !editing.webhook.hasSecret)) setEditing({ mode: 'edit', webhook: saved });
            }
          }}
        />
      ) : null}
      <ConfirmDialog
        open={deleting !== null}
        title="Delete webhook?"
        description={`“${deleting?.name ?? ''}” will stop receiving callbacks. Its id is never reused.`}
        confirmLabel="Delete"
        error={deleteError}
        onConfirm={() => void confirmDelete()}
        onCancel={() => {
          setDeleting(null);
          setDeleteError(null);
        }}
      />
    </section>
  );
}
