import * as DropdownMenu from '@radix-ui/react-dropdown-menu';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, useState } from 'react';
import { EVENT_STATUS, NOT_ALLOWED_MESSAGE, WEBHOOK_EVENT_KEYS } from '../../../preload/contract';
import type { DeliveryAttempt, DeliveryResult, WebhookEventKey } from '../../../preload/contract';
import { api } from '../api';
import { useDeliveryHealth, useWebhooksState } from '../state';
import { AttemptDetail } from './AttemptDetail';
import { EmptyState, Options } from '../ui/bits';

type Filter = 'all' | DeliveryResult;
const FILTER_LABEL: Record<Filter, string> = { all: 'All', success: 'Succeeded', failure: 'Failed', skipped: 'Skipped' };
const EVENTS: { key: WebhookEventKey; label: string }[] = WEBHOOK_EVENT_KEYS.map((key) => ({ key, label: EVENT_STATUS[key] }));

/** Delivery history per webhook: every attempt, live, filterable, each one open to inspect and redeliver. */
export function DeliveriesView({ webhookId, onWebhookChange }: { webhookId: number | null; onWebhookChange: (id: number) => void }) {
  const { value: state, error } = useWebhooksState();
  const health = useDeliveryHealth();
  const [filter, setFilter] = useState<Filter>('all');
  const [attempts, setAttempts] = useState<DeliveryAttempt[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [selectedId, setSelectedId] = useState<number | null>(null);
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const current = webhookId ?? state?.webhooks[0]?.id ?? null;
  const canView = state?.canView ?? false;

  // Loaded again when the webhook, the filter or the active profile's right to see it changes: a profile
  // that may not see deliveries keeps nothing of them, and one that may again gets the attempts made meanwhile.
  useEffect(() => {
    if (!canView) {
      setAttempts([]);
      setSelectedId(null);
      return;
    }
    if (current === null) return;
    let live = true;
    void api.deliveriesList({ webhookId: current, ...(filter !== 'all' ? { result: filter } : {}), limit: 1000 }).then((result) => {
      if (!live) return;
      if (result.ok) {
        setAttempts(result.value);
        setLoadError(null);
      } else setLoadError(result.error.message);
    });
    const stop = api.onDeliveriesAttempt((attempt) => {
      if (attempt.webhookId !== current || (filter !== 'all' && attempt.result !== filter)) return;
      setAttempts((list) => [attempt, ...list.filter((a) => a.id !== attempt.id)]);
    });
    return () => {
      live = false;
      stop();
    };
  }, [current, filter, canView]);

  const scroller = useRef<HTMLDivElement>(null);
  // eslint-disable-next-line react-hooks/incompatible-library -- this build does not use the React Compiler; the virtualizer drives its own re-renders
  const virtualizer = useVirtualizer({ count: attempts.length, getScrollElement: () => scroller.current, estimateSize: () => 40, overscan: 10 });

  if (error) return <p role="alert" className="error">{error}</p>;
  if (!state) return <p className="empty">Loading…</p>;
  if (!state.canView) {
    return (
      <section aria-labelledby="deliveries-title">
        <h1 id="deliveries-title">Deliveries</h1>
        <p role="alert" className="panel">
          {NOT_ALLOWED_MESSAGE}
        </p>
      </section>
    );
  }
  if (state.webhooks.length === 0) {
    return (
      <section aria-labelledby="deliveries-title">
        <h1 id="deliveries-title">Deliveries</h1>
        <EmptyState className="panel" title="No webhooks yet.">
          Create a webhook in Settings › Webhook Settings; every callback it sends is listed here with what came back.
        </EmptyState>
      </section>
    );
  }
  const webhook = state.webhooks.find((w) => w.id === current);
  const selected = attempts.find((a) => a.id === selectedId) ?? null;

  const sendTest = async (event: WebhookEventKey) => {
    if (current === null) return;
    const result = await api.deliveriesSendTest({ webhookId: current, event });
    if (!result.ok) setMessage({ kind: 'error', text: result.error.message });
    else {
      const a = result.value;
      setMessage({ kind: a.result === 'success' ? 'ok' : 'error', text: `Test event sent: ${a.result === 'success' ? `HTTP ${a.response?.status ?? ''}` : (a.errorLabel ?? 'failed')} in ${Math.round(a.latencyMs)} ms.` });
      setSelectedId(a.id);
    }
  };
  const redeliver = async (attempt: DeliveryAttempt) => {
    const result = await api.deliveriesRedeliver({ deliveryId: attempt.deliveryId });
    setMessage(result.ok ? { kind: 'ok', text: 'Queued again: it goes out after the device’s earlier callbacks.' } : { kind: 'error', text: result.error.message });
  };

  return (
    <section aria-labelledby="deliveries-title" className="deliveries">
      <h1 id="deliveries-title">Deliveries</h1>
      <div className="toolbar">
        <label>
          Webhook{' '}
          <select value={current ?? ''} onChange={(e) => onWebhookChange(Number(e.target.value))} aria-label="Webhook">
            <Options items={state.webhooks} />
          </select>
        </label>
        <fieldset className="segmented" aria-label="Show">
          {(['all', 'success', 'failure', 'skipped'] as const).map((f) => (
            <label key={f} className={filter === f ? 'active' : ''}>
              <input type="radio" name="result-filter" value={f} checked={filter === f} onChange={() => setFilter(f)} />
              {FILTER_LABEL[f]}
            </label>
          ))}
        </fieldset>
        {/* Not modal: a modal menu hides the rest of the page with aria-hidden while it stays focusable. */}
        <DropdownMenu.Root modal={false}>
          <DropdownMenu.Trigger className="button primary" disabled={!state.canModify}>
            Send test event
          </DropdownMenu.Trigger>
          <DropdownMenu.Portal>
            <DropdownMenu.Content className="menu" align="end" sideOffset={6}>
              {EVENTS.map((e) => (
                <DropdownMenu.Item key={e.key} className="menu-item" onSelect={() => void sendTest(e.key)}>
                  {e.label}
                </DropdownMenu.Item>
              ))}
            </DropdownMenu.Content>
          </DropdownMenu.Portal>
        </DropdownMenu.Root>
      </div>
      {webhook && (!webhook.enabled || webhook.paused) ? (
        <p className="readonly-note" role="note">
          {!webhook.enabled ? `Disabled. ${webhook.disabledReason ?? ''}` : `Paused. ${webhook.pausedReason ?? ''}`} Events still queue; resume it in Webhook Settings.
        </p>
      ) : null}
      {current !== null && health.get(current)?.secretUnavailable ? (
        <p className="readonly-note" role="note">
          Waiting — secret unavailable. {health.get(current)?.secretUnavailable} Callbacks stay queued ({health.get(current)?.pending ?? 0} waiting) and go out in order once the OS keyring can be
          read.
        </p>
      ) : null}
      {message ? (
        <p role={message.kind === 'error' ? 'alert' : 'status'} className={message.kind === 'error' ? 'callout error-callout' : 'callout'}>
          {message.text}
        </p>
      ) : null}
      {loadError ? <p role="alert" className="error">{loadError}</p> : null}
      <div className="split">
        <div className="panel list-panel">
          {attempts.length === 0 ? (
            <EmptyState title={`No deliveries${filter === 'all' ? '' : ' with this result'} yet.`}>Plug in a device, or use Send test event.</EmptyState>
          ) : (
            <div ref={scroller} className="virtual-scroller" role="list" aria-label="Delivery attempts">
              <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
                {virtualizer.getVirtualItems().map((item) => {
                  const a = attempts[item.index];
                  if (!a) return null;
                  return (
                    <div
                      key={a.id}
                      role="listitem"
                      className="virtual-row"
                      style={{ transform: `translateY(${item.start}px)`, height: item.size }}
                    >
                      <button type="button" className={`attempt-row${a.id === selectedId ? ' selected' : ''}`} onClick={() => setSelectedId(a.id)}>
                        <span className={`result result-${a.result}`}>
                          {a.result === 'success' ? `HTTP ${a.response?.status ?? ''}` : a.result === 'skipped' ? 'Skipped' : (a.errorLabel ?? 'Failed')}
                        </span>
                        <span className="mono">{new Date(a.at).toLocaleTimeString()}</span>
                        <span className="hint">{Math.round(a.latencyMs)} ms</span>
                        <span className="hint">
                          {a.test ? 'test' : `#${a.seq}`} · {a.result === 'skipped' ? 'not sent' : `try ${a.attempt}`}
                        </span>
                        <span className="hint mono ellipsis">{a.udid}</span>
                      </button>
                    </div>
                  );
                })}
              </div>
            </div>
          )}
        </div>
        <div className="panel detail-panel">
          {selected ? (
            <AttemptDetail attempt={selected} canRedeliver={state.canModify} onRedeliver={() => void redeliver(selected)} />
          ) : (
            <p className="empty">Choose an attempt to see the request that went out and the response that came back.</p>
          )}
        </div>
      </div>
    </section>
  );
}
