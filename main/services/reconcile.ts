// At start, devices.json (saved in batches, a second or so after a change) may lag behind the outbox,
// where a device's committed status and seq are written together with the callbacks of that change.
// The outbox wins where it is newer, so a change already committed is neither lost (an Online never
// sent) nor committed again under another sequence number. Plain functions.
import type { CommittedDevice } from '../delivery/outbox';
import type { SavedDeviceState } from '../devices/tracker';

/** devices.json's states, each brought up to the outbox's committed status where that is newer. */
export function reconcileDevices(saved: readonly SavedDeviceState[], committed: ReadonlyMap<string, CommittedDevice>): SavedDeviceState[] {
  const out: SavedDeviceState[] = [];
  const seen = new Set<string>();
  for (const s of saved) {
    const udid = typeof s?.udid === 'string' ? s.udid : undefined;
    const c = udid !== undefined ? findCommitted(committed, udid) : undefined;
    if (udid !== undefined) seen.add(udid);
    out.push(c && c.seq > s.seq ? { ...s, status: c.to, seq: c.seq, since: c.at } : s);
  }
  for (const c of committed.values()) {
    if (seen.has(c.udid)) continue;
    out.push({
      udid: c.udid,
      name: c.name,
      platform: c.platform ?? 'other',
      // adb names network devices host:port.
      connection: /^[^:]+:\d+$/.test(c.udid) ? 'network' : 'usb',
      status: c.to,
      since: c.at,
      seq: c.seq,
    });
  }
  return out;
}

function findCommitted(committed: ReadonlyMap<string, CommittedDevice>, udid: string): CommittedDevice | undefined {
  const direct = committed.get(udid);
  if (direct?.udid === udid) return direct;
  for (const c of committed.values()) if (c.udid === udid) return c;
  return undefined;
}
