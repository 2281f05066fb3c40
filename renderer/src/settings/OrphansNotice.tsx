import { useEffect, useState } from 'react';
import type { OrphanInfo } from '../../../preload/contract';
import { api } from '../api';

/**
 * Callbacks held for webhooks that are no longer defined (webhooks.json was set aside): Restore puts the
 * set-aside file's webhooks back with their ids; Discard ends the callbacks unsent.
 */
export function OrphansNotice({ canModify }: { canModify: boolean }) {
  const [info, setInfo] = useState<OrphanInfo | null>(null);
  const [result, setResult] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let live = true;
    const load = () =>
      void api.deliveriesOrphans().then((r) => {
        if (live && r.ok) setInfo(r.value);
      });
    load();
    const stop = api.onWebhooksChanged(load);
    return () => {
      live = false;
      stop();
    };
  }, []);

  const act = async (what: 'restore' | 'discard') => {
    setBusy(true);
    if (what === 'restore') {
      const r = await api.deliveriesRestoreOrphans();
      setResult(r.ok ? { kind: 'ok', text: r.value.message } : { kind: 'error', text: r.error.message });
    } else {
      const r = await api.deliveriesDiscardOrphans();
      setResult(r.ok ? { kind: 'ok', text: `Discarded ${r.value.discarded} callback(s); they are in the history as not sent.` } : { kind: 'error', text: r.error.message });
    }
    const again = await api.deliveriesOrphans();
    if (again.ok) setInfo(again.value);
    setBusy(false);
  };

  return (
    <>
      {info && info.count > 0 ? (
        <div role="alert" className="callout error-callout">
          <p>
            {info.count} callback{info.count === 1 ? '' : 's'} wait{info.count === 1 ? 's' : ''} for webhooks that are no longer defined (
            {info.webhookIds.map((id) => `ID ${id}`).join(', ')}). They are kept until you choose.
            {info.setAside ? ` Restore takes those webhooks back, with their IDs, from ${info.setAside}.` : ' No set-aside webhooks.json was found to restore from.'}
          </p>
          <button type="button" className="button small" disabled={!canModify || busy || !info.setAside} onClick={() => void act('restore')}>
            Restore
          </button>{' '}
          <button type="button" className="button small" disabled={!canModify || busy} onClick={() => void act('discard')}>
            Discard
          </button>
        </div>
      ) : null}
      {result ? (
        <p role={result.kind === 'error' ? 'alert' : 'status'} className={result.kind === 'error' ? 'callout error-callout' : 'callout'}>
          {result.text}
        </p>
      ) : null}
    </>
  );
}
