import { useEffect, useId, useState } from 'react';
import type { UtilizationReport, UtilizationRow } from '../../../preload/contract';
import { api } from '../api';
import { Field } from '../ui/Field';

type RangeKey = 'today' | '7d' | '30d' | 'custom';
const RANGES: { key: RangeKey; label: string }[] = [
  { key: 'today', label: 'Today' },
  { key: '7d', label: '7 days' },
  { key: '30d', label: '30 days' },
  { key: 'custom', label: 'Custom' },
];
const PARTS = [
  { key: 'online_s', label: 'Online', css: 'online' },
  { key: 'utilizing_s', label: 'Utilizing', css: 'utilizing' },
  { key: 'offline_s', label: 'Offline', css: 'offline' },
  { key: 'unplugged_s', label: 'Unplugged', css: 'unplugged' },
  { key: 'not_watched_s', label: 'Not watched', css: 'not-watched' },
] as const;
type SortKey = 'name' | (typeof PARTS)[number]['key'];

const DAY = 24 * 60 * 60 * 1000;
const dateInput = (ms: number) => {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
};

function rangeOf(key: RangeKey, custom: { from: string; to: string }, now: number): { from: number; to: number } | string {
  const midnight = new Date(now);
  midnight.setHours(0, 0, 0, 0);
  if (key === 'today') return { from: midnight.getTime(), to: now };
  if (key === '7d') return { from: now - 7 * DAY, to: now };
  if (key === '30d') return { from: now - 30 * DAY, to: now };
  const from = new Date(`${custom.from}T00:00:00`).getTime();
  const to = new Date(`${custom.to}T00:00:00`).getTime() + DAY;
  if (!Number.isFinite(from) || !Number.isFinite(to)) return 'Choose both days.';
  if (from >= to) return 'The first day must not be after the last.';
  if (to - from > 90 * DAY) return 'A range is at most 90 days (the timeline keeps 90).';
  return { from, to: Math.min(to, now) };
}

const total = (r: UtilizationRow) => PARTS.reduce((sum, p) => sum + r[p.key], 0);
const pct = (part: number, whole: number) => (whole > 0 ? Math.round((part * 1000) / whole) / 10 : 0);

function duration(s: number): string {
  if (s < 60) return `${s} s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h} h ${m} min` : `${m} min`;
}

export function ReportView() {
  const [rangeKey, setRangeKey] = useState<RangeKey>('7d');
  const [custom, setCustom] = useState(() => {
    const today = Date.now();
    return { from: dateInput(today - 6 * DAY), to: dateInput(today) };
  });
  const [report, setReport] = useState<UtilizationReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [exported, setExported] = useState<string | null>(null);
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: 'utilizing_s', desc: true });
  const rangeLabel = useId();

  // The figures run up to now: refreshed once a minute while the tab is open.
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 60_000);
    return () => clearInterval(timer);
  }, []);
  const range = rangeOf(rangeKey, custom, now);
  const rangeKeyText = typeof range === 'string' ? range : `${range.from}-${Math.floor(range.to / 60_000)}`;
  useEffect(() => {
    if (typeof range === 'string') return;
    let live = true;
    void api.devicesReport(range).then((r) => {
      if (!live) return;
      if (r.ok) {
        setReport(r.value);
        setError(null);
      } else setError(r.error.message);
    });
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [rangeKeyText]);

  const exportCsv = async () => {
    if (typeof range === 'string') return;
    const r = await api.devicesExportReport(range);
    setExported(r.ok ? (r.value.status === 'saved' ? `Saved ${r.value.count} devices to ${r.value.file}.` : null) : r.error.message);
  };

  const rows = [...(report?.rows ?? [])].sort((a, b) => {
    const d = sort.key === 'name' ? a.name.localeCompare(b.name) : pct(a[sort.key], total(a)) - pct(b[sort.key], total(b)) || a[sort.key] - b[sort.key];
    return sort.desc ? -d : d;
  });
  const sortButton = (key: SortKey, label: string) => (
    <button type="button" className="sort" onClick={() => setSort((s) => ({ key, desc: s.key === key ? !s.desc : key !== 'name' }))}>
      {label}
    </button>
  );
  const ariaSort = (key: SortKey) => (sort.key === key ? (sort.desc ? 'descending' : 'ascending') : 'none');

  return (
    <div className="report">
      <div className="report-controls">
        <div role="radiogroup" aria-labelledby={rangeLabel} className="range-group">
          <span id={rangeLabel}>Range</span>
          {RANGES.map((r) => (
            <label key={r.key} className="range-option">
              <input type="radio" name="report-range" checked={rangeKey === r.key} onChange={() => setRangeKey(r.key)} />
              {r.label}
            </label>
          ))}
        </div>
        {rangeKey === 'custom' ? (
          <div className="custom-range">
            <Field label="From" error={typeof range === 'string' ? range : undefined}>
              {(props) => <input {...props} type="date" value={custom.from} onChange={(e) => setCustom((c) => ({ ...c, from: e.target.value }))} />}
            </Field>
            <Field label="To (inclusive)">{(props) => <input {...props} type="date" value={custom.to} onChange={(e) => setCustom((c) => ({ ...c, to: e.target.value }))} />}</Field>
          </div>
        ) : null}
        <button type="button" className="button" onClick={() => void exportCsv()} disabled={typeof range === 'string'}>
          Export CSV
        </button>
        {exported ? <span role="status">{exported}</span> : null}
      </div>
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
      {report && rows.length === 0 ? <p className="empty">No device was seen in this range.</p> : null}
      {rows.length > 0 ? (
        <table className="table report-table" aria-label="Utilization">
          <thead>
            <tr>
              <th scope="col" aria-sort={ariaSort('name')}>
                {sortButton('name', 'Device')}
              </th>
              <th scope="col">Share of time</th>
              {PARTS.map((p) => (
                <th scope="col" key={p.key} aria-sort={ariaSort(p.key)}>
                  {sortButton(p.key, p.label)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => {
              const whole = total(r);
              return (
                <tr key={r.udid} aria-label={r.name}>
                  <th scope="row">
                    <div>{r.name}</div>
                    <div className="hint">{r.udid}</div>
                  </th>
                  <td>
                    <div className="stacked-bar" role="img" aria-label={PARTS.map((p) => `${p.label} ${pct(r[p.key], whole)} %`).join(', ')}>
                      {PARTS.map((p) => (r[p.key] > 0 ? <span key={p.key} className={`bar-${p.css}`} style={{ width: `${(r[p.key] * 100) / whole}%` }} /> : null))}
                    </div>
                  </td>
                  {PARTS.map((p) => (
                    <td key={p.key} data-testid={p.key}>
                      <div>{pct(r[p.key], whole)} %</div>
                      <div className="hint">{duration(r[p.key])}</div>
                    </td>
                  ))}
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
      <p className="hint">
        Counted from each device&apos;s first status in the range; &quot;Not watched&quot; is time DeviceHooks was not running. The timeline keeps 90 days.
      </p>
    </div>
  );
}
