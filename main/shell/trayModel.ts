// What the tray says: counts by status, failing or paused webhooks, and which icon to show. Plain Node;
// the composition root turns it into Electron's Tray and Menu.
import type { DeviceStatus } from '../../preload/contract/vocabulary';

export type TrayIconState = 'ok' | 'failing' | 'paused';

export interface TrayInput {
  devices: { status: DeviceStatus | null }[];
  webhooks: { id: number; name: string; enabled: boolean; paused: boolean }[];
  /** consecutive failed attempts per webhook id */
  failures: (webhookId: number) => number;
  /** true while the webhook waits for its secret (the OS keyring is locked) */
  waiting?: (webhookId: number) => boolean;
  /** new callbacks refused since the webhook's queue became full (0: not full) */
  refused?: (webhookId: number) => number;
}

interface TrayModel {
  tooltip: string;
  statusLine: string;
  failing: string[];
  paused: string[];
  /** Webhooks waiting for their secret: "Waiting — secret unavailable". */
  waiting: string[];
  /** "name (N refused)" for webhooks whose queue is full. */
  queueFull: string[];
  icon: TrayIconState;
  allPaused: boolean;
}

export function trayModel({ devices, webhooks, failures, waiting: isWaiting = () => false, refused = () => 0 }: TrayInput): TrayModel {
  const count = (status: string) => devices.filter((d) => d.status === status).length;
  const parts = [`${count('Online')} online`, `${count('Offline')} offline`, `${count('Utilizing')} in use`];
  const unplugged = count('Unplugged');
  if (unplugged > 0) parts.push(`${unplugged} unplugged`);
  const statusLine = parts.join(', ');
  const active = webhooks.filter((w) => w.enabled);
  const failing = active.filter((w) => !w.paused && failures(w.id) > 0).map((w) => w.name);
  const paused = active.filter((w) => w.paused).map((w) => w.name);
  const disabled = webhooks.filter((w) => !w.enabled).map((w) => w.name);
  const waiting = active.filter((w) => isWaiting(w.id)).map((w) => w.name);
  const queueFull = webhooks.filter((w) => refused(w.id) > 0).map((w) => `${w.name} (${refused(w.id)} refused)`);
  const problems: string[] = [];
  if (queueFull.length > 0) problems.push(`${queueFull.length} with a full queue`);
  if (failing.length > 0) problems.push(`${failing.length} webhook${failing.length === 1 ? '' : 's'} failing`);
  if (paused.length > 0) problems.push(`${paused.length} paused`);
  if (disabled.length > 0) problems.push(`${disabled.length} disabled`);
  if (waiting.length > 0) problems.push(`${waiting.length} waiting for the OS keyring`);
  return {
    tooltip: ['DeviceHooks', statusLine, ...problems].join(' · '),
    statusLine,
    failing,
    paused,
    waiting,
    queueFull,
    icon: failing.length > 0 || disabled.length > 0 || queueFull.length > 0 ? 'failing' : paused.length > 0 || waiting.length > 0 ? 'paused' : 'ok',
    allPaused: active.length > 0 && paused.length === active.length,
  };
}

type ViewMenuRole = 'reload' | 'forceReload' | 'toggleDevTools' | 'resetZoom' | 'zoomIn' | 'zoomOut' | 'togglefullscreen';

/** The View menu: Electron's usual one while developing; in packaged builds no DevTools and no reload. */
export function viewMenu(devTools: boolean): (ViewMenuRole | 'separator')[] {
  const zoom: (ViewMenuRole | 'separator')[] = ['resetZoom', 'zoomIn', 'zoomOut', 'separator', 'togglefullscreen'];
  return devTools ? ['reload', 'forceReload', 'toggleDevTools', 'separator', ...zoom] : zoom;
}
