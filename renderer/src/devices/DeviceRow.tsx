// One device's row in the devices table (status, battery, Appium session, in-use mark, visibility, its
// timeline) and the Mark in use dialog; with the small labels they show (ago(), which DevicesView.tsx
// also uses for sources).
import { FormDialog } from '../ui/FormDialog';
import { useId, useState } from 'react';
import type { FormEvent } from 'react';
import { DEVICE_VISIBILITIES } from '../../../preload/contract';
import type { Device, DevicesState, DeviceVisibility } from '../../../preload/contract';
import { api } from '../api';
import { Field } from '../ui/Field';
import { Timeline } from './Timeline';

const PLATFORM_LABELS: Record<Device['platform'], string> = { android: 'Android', ios: 'iOS', other: 'USB' };

export function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} h`;
  return `${Math.round(h / 24)} d`;
}

/** "67 % · charging · 31.2 °C", and Android's health word when it is not Good. */
function BatteryCell({ battery }: { battery: Device['battery'] }) {
  if (!battery || (battery.level === null && battery.charging === null)) return <span className="hint">—</span>;
  const parts = [battery.level === null ? null : `${battery.level} %`, battery.charging === null ? null : battery.charging ? 'charging' : 'not charging', battery.temperatureC === null ? null : `${battery.temperatureC} °C`];
  const warn = battery.health !== null && battery.health !== 'Good' && battery.health !== 'Unknown';
  return (
    <>
      <div>{parts.filter((p) => p !== null).join(' · ')}</div>
      {warn ? <div className="battery-health">{battery.health}</div> : null}
    </>
  );
}

/** `:4723` for a server on this machine, `10.0.0.2:4723/wd/hub` for another. */
export function serverLabel(url: string): string {
  try {
    const u = new URL(url);
    const local = u.hostname === '127.0.0.1' || u.hostname === 'localhost' || u.hostname === '[::1]';
    const port = u.port || (u.protocol === 'https:' ? '443' : '80');
    return `${local ? '' : u.hostname}:${port}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return url;
  }
}

/** "Appium session 3f2a… on :4723 since 10:02" */
function sessionLabel(session: { id: string; server: string; since: number }): string {
  const at = new Date(session.since).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return `Appium session ${session.id.slice(0, 4)}… on ${serverLabel(session.server)} since ${at}`;
}

export function DeviceRow({
  device,
  state,
  now,
  error,
  onMark,
  onRelease,
  onVisibility,
  onForget,
}: {
  device: Device;
  state: DevicesState;
  now: number;
  error: string | undefined;
  onMark: () => void;
  onRelease: () => void;
  onVisibility: (v: DeviceVisibility | null) => void;
  onForget: () => void;
}) {
  const status = device.status ?? device.pending?.to ?? null;
  // Row buttons are named by their visible words; the row's device is their description.
  const nameId = useId();
  // A reservation holds it (a session alone cannot be released from here: it ends on its Appium server).
  const reserved = device.inUse !== undefined && (device.inUse.reserved === true || device.inUse.session === undefined);
  return (
    <tr aria-label={device.name}>
      <th scope="row">
        <div className="device-name" id={nameId}>
          {device.name}
        </div>
        {error ? (
          <div className="field-error" role="alert">
            {error}
          </div>
        ) : null}
      </th>
      <td>
        <span className={`status status-${(status ?? 'pending').toLowerCase()}`} data-testid="status">
          {device.status ?? 'Settling…'}
        </span>
        <div className="hint">
          {device.status ? `for ${ago(now - device.since)}` : ''}
          {device.pending && device.status ? ` · going ${device.pending.to}` : ''}
        </div>
        {device.flapping ? (
          <div className="flapping" data-testid="flapping">
            <strong>Flapping</strong>
            {device.flapping.port ? ` on USB port ${device.flapping.port}` : ''}
            {device.flapping.hub ? ` (hub ${device.flapping.hub})` : ''}
            <span className="hint"> · {device.flapping.changes} changes in 10 min; holds doubled</span>
          </div>
        ) : null}
      </td>
      <td className="mono udid">{device.udid}</td>
      <td>{PLATFORM_LABELS[device.platform]}</td>
      <td>{connectionLabel(device)}</td>
      <td>
        <select
          aria-label={`Visibility of ${device.name}`}
          value={device.visibility}
          disabled={!state.canChangeVisibility}
          onChange={(e) => onVisibility(e.target.value === 'default' ? null : (e.target.value as DeviceVisibility))}
        >
          {DEVICE_VISIBILITIES.map((v) => (
            <option key={v} value={v}>
              {v}
            </option>
          ))}
        </select>
        {device.visibility === 'Public' ? <div className="hint">sends no events</div> : null}
      </td>
      <td>
        <BatteryCell battery={device.battery} />
      </td>
      <td>
        {device.inUse ? (
          <>
            {reserved ? <div>{device.inUse.by ?? 'someone'}</div> : null}
            {reserved && device.inUse.note ? <div className="hint">{device.inUse.note}</div> : null}
            {reserved && device.inUse.until ? <div className="hint">until {new Date(device.inUse.until).toLocaleTimeString()}</div> : null}
            {device.inUse.session ? <div title={device.inUse.session.id}>{sessionLabel(device.inUse.session)}</div> : null}
          </>
        ) : (
          <span className="hint">—</span>
        )}
      </td>
      <td>
        <Timeline history={device.history} status={device.status} since={device.since} now={now} label={device.name} />
      </td>
      <td className="row-actions">
        {reserved ? (
          <button type="button" className="button small" onClick={onRelease} disabled={!state.canReserve} aria-describedby={nameId}>
            Release
          </button>
        ) : (
          <button
            type="button"
            className="button small"
            onClick={onMark}
            disabled={!state.canReserve || (device.status !== 'Online' && device.status !== 'Utilizing')}
            aria-describedby={nameId}
          >
            Mark in use
          </button>
        )}
        {device.status === 'Unplugged' && state.canManage ? (
          <button type="button" className="button small" onClick={onForget} aria-describedby={nameId} title="Remove this row; if the device comes back it gets a new row">
            Forget
          </button>
        ) : null}
      </td>
    </tr>
  );
}

export function MarkInUseDialog({ device, onClose }: { device: Device; onClose: () => void }) {
  const [by, setBy] = useState('');
  const [note, setNote] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await api.devicesMarkInUse({ udid: device.udid, ...(by.trim() ? { by } : {}), ...(note.trim() ? { note } : {}) });
    if (result.ok) return onClose();
    setError(result.error.message);
  };
  return (
    <FormDialog title={<>Mark {device.name} in use</>} narrow error={error} submitLabel="Mark in use" onSubmit={submit} onClose={onClose}>
      <Field label="Who (optional)" hint="Defaults to the active profile">
        {(props) => <input {...props} type="text" value={by} onChange={(e) => setBy(e.target.value)} autoFocus />}
      </Field>
      <Field label="Why (optional)">
        {(props) => <input {...props} type="text" value={note} onChange={(e) => setNote(e.target.value)} />}
      </Field>
    </FormDialog>
  );
}

/** "USB", "Network", or "USB + Network" for a phone on a cable and on Wi-Fi. */
function connectionLabel(device: Device): string {
  const transports = device.transports && device.transports.length > 0 ? device.transports : [device.connection];
  return transports.map((t) => (t === 'usb' ? 'USB' : 'Network')).join(' + ');
}
