// Pauses that an earlier version kept only in the delivery outbox (record versions 1 and 2) are moved,
// once, into webhooks.json, the one owner of pause state. Run at open, before a dispatcher exists.
//
// Order, so that a crash between any two steps neither sends a paused webhook's callbacks nor loses one:
// 1. the webhook store pauses the webhook (written to disk before it resolves);
// 2. only then the outbox forgets the carried pause (a journal record).
// A crash after 1 finds the pause in both places next time: step 1 is then a no-op. A webhook the store
// could not pause (a write error; missing from webhooks.json without a deletion) keeps its carried pause
// for the next open and is returned, so the caller can hold its callbacks meanwhile.
import type { Logger } from '../base/log';

export const CARRIED_PAUSE_REASON = 'Paused by an earlier version of DeviceHooks; new events still queue.';

interface CarriedPausesOutbox {
  carriedPauses(): number[];
  handOverPauses(webhookIds: readonly number[]): Promise<void>;
}

export interface CarriedPausesStore {
  get(id: number): { paused: boolean } | undefined;
  isDeleted(id: number): boolean;
  setPaused(id: number, paused: boolean, reason?: string): Promise<{ ok: boolean }>;
}

/** Moves the outbox's carried pauses into the webhook store; answers the ids still carried. */
export async function adoptCarriedPauses(outbox: CarriedPausesOutbox, webhooks: CarriedPausesStore, logger: Logger): Promise<number[]> {
  const carried = outbox.carriedPauses();
  if (carried.length === 0) return [];
  const handed: number[] = [];
  const kept: number[] = [];
  for (const id of carried) {
    const webhook = webhooks.get(id);
    if (!webhook) {
      // Deleted: nothing left to pause. Missing otherwise (webhooks.json set aside): keep it for when it is back.
      (webhooks.isDeleted(id) ? handed : kept).push(id);
      continue;
    }
    try {
      const result = webhook.paused ? { ok: true } : await webhooks.setPaused(id, true, CARRIED_PAUSE_REASON);
      if (result.ok) handed.push(id);
      else kept.push(id);
    } catch (error) {
      logger('error', `Could not save the pause of webhook ${id} in webhooks.json: ${String(error)}; its callbacks stay held`);
      kept.push(id);
    }
  }
  if (handed.length > 0) {
    await outbox.handOverPauses(handed);
    logger('info', `Pause of webhook(s) ${handed.join(', ')} moved from the delivery outbox into webhooks.json`);
  }
  return kept;
}

/** The webhook list as the dispatcher sees it: still-carried pauses hold their webhooks too. */
export function holdCarried<T extends { id: number; paused?: boolean }>(list: readonly T[], carried: ReadonlySet<number>): readonly T[] {
  if (carried.size === 0) return list;
  return list.map((w) => (carried.has(w.id) && w.paused !== true ? { ...w, paused: true } : w));
}
