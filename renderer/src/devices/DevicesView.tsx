import * as Tabs from '@radix-ui/react-tabs';
import { FormDialog } from '../ui/FormDialog';
import { useEffect, useId, useState } from 'react';
import type { FormEvent } from 'react';
import type { AppiumServerInfo, Device, DeviceEventInfo, DevicesState, DeviceVisibility, SourceHealthInfo, UsbPortStat } from '../../../preload/contract';
import { api } from '../api';
import { useDevicesState, useDeviceEvents } from '../state';
import { Field } from '../ui/Field';
import { ReportView } from './ReportView';
import { Timeline } from './Timeline';
import { EmptyState, TableHead } from '../ui/bits';

const SOURCE_LABELS: Record<SourceHealthInfo['source'], string> = { usb: 'USB', adb: 'Android (adb)', usbmux: 'iOS (usbmuxd)' };
const PLATFORM_LABELS: Record<Device['platform'], string> = { android: 'Android', ios: 'iOS', other: 'USB' };

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} h`;
  return `${Math.round(h / 24)} d`;
}

/** The time, refreshed every `intervalMs` so "for 3 min" keeps counting. */
function useNow(intervalMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

export function DevicesView() {
  const [tab, setTab] = useState('list');
  return (
    <section aria-labelledby="devices-title">
      <h1 id="devices-title">Devices</h1>
      <Tabs.Root value={tab} onValueChange={setTab} className="tabs">
        <Tabs.List aria-label="Devices sections" className="tab-list">
          <Tabs.Trigger value="list" className="tab">
            Devices
          </Tabs.Trigger>
          <Tabs.Trigger value="report" className="tab">
            Report
          </Tabs.Trigger>
        </Tabs.List>
        <Tabs.Content value="list">
          <DeviceList />
        </Tabs.Content>
        <Tabs.Content value="report">
          <ReportView />
        </Tabs.Content>
      </Tabs.Root>
    </section>
  );
}

function DeviceList() {
  const { value: state, error } = useDevicesState();
  const events = useDeviceEvents();
  const now = useNow(2_000);
  const [marking, setMarking] = useState<Device | null>(null);
  const [rowErrors, setRowErrors] = useState<Record<string, string>>({});

  if (error) return <p role="alert" className="error">{error}</p>;
  if (!state) return <p className="empty">Looking for devices…</p>;

  const release = async (device: Device) => {
    const result = await api.devicesRelease({ udid: device.udid });
    setRowErrors((e) => ({ ...e, [device.udid]: result.ok ? '' : result.error.message }));
  };
  const forget = async (device: Device) => {
    const result = await api.devicesForget({ udid: device.udid });
    if (!result.ok) setRowErrors((e) => ({ ...e, [device.udid]: result.error.message }));
  };
  const setVisibility = async (device: Device, visibility: DeviceVisibility | null) => {
    const result = await api.devicesSetVisibility({ udid: device.udid, visibility });
    setRowErrors((e) => ({ ...e, [device.udid]: result.ok ? '' : result.error.message }));
  };

  return (
    <div>
      <SourceHealth health={state.health} appium={state.appium ?? []} now={now} />
      <div className="panel">
        {state.devices.length === 0 ? (
          <EmptyState title="No devices yet.">
            Plug in an Android phone with USB debugging allowed, or an iPhone or iPad that trusts this computer. It appears here within a second or two,
            and its status changes are sent to your webhooks.
          </EmptyState>
        ) : (
          <table className="table devices" aria-label="Devices">
            <TableHead columns={['Name', 'Status', 'UDID', 'Platform', 'Connection', 'Visibility', 'Battery', 'In use by', 'History']} />
            <tbody>
              {state.devices.map((device) => (
                <DeviceRow
                  key={device.udid}
                  device={device}
                  state={state}
                  now={now}
                  error={rowErrors[device.udid]}
                  onMark={() => setMarking(device)}
                  onRelease={() => void release(device)}
                  onVisibility={(v) => void setVisibility(device, v)}
                  onForget={() => void forget(device)}
                />
              ))}
            </tbody>
          </table>
        )}
      </div>
      {state.ports && state.ports.length > 0 ? <PortTable ports={state.ports} /> : null}
      <RecentEvents events={events} />
      {state.otherUsb.length > 0 ? <OtherUsb state={state} /> : null}
      {marking ? <MarkInUseDialog device={marking} onClose={() => setMarking(null)} /> : null}
    </div>
  );
}

function SourceHealth({ health, appium, now }: { health: SourceHealthInfo[]; appium: AppiumServerInfo[]; now: number }) {
  return (
    <ul className="health" aria-label="Device sources">
      {health.map((h) => (
        <li key={h.source} className={`health-item health-${h.state}`}>
          <span className="dot" aria-hidden="true" />
          <span className="health-name">{SOURCE_LABELS[h.source]}</span>
          <span className="health-state">
            {h.state === 'ok' ? 'connected' : h.state === 'starting' ? 'starting…' : `not available for ${ago(now - h.since)}`}
          </span>
          {h.state === 'down' && h.message ? <span className="health-message">{h.message}</span> : null}
        </li>
      ))}
      {appium.map((a) => (
        <li key={a.url} className={`health-item health-${a.state === 'ok' ? 'ok' : a.state === 'not-running' ? 'idle' : 'down'}`}>
          <span className="dot" aria-hidden="true" />
          <span className="health-name">Appium {serverLabel(a.url)}</span>
          <span className="health-state">
            {a.state === 'ok'
              ? 'watching sessions'
              : a.state === 'not-running'
                ? 'not running'
                : a.state === 'refused'
                  ? 'refuses to list sessions'
                  : `not answering for ${ago(now - a.since)}`}
          </span>
          {a.state === 'refused' || a.state === 'down' ? <span className="health-message">{a.message}</span> : null}
        </li>
      ))}
    </ul>
  );
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
function serverLabel(url: string): string {
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

function DeviceRow({
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
          {(['Local', 'Private', 'Public'] as const).map((v) => (
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

function MarkInUseDialog({ device, onClose }: { device: Device; onClose: () => void }) {
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

function RecentEvents({ events }: { events: DeviceEventInfo[] }) {
  return (
    <section className="panel" aria-labelledby="events-title">
      <h2 id="events-title">Recent events</h2>
      {events.length === 0 ? (
        <p className="empty">No status changes since DeviceHooks started.</p>
      ) : (
        <ol className="event-list" aria-label="Recent events">
          {events.slice(0, 50).map((e) => (
            <li key={`${e.udid}#${e.seq}`}>
              <time dateTime={new Date(e.at).toISOString()}>{new Date(e.at).toLocaleTimeString()}</time>
              <span className={`status status-${e.to.toLowerCase()}`}>{e.to}</span>
              <span>
                {e.name} <span className="hint mono">{e.udid}</span>
              </span>
              <span className="hint">{e.from ? `from ${e.from}` : 'first seen'}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

function OtherUsb({ state }: { state: DevicesState }) {
  return (
    <section className="panel" aria-labelledby="other-usb-title">
      <h2 id="other-usb-title">Other USB devices</h2>
      <p className="empty">Not phones or tablets, so not tracked. An admin can choose to track one.</p>
      <ul className="other-usb">
        {state.otherUsb.map((d, i) => (
          <li key={d.udid}>
            <span id={`other-usb-${i}`}>
              {d.name ?? 'USB device'} <span className="mono hint">{d.udid}</span>
            </span>
            <label>
              <input
                type="checkbox"
                aria-describedby={`other-usb-${i}`}
                checked={d.tracked}
                disabled={!state.canManage}
                onChange={(e) => void api.devicesTrackUsb({ udid: d.udid, tracked: e.target.checked })}
              />{' '}
              Track
            </label>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** "USB", "Network", or "USB + Network" for a phone on a cable and on Wi-Fi. */
function connectionLabel(device: Device): string {
  const transports = device.transports && device.transports.length > 0 ? device.transports : [device.connection];
  return transports.map((t) => (t === 'usb' ? 'USB' : 'Network')).join(' + ');
}

/** Every USB port's disconnects in the last hour: which cable or hub is the problem. */
function PortTable({ ports }: { ports: UsbPortStat[] }) {
  return (
    <div className="panel">
      <h2 id="ports-title">USB ports</h2>
      <table className="table" aria-labelledby="ports-title">
        <thead>
          <tr>
            <th scope="col">Port</th>
            <th scope="col">Hub</th>
            <th scope="col">Disconnects (last hour)</th>
            <th scope="col">Devices</th>
          </tr>
        </thead>
        <tbody>
          {ports.map((p) => (
            <tr key={p.port} aria-label={`USB port ${p.port}`}>
              <th scope="row" className="mono">
                {p.port}
                {p.flapping ? <strong className="flapping"> Flapping</strong> : null}
              </th>
              <td className="mono">{p.hub ?? '—'}</td>
              <td>{p.disconnects}</td>
              <td>{p.devices.join(', ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
