// The Devices page: the devices table (one DeviceRow.tsx per device), the sources' health, recent
// events, other USB devices, the USB ports' disconnects, and the report tab.
import * as Tabs from '@radix-ui/react-tabs';
import { useEffect, useState } from 'react';
import { DEVICE_SOURCE_LABELS } from '../../../preload/contract';
import type { AppiumServerInfo, Device, DeviceEventInfo, DevicesState, DeviceVisibility, SourceHealthInfo, UsbPortStat } from '../../../preload/contract';
import { api } from '../api';
import { useDevicesState, useDeviceEvents } from '../state';
import { ReportView } from './ReportView';
import { DeviceRow, MarkInUseDialog, ago, serverLabel } from './DeviceRow';
import { EmptyState, TableHead } from '../ui/bits';


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
          <span className="health-name">{DEVICE_SOURCE_LABELS[h.source]}</span>
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
