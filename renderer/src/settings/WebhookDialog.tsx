import * as Dialog from '@radix-ui/react-dialog';
import * as Switch from '@radix-ui/react-switch';
import { useState } from 'react';
import type { FormEvent } from 'react';
import type { Webhook, WebhookEventKey, WebhookEvents, WebhookForm } from '../../../preload/contract';
import { api } from '../api';
import { countChars, Field } from '../ui/Field';

const EVENTS: { key: WebhookEventKey; label: string; hint: string }[] = [
  { key: 'online', label: 'Online', hint: 'device.status.online' },
  { key: 'offline', label: 'Offline', hint: 'device.status.offline' },
  { key: 'utilizing', label: 'Utilizing', hint: 'device.state.utilizing' },
  { key: 'unplugged', label: 'Unplugged', hint: 'device.state.unplugged' },
];

const noEvents: WebhookEvents = { online: false, offline: false, utilizing: false, unplugged: false };

/** Create (webhook undefined) or edit. Main validates; its field errors show here and the dialog stays open. */
export function WebhookDialog({ webhook, onClose }: { webhook?: Webhook; onClose: (saved: Webhook | null) => void }) {
  const [form, setForm] = useState<WebhookForm>(() => ({
    name: webhook?.name ?? '',
    url: webhook?.url ?? '',
    description: webhook?.description ?? '',
    events: webhook ? { ...webhook.events } : { ...noEvents, online: true },
  }));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaving(true);
    const result = webhook ? await api.webhooksUpdate({ id: webhook.id, webhook: form }) : await api.webhooksCreate({ webhook: form });
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

  return (
    <Dialog.Root open onOpenChange={(open) => !open && onClose(null)}>
      <Dialog.Portal>
        <Dialog.Overlay className="overlay" />
        <Dialog.Content className="dialog" aria-describedby={undefined}>
          <Dialog.Title>{webhook ? `Edit webhook` : 'Create Webhook'}</Dialog.Title>
          <form onSubmit={submit} noValidate>
            {formError ? (
              <p role="alert" className="error form-error">
                {formError}
              </p>
            ) : null}
            <Field label="Webhook Name" error={errors['name']} hint={`${countChars(form.name.trim())}/50 · must be unique; case matters`}>
              {(props) => <input {...props} type="text" value={form.name} onChange={(e) => set('name', e.target.value)} autoFocus />}
            </Field>
            <Field label="URL" error={errors['url']} hint="Where DeviceHooks sends the callback (http or https)">
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
            <div className="dialog-actions">
              <Dialog.Close type="button" className="button">
                Cancel
              </Dialog.Close>
              <button type="submit" className="button primary" disabled={saving}>
                Save
              </button>
            </div>
          </form>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
