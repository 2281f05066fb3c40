import type { DeviceStatus, DeviceTransition } from '../../../preload/contract';

const DAY = 24 * 60 * 60 * 1000;
const COLORS: Record<DeviceStatus, string> = {
  Online: 'var(--online)',
  Offline: 'var(--offline)',
  Utilizing: 'var(--utilizing)',
  Unplugged: 'var(--unplugged)',
};

interface Segment {
  status: DeviceStatus;
  from: number;
  to: number;
}

/**
 * The span drawn: from the first transition of the last day to now (at least 5 seconds, at most a day),
 * so a device that changed a minute ago shows its changes, not a sliver at the edge of 24 hours.
 */
function span(history: DeviceTransition[], since: number, now: number): number {
  const first = history.find((t) => t.at >= now - DAY)?.at ?? since;
  return Math.min(DAY, Math.max(5_000, now - first));
}

/** The span as segments: each transition starts a segment that lasts until the next one (or now). */
function segments(history: DeviceTransition[], current: DeviceStatus | null, since: number, now: number, window = DAY): Segment[] {
  const start = now - window;
  const points = history.filter((t) => t.at <= now);
  if (points.length === 0 && current) points.push({ from: null, to: current, at: since });
  const out: Segment[] = [];
  points.forEach((t, i) => {
    const end = points[i + 1]?.at ?? now;
    const from = Math.max(t.at, start);
    if (end > from) out.push({ status: t.to, from, to: end });
  });
  return out;
}

/** A small picture of the last day: one coloured band per status, newest on the right. */
export function Timeline({ history, status, since, now, label }: { history: DeviceTransition[]; status: DeviceStatus | null; since: number; now: number; label: string }) {
  const width = 160;
  const height = 12;
  // A push may bring a transition newer than the last tick of the clock.
  now = Math.max(now, since, history.at(-1)?.at ?? 0);
  const window = span(history, since, now);
  const start = now - window;
  const parts = segments(history, status, since, now, window);
  const x = (t: number) => ((t - start) / window) * width;
  const summary =
    history.length === 0
      ? `${label}: no changes in the last 24 hours`
      : `${label}: ${history.length} change${history.length === 1 ? '' : 's'} in the last 24 hours, last ${history.at(-1)?.to} at ${new Date(history.at(-1)?.at ?? 0).toLocaleTimeString()}`;
  return (
    <svg className="timeline" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={summary}>
      <rect x={0} y={0} width={width} height={height} rx={3} className="timeline-bg" />
      {parts.map((p, i) => (
        <rect key={i} x={x(p.from)} y={0} width={Math.max(1, x(p.to) - x(p.from))} height={height} fill={COLORS[p.status]}>
          <title>{`${p.status} ${new Date(p.from).toLocaleTimeString()} – ${new Date(p.to).toLocaleTimeString()}`}</title>
        </rect>
      ))}
    </svg>
  );
}
