// One rule for the header names a webhook may not set: the webhook form refuses them with a reason
// (main/webhooks/headerRules.ts) and the dispatcher leaves them out of what it sends, for a webhook saved
// before the rule or edited by hand in webhooks.json.
import { describe, expect, it } from 'vitest';
import { reservedHeaderReason } from '../../main/webhooks/schema';
import { event, receiver, rig, webhook } from '../support/delivery';

const reserved = [
  'Content-Type',
  'content-length',
  'User-Agent',
  'Host',
  'Connection',
  'Transfer-Encoding',
  'webhook-id',
  'Webhook-Timestamp',
  'WEBHOOK-SIGNATURE',
  'Webhook-Custom',
  'webhook-x',
];
const allowed = ['X-Team', 'X-Webhook-Id', 'Webhook', 'Content-Types', 'Authorization'];

describe('reserved header names: one rule for the form and the dispatcher', () => {
  it('the form refuses every reserved name, webhook-* included, and allows the look-alikes', () => {
    for (const name of reserved) expect(reservedHeaderReason(name), name).toBeTypeOf('string');
    for (const name of allowed) expect(reservedHeaderReason(name), name).toBeUndefined();
  });

  it('the dispatcher sends none of the names the form refuses (a webhook-* header stored by an older version)', async () => {
    const r = await receiver();
    const headers = Object.fromEntries([...reserved, ...allowed].map((name, i) => [name, `v${i}`]));
    const t = await rig({ webhooks: [webhook({ url: r.url, headers })] });
    await t.dispatcher.dispatch(event());
    await t.attemptsReach(1);
    const sent = r.requests()[0]!.headers;
    for (const name of allowed) expect(sent[name.toLowerCase()], name).toBe(`v${[...reserved, ...allowed].indexOf(name)}`);
    for (const name of reserved) expect(sent[name.toLowerCase()], name).not.toBe(`v${reserved.indexOf(name)}`);
    expect(sent['webhook-custom']).toBeUndefined();
    expect(sent['webhook-x']).toBeUndefined();
    expect(Object.keys(sent).filter((h) => h.startsWith('webhook-')).sort()).toEqual(['webhook-id', 'webhook-timestamp']);
  });
});
