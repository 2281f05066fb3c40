// Every IPC channel × role: the one wrapper refuses, with one message, before the handler runs. Pushes and
// the tray's actions pass the same check. The expectations are written out here, channel by channel, so
// a new channel without a declared permission (or a changed one) fails this test.
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { invokeChannels, invokePermissions, NOT_ALLOWED_MESSAGE, pushChannels } from '../../preload/contract';
import type { InvokeChannel, PushChannel } from '../../preload/contract';
import { ACTION_PERMISSIONS, holdsFor, runAction } from '../../main/ipc/access';
import type { ShellAction } from '../../main/ipc/access';
import { pusher } from '../../main/ipc/push';
import { channelPermission, runHandler } from '../../main/ipc/register';
import { BUILT_IN_ROLES, roleHas } from '../../main/profiles/permissions';
import type { Permission } from '../../main/profiles/permissions';

const ours = 'app://devicehooks/index.html';
const event = { senderFrame: { url: ours } } as never;
const trusted = () => true;

const roleOf = (permissions: Permission[]) => holdsFor((p) => roleHas({ permissions }, p));
const admin = roleOf([...(BUILT_IN_ROLES.find((r) => r.id === 'admin')?.permissions ?? [])]);
const member = roleOf([...(BUILT_IN_ROLES.find((r) => r.id === 'member')?.permissions ?? [])]);
const nobody = roleOf([]);
const roles = { Admin: admin, Member: member, 'custom role with no permission': nobody } as const;
type RoleName = keyof typeof roles;

// Who may call each channel: A = Admin, M = Member, N = a custom role with no permission.
const A = ['Admin'] as const;
const AM = ['Admin', 'Member'] as const;
const AMN = ['Admin', 'Member', 'custom role with no permission'] as const;
const expected: Record<string, readonly RoleName[]> = {
  'app:info': AMN,
  'app:notices': AMN,
  'app:dismissNotice': AMN,
  'app:openExternal': AMN,
  'webhooks:state': AMN,
  'webhooks:create': A,
  'webhooks:update': A,
  'webhooks:remove': A,
  'webhooks:export': AM,
  'webhooks:import': A,
  'org:update': A,
  'profiles:state': AMN,
  'profiles:switch': AMN,
  'profiles:create': A,
  'profiles:rename': A,
  'profiles:setRole': A,
  'profiles:setPassphrase': AMN,
  'profiles:remove': A,
  'roles:create': A,
  'roles:update': A,
  'roles:remove': A,
  'devices:state': AMN,
  'devices:events': AMN,
  'devices:markInUse': A,
  'devices:release': A,
  'devices:setVisibility': A,
  'devices:trackUsb': A,
  'devices:forget': A,
  'devices:report': AMN,
  'devices:exportReport': AMN,
  'localApi:state': AMN,
  'localApi:setPort': A,
  'localApi:newToken': A,
  'deliveries:list': AM,
  'deliveries:health': AM,
  'deliveries:redeliver': A,
  'deliveries:sendTest': A,
  'deliveries:orphans': AM,
  'deliveries:restoreOrphans': A,
  'deliveries:discardOrphans': A,
  'webhooks:resume': A,
  'webhooks:setEnabled': A,
  'webhooks:reveal': A,
  'webhooks:rotateSecret': A,
  'receiver:state': A,
  'receiver:requests': A,
  'receiver:start': A,
  'receiver:stop': A,
  'receiver:setReply': A,
  'receiver:clear': A,
  'settings:general': AMN,
  'settings:updateGeneral': A,
};

const expectedPush: Record<string, readonly RoleName[]> = {
  'app:notice': AMN,
  'webhooks:changed': AMN,
  'profiles:changed': AMN,
  'devices:changed': AMN,
  'devices:event': AMN,
  'localApi:changed': AMN,
  'deliveries:attempt': AM,
  'receiver:changed': A,
  'receiver:request': A,
  'settings:changed': AMN,
};

const expectedActions: Record<ShellAction, readonly RoleName[]> = { openWindow: AMN, pauseAll: A, resumeAll: A, quit: AMN };

describe('every IPC channel declares its permission', () => {
  it('the table above names every channel, and nothing else', () => {
    expect(Object.keys(expected).sort()).toEqual([...invokeChannels].sort());
    expect(Object.keys(invokePermissions).sort()).toEqual([...invokeChannels].sort());
    expect(Object.keys(expectedPush).sort()).toEqual([...pushChannels].sort());
  });

  it('a channel with no declared permission is refused for every role', async () => {
    expect(channelPermission('receiver:new')).toBeUndefined();
    expect(channelPermission('toString')).toBeUndefined();
    const handle = vi.fn(() => ({ ok: true as const, value: null }));
    for (const holds of Object.values(roles)) {
      const result = await runHandler('receiver:new' as InvokeChannel, { schema: z.unknown(), handle } as never, event, undefined, trusted, vi.fn(), holds);
      expect(result).toEqual({ ok: false, error: { code: 'forbidden', message: NOT_ALLOWED_MESSAGE } });
    }
    expect(handle).not.toHaveBeenCalled();
  });
});

describe.each(Object.entries(roles))('as %s', (roleName, holds) => {
  it.each([...invokeChannels])('%s is allowed or refused before its handler runs', async (channel) => {
    const handle = vi.fn(() => ({ ok: true as const, value: 'handled' }));
    const log = vi.fn();
    const result = await runHandler(channel, { schema: z.unknown(), handle } as never, event, { any: 'input' }, trusted, log, holds);
    const allowed = (expected[channel] ?? []).includes(roleName as RoleName);
    if (allowed) {
      expect(result).toEqual({ ok: true, value: 'handled' });
      expect(handle).toHaveBeenCalledTimes(1);
    } else {
      expect(result).toEqual({ ok: false, error: { code: 'forbidden', message: NOT_ALLOWED_MESSAGE } });
      expect(handle).not.toHaveBeenCalled();
      expect(log).toHaveBeenCalledWith('warn', expect.stringContaining(channel));
    }
  });

  it.each([...pushChannels])('push %s reaches the window only with its permission', (channel) => {
    const send = vi.fn();
    const push = pusher(() => ({ isDestroyed: () => false, webContents: { send } }), holds);
    const sent = push(channel as PushChannel, {} as never);
    const allowed = (expectedPush[channel] ?? []).includes(roleName as RoleName);
    expect(sent).toBe(allowed);
    expect(send).toHaveBeenCalledTimes(allowed ? 1 : 0);
  });

  it.each(Object.keys(ACTION_PERMISSIONS) as ShellAction[])('tray/menu action %s passes the same check', async (action) => {
    const run = vi.fn();
    const refused = vi.fn();
    const done = await runAction(action, holds, run, refused);
    const allowed = expectedActions[action].includes(roleName as RoleName);
    expect(done).toBe(allowed);
    expect(run).toHaveBeenCalledTimes(allowed ? 1 : 0);
    expect(refused).toHaveBeenCalledTimes(allowed ? 0 : 1);
  });
});

describe('holdsFor', () => {
  it('org_setting.modify implies org_setting.view, as the webhook service has it', () => {
    const modifyOnly = roleOf(['org_setting.modify']);
    expect(modifyOnly('org_setting.view')).toBe(true);
    expect(modifyOnly('device.reserve')).toBe(false);
    expect(nobody('none')).toBe(true);
  });

  it('a push to a closed window is dropped', () => {
    const send = vi.fn();
    expect(pusher(() => ({ isDestroyed: () => true, webContents: { send } }), admin)('app:notice', {} as never)).toBe(false);
    expect(pusher(() => null, admin)('app:notice', {} as never)).toBe(false);
    expect(send).not.toHaveBeenCalled();
  });
});
