import * as Switch from '@radix-ui/react-switch';
import { useEffect, useState } from 'react';
import type { FormEvent } from 'react';
import type { GeneralInfo, GeneralSettings } from '../../../preload/contract';
import { api } from '../api';
import { Field } from '../ui/Field';
import { FormError } from '../ui/FormDialog';
import { SubmitRow } from '../ui/bits';

function useGeneral() {
  const [info, setInfo] = useState<GeneralInfo | null>(null);
  useEffect(() => {
    void api.settingsGeneral().then((r) => r.ok && setInfo(r.value));
    return api.onSettingsChanged(setInfo);
  }, []);
  return [info, setInfo] as const;
}

const NOTIFICATIONS: { key: keyof GeneralSettings['notifications']; label: string }[] = [
  { key: 'deviceOffline', label: 'A device goes offline' },
  { key: 'deviceUnplugged', label: 'A device is unplugged' },
  { key: 'webhookPaused', label: 'A webhook pauses after repeated failures' },
  { key: 'deliveryFailed', label: 'A callback fails for good' },
  { key: 'deviceBattery', label: 'A device battery is low and not charging, or hot' },
];

const DEBOUNCE: { key: keyof GeneralSettings['debounce']; label: string; hint: string }[] = [
  { key: 'onlineMs', label: 'Online counts after (ms)', hint: 'default 500' },
  { key: 'offlineMs', label: 'Offline counts after (ms)', hint: 'default 2000' },
  { key: 'unpluggedMs', label: 'Unplugged counts after (ms)', hint: 'default 3000' },
  { key: 'settleMs', label: 'Settle after adb or usbmuxd restarts (ms)', hint: 'default 5000' },
];

/** The other device limits: the draft's key, main's error key, and where the saved value lives. */
const DEVICE_LIMITS: { key: string; errorKey: string; label: string; hint: string; current: (settings: GeneralSettings) => number }[] = [
  {
    key: 'deviceRetentionDays',
    errorKey: 'deviceRetentionDays',
    label: 'Forget devices unplugged for more than (days)',
    hint: 'default 30; a device that comes back later gets a new row, its event numbers continue',
    current: (settings) => settings.deviceRetentionDays,
  },
  {
    key: 'lowPercent',
    errorKey: 'battery.lowPercent',
    label: 'Battery low at or below (%)',
    hint: 'default 15; notifies once when a device is this low and not charging',
    current: (settings) => settings.battery.lowPercent,
  },
  { key: 'hotC', errorKey: 'battery.hotC', label: 'Battery hot at or above (°C)', hint: 'default 45; Android reports the temperature', current: (settings) => settings.battery.hotC },
];

const LIMITS: { key: keyof GeneralSettings['delivery']; label: string; hint: string }[] = [
  { key: 'timeoutSeconds', label: 'Timeout per attempt (seconds)', hint: '1–120; default 10' },
  { key: 'pauseAfterFailures', label: 'Pause a webhook after this many failures in a row', hint: 'default 20' },
  { key: 'maxQueued', label: 'Callbacks kept waiting at most', hint: 'per webhook; default 100,000' },
  { key: 'historyEntries', label: 'Delivery attempts kept in the history', hint: 'default 50,000' },
  { key: 'historyMegabytes', label: 'History size on disk at most (MB)', hint: 'default 256' },
  { key: 'retryHorizonHours', label: 'Retry a failing callback for (hours)', hint: '1–720; default 72 (3 days); time paused or waiting does not count' },
];

export function GeneralTab() {
  const [info, setInfo] = useGeneral();
  const [draft, setDraft] = useState<GeneralSettings | null>(null);
  const [limits, setLimits] = useState<Record<string, string> | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [status, setStatus] = useState<string | null>(null);
  if (!info) return <p className="empty">Loading…</p>;
  const current = draft ?? info.settings;
  const disabled = !info.canManage;

  const save = async (next: GeneralSettings) => {
    setDraft(next);
    const result = await api.settingsUpdateGeneral(next);
    if (result.ok) {
      setInfo(result.value);
      setDraft(null);
      setErrors({});
      setStatus('Saved.');
    } else {
      setErrors(result.error.code === 'validation' ? result.error.fieldErrors : { _: result.error.message });
      setStatus(null);
    }
  };
  const toggle = (change: Partial<GeneralSettings>) => void save({ ...current, ...change });
  const submitLimits = (event: FormEvent) => {
    event.preventDefault();
    const number = (raw: string | undefined, fallback: number) => (raw === undefined ? fallback : raw.trim() === '' ? NaN : Number(raw));
    const delivery = { ...current.delivery };
    for (const { key } of LIMITS) delivery[key] = number(limits?.[key], delivery[key]);
    const debounce = { ...current.debounce };
    for (const { key } of DEBOUNCE) debounce[key] = number(limits?.[key], debounce[key]);
    const deviceRetentionDays = number(limits?.deviceRetentionDays, current.deviceRetentionDays);
    const battery = { lowPercent: number(limits?.lowPercent, current.battery.lowPercent), hotC: number(limits?.hotC, current.battery.hotC) };
    const appiumUrls =
      limits?.appiumUrls === undefined
        ? current.appiumUrls
        : limits.appiumUrls
            .split('\n')
            .map((line) => line.trim())
            .filter((line) => line !== '');
    void save({ ...current, delivery, debounce, deviceRetentionDays, battery, appiumUrls });
  };

  return (
    <section aria-labelledby="general-title" className="panel">
      <h2 id="general-title">General</h2>
      {disabled ? (
        <p className="readonly-note" role="note">
          Read only: only an Admin can change the general settings.
        </p>
      ) : null}
      <FormError error={errors['_']} />
      <div className="permission-list">
        <div className="switch-row">
          <Switch.Root className="switch" id="start-at-login" checked={current.startAtLogin} disabled={disabled} onCheckedChange={(on) => toggle({ startAtLogin: on })}>
            <Switch.Thumb className="switch-thumb" />
          </Switch.Root>
          <label htmlFor="start-at-login">Start at login</label>
        </div>
        <div className="switch-row">
          <Switch.Root className="switch" id="start-hidden" checked={current.startHidden} disabled={disabled} onCheckedChange={(on) => toggle({ startHidden: on })}>
            <Switch.Thumb className="switch-thumb" />
          </Switch.Root>
          <label htmlFor="start-hidden">Start hidden in the tray</label>
        </div>
        <p className="hint">Closing the window keeps DeviceHooks running in the tray; quit from the tray icon or the app menu.</p>
      </div>
      <h3>Notifications</h3>
      <div className="permission-list" role="group" aria-label="Notifications">
        {NOTIFICATIONS.map(({ key, label }) => (
          <div className="switch-row" key={key}>
            <Switch.Root
              className="switch"
              id={`notify-${key}`}
              checked={current.notifications[key]}
              disabled={disabled}
              onCheckedChange={(on) => toggle({ notifications: { ...current.notifications, [key]: on } })}
            >
              <Switch.Thumb className="switch-thumb" />
            </Switch.Root>
            <label htmlFor={`notify-${key}`}>{label}</label>
          </div>
        ))}
        <p className="hint">A burst of events makes one summary notification, not one each.</p>
      </div>
      <form onSubmit={submitLimits} noValidate className="narrow-form">
        <h3>Devices</h3>
        <p className="hint">A new status counts only after it has held this long, so a replug or a hub reset sends nothing.</p>
        {DEBOUNCE.map(({ key, label, hint }) => (
          <NumberField key={key} label={label} hint={hint} error={errors[`debounce.${key}`]} disabled={disabled} value={limits?.[key] ?? String(current.debounce[key])} onChange={(v) => setLimits((l) => ({ ...(l ?? {}), [key]: v }))} />
        ))}
        {DEVICE_LIMITS.map(({ key, errorKey, label, hint, current: value }) => (
          <NumberField key={key} label={label} hint={hint} error={errors[errorKey]} disabled={disabled} value={limits?.[key] ?? String(value(current))} onChange={(v) => setLimits((l) => ({ ...(l ?? {}), [key]: v }))} />
        ))}
        <h3>Appium</h3>
        <Field
          label="Appium servers (one URL per line)"
          hint="Devices in a session on these servers are Utilizing. Appium 3 lists its sessions only when started with --allow-insecure=*:session_discovery."
          error={Object.entries(errors).find(([k]) => k === 'appiumUrls' || k.startsWith('appiumUrls.'))?.[1]}
        >
          {(props) => (
            <textarea
              {...props}
              rows={3}
              disabled={disabled}
              value={limits?.appiumUrls ?? current.appiumUrls.join('\n')}
              onChange={(e) => setLimits((l) => ({ ...(l ?? {}), appiumUrls: e.target.value }))}
            />
          )}
        </Field>
        <h3>Delivery</h3>
        {LIMITS.map(({ key, label, hint }) => (
          <NumberField key={key} label={label} hint={hint} error={errors[`delivery.${key}`]} disabled={disabled} value={limits?.[key] ?? String(current.delivery[key])} onChange={(v) => setLimits((l) => ({ ...(l ?? {}), [key]: v }))} />
        ))}
        <SubmitRow label="Save limits" disabled={disabled}>
          {status ? <span role="status">{status}</span> : null}
        </SubmitRow>
        {info.restartNeeded ? (
          <p className="readonly-note" role="note">
            The new limits apply when DeviceHooks next starts.
          </p>
        ) : null}
      </form>
    </section>
  );
}

/** A number typed as text: main decides whether it is acceptable and says why next to the field. */
function NumberField({
  label,
  hint,
  error,
  disabled,
  value,
  onChange,
}: {
  label: string;
  hint: string;
  error: string | undefined;
  disabled: boolean;
  value: string;
  onChange: (value: string) => void;
}) {
  return (
    <Field label={label} hint={hint} error={error}>
      {(props) => <input {...props} type="text" inputMode="numeric" disabled={disabled} value={value} onChange={(e) => onChange(e.target.value)} />}
    </Field>
  );
}
