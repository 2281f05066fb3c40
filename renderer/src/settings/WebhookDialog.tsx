import * as Switch from '@radix-ui/react-switch';
import { useEffect, useState } from 'react';
import type { FormEvent } from 'react';
import type { Webhook, WebhookEventKey, WebhookEvents, WebhookForm } from '../../../preload/contract';
import { api } from '../api';
import { countChars, Field } from '../ui/Field';
import { FormDialog } from '../ui/FormDialog';

const EVENTS: { key: WebhookEventKey; label: string; hint: string }[] = [
  { key: 'online', label: 'Online', hint: 'device.status.online' },
  { key: 'offline', label: 'Offline', hint: 'device.status.offline' },
  { key: 'utilizing', label: 'Utilizing', hint: 'device.state.utilizing' },
  { key: 'unplugged', label: 'Unplugged', hint: 'device.state.unplugged' },
];

const noEvents: WebhookEvents = { online: false, offline: false, utilizing: false, unplugged: false };

const PLATFORMS = [
  { key: 'android', label: 'Android' },
  { key: 'ios', label: 'iOS' },
  { key: 'other', label: 'Other USB' },
] as const;

/**
 * One header row. `keepValueOf`: the value shown is not the stored one (not read yet, or the OS keyring
 * cannot open it); unless a new value is typed, saving keeps the stored value of that header.
 */
type HeaderRow = { name: string; value: string; keepValueOf?: string; unreadable?: string };

function toSent(rows: HeaderRow[]): NonNullable<WebhookForm['headers']> {
  return rows
    .filter((h) => h.name.trim() !== '' || h.value !== '' || h.keepValueOf !== undefined)
    .map((h) => (h.keepValueOf !== undefined && h.value === '' ? { name: h.name, keepValueOf: h.keepValueOf } : { name: h.name, value: h.value }));
}

/** `scheme://user:password@host…`: credentials in the URL itself. */
function hasUrlCredentials(url: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/?#\\]*@/i.test(url.trim());
}

/** Create (webhook undefined) or edit. Main validates; its field errors show here and the dialog stays open. */
export function WebhookDialog({
  webhook,
  secretsEncrypted,
  keyringLocked = false,
  onClose,
}: {
  webhook?: Webhook;
  secretsEncrypted: boolean;
  keyringLocked?: boolean;
  onClose: (saved: Webhook | null) => void;
}) {
  const [form, setForm] = useState<WebhookForm>(() => ({
    name: webhook?.name ?? '',
    url: webhook?.url ?? '',
    description: webhook?.description ?? '',
    events: webhook ? { ...webhook.events } : { ...noEvents },
    signing: webhook?.hasSecret ?? false,
  }));
  // Until the values are read, every stored header is kept as it is.
  const [headers, setHeaders] = useState<HeaderRow[]>(() => webhook?.headers.map((h) => ({ name: h.name, value: '', keepValueOf: h.name })) ?? []);
  const [secretUnreadable, setSecretUnreadable] = useState<string | null>(null);
  const [udids, setUdids] = useState((webhook?.scope.udids ?? []).join('\n'));
  const [platforms, setPlatforms] = useState<string[]>(webhook?.scope.platforms ?? []);
  const [secret, setSecret] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);

  // Editing: fetch the header values and secret (admins only; main refuses anyone else).
  useEffect(() => {
    if (!webhook) return;
    let live = true;
    void api.webhooksReveal({ id: webhook.id }).then((result) => {
      if (!live || !result.ok) return;
      setHeaders(
        result.value.headers.map((h) =>
          h.value !== undefined ? { name: h.name, value: h.value } : { name: h.name, value: '', keepValueOf: h.name, ...(h.unreadable ? { unreadable: h.unreadable } : {}) },
        ),
      );
      // The URL with its user name and password (shown masked everywhere else), unless already edited.
      const fullUrl = result.value.url;
      if (fullUrl) setForm((f) => (f.url === webhook.url ? { ...f, url: fullUrl } : f));
      setSecret(result.value.secret ?? null);
      setSecretUnreadable(result.value.secretUnreadable ?? null);
    });
    return () => {
      live = false;
    };
  }, [webhook]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaving(true);
    const scope = { udids: udids.split(/[\s,]+/).filter(Boolean), platforms };
    const sent: WebhookForm = { ...form, scope, headers: toSent(headers) };
    const result = webhook ? await api.webhooksUpdate({ id: webhook.id, webhook: sent }) : await api.webhooksCreate({ webhook: sent });
    setSaving(false);
    if (result.ok) return onClose(result.value);
    if (result.error.code === 'validation') {
      setErrors(result.error.fieldErrors);
      setFormError(result.error.fieldErrors['_'] ?? null);
    } else {
      setErrors({});
      setFormError(result.error.message);
    }
  };

  const set = <K extends keyof WebhookForm>(key: K, value: WebhookForm[K]) => setForm((f) => ({ ...f, [key]: value }));
  const setHeader = (index: number, change: Partial<{ name: string; value: string }>) => setHeaders(headers.map((h, i) => (i === index ? { ...h, ...change } : h)));
  const rotate = async () => {
    if (!webhook) return;
    const result = await api.webhooksRotateSecret({ id: webhook.id });
    if (result.ok) setSecret(result.value.secret);
    else setFormError(result.error.message);
  };
  const copySecret = () => {
    if (secret) void navigator.clipboard.writeText(secret).then(() => setCopied(true));
  };

  return (
    <FormDialog
      title={webhook ? `Edit webhook` : 'Create Webhook'}
      error={formError}
      errorClassName="error form-error"
      submitLabel="Save"
      submitDisabled={saving}
      onSubmit={submit}
      onClose={() => onClose(null)}
    >
      <Field label="Webhook Name" error={errors['name']} hint={`${countChars(form.name.trim())}/50 · must be unique; case matters`}>
        {(props) => <input {...props} type="text" value={form.name} onChange={(e) => set('name', e.target.value)} autoFocus />}
      </Field>
      <Field
        label="URL"
        error={errors['url']}
        hint={
          hasUrlCredentials(form.url)
            ? 'Where DeviceHooks sends the callback. The user name and password in it are kept encrypted and hidden, but a header (below, e.g. Authorization) is the better place for a token.'
            : 'Where DeviceHooks sends the callback (http or https)'
        }
      >
        {(props) => (
          <input {...props} type="url" value={form.url} placeholder="https://example.com/hooks/devices" onChange={(e) => set('url', e.target.value)} />
        )}
      </Field>
      <Field label="Description" error={errors['description']} hint={`${countChars(form.description ?? '')}/512 · optional`}>
        {(props) => <textarea {...props} rows={2} value={form.description ?? ''} onChange={(e) => set('description', e.target.value)} />}
      </Field>
      <fieldset className="events" aria-describedby={errors['events'] ? 'events-error' : undefined}>
        <legend>Events</legend>
        {EVENTS.map(({ key, label, hint }) => (
          <div className="switch-row" key={key}>
            <Switch.Root
              className="switch"
              id={`event-${key}`}
              checked={form.events[key]}
              onCheckedChange={(checked) => set('events', { ...form.events, [key]: checked })}
            >
              <Switch.Thumb className="switch-thumb" />
            </Switch.Root>
            <label htmlFor={`event-${key}`}>{label}</label>
            <span className="hint mono">{hint}</span>
          </div>
        ))}
        {errors['events'] ? (
          <div className="field-error" id="events-error">
            {errors['events']}
          </div>
        ) : null}
      </fieldset>
      <fieldset className="events">
        <legend>Devices</legend>
        <div className="platforms" role="group" aria-label="Platforms">
          {PLATFORMS.map((p) => (
            <label key={p.key}>
              <input
                type="checkbox"
                checked={platforms.includes(p.key)}
                onChange={(e) => setPlatforms((list) => (e.target.checked ? [...list, p.key] : list.filter((x) => x !== p.key)))}
              />{' '}
              {p.label}
            </label>
          ))}
        </div>
        <Field label="Only these UDIDs" error={errors['scope']} hint="One per line. Leave platforms and UDIDs empty for every device.">
          {(props) => <textarea {...props} rows={2} className="mono" value={udids} onChange={(e) => setUdids(e.target.value)} />}
        </Field>
      </fieldset>
      <fieldset className="events">
        <legend>Signing</legend>
        <div className="switch-row">
          <Switch.Root className="switch" id="signing" checked={form.signing ?? false} onCheckedChange={(on) => set('signing', on)}>
            <Switch.Thumb className="switch-thumb" />
          </Switch.Root>
          <label htmlFor="signing">Signing secret</label>
          <span className="hint">Standard Webhooks headers: webhook-id, webhook-timestamp, webhook-signature</span>
        </div>
        {form.signing && webhook?.hasSecret && secret ? (
          <div className="secret">
            <code className="mono" data-testid="signing-secret">
              {secret}
            </code>
            <button type="button" className="button small" onClick={copySecret}>
              {copied ? 'Copied' : 'Copy'}
            </button>
            <button type="button" className="button small" onClick={() => void rotate()}>
              New secret
            </button>
          </div>
        ) : form.signing && webhook?.hasSecret && secretUnreadable ? (
          <div className="secret">
            <p className="field-note" id="secret-unreadable">
              {secretUnreadable} Saving keeps the stored secret.
            </p>
            <button type="button" className="button small" aria-describedby="secret-unreadable" onClick={() => void rotate()}>
              New secret
            </button>
          </div>
        ) : form.signing && !webhook?.hasSecret ? (
          <p className="hint">A secret is made when you save; it is shown here to copy.</p>
        ) : null}
        {errors['signing'] ? <div className="field-error">{errors['signing']}</div> : null}
      </fieldset>
      <fieldset className="events">
        <legend>Custom headers</legend>
        {headers.map((h, i) => (
          <div className="header-row" key={i}>
            <input type="text" aria-label={`Header ${i + 1} name`} placeholder="Authorization" value={h.name} onChange={(e) => setHeader(i, { name: e.target.value })} />
            <input
              type="text"
              aria-label={`Header ${i + 1} value`}
              placeholder={h.keepValueOf !== undefined ? 'Stored value kept' : 'Bearer …'}
              aria-describedby={h.unreadable ? `header-${i}-unreadable` : undefined}
              value={h.value}
              onChange={(e) => setHeader(i, { value: e.target.value })}
            />
            <button type="button" className="button small" aria-label={`Remove header ${i + 1}`} onClick={() => setHeaders(headers.filter((_, j) => j !== i))}>
              Remove
            </button>
            {h.unreadable && h.value === '' ? (
              <p className="field-note" id={`header-${i}-unreadable`}>
                {h.unreadable} Saving keeps the stored value unless you type a new one.
              </p>
            ) : null}
            {errors[`headers.${i}.name`] || errors[`headers.${i}.value`] ? (
              <div className="field-error">{errors[`headers.${i}.name`] ?? errors[`headers.${i}.value`]}</div>
            ) : null}
          </div>
        ))}
        {errors['headers'] ? <div className="field-error">{errors['headers']}</div> : null}
        <button type="button" className="button small" onClick={() => setHeaders([...headers, { name: '', value: '' }])}>
          Add header
        </button>
      </fieldset>
      <p className="hint">
        {keyringLocked
          ? 'The OS keyring is locked: the signing secret and header values it encrypted cannot be read or changed until you unlock it; saving keeps them.'
          : secretsEncrypted
          ? 'The signing secret and header values are stored encrypted by your OS account’s keyring.'
          : 'This computer offers no OS keyring to DeviceHooks: the signing secret and header values are stored in plain text in the data folder.'}
      </p>
    </FormDialog>
  );
}
