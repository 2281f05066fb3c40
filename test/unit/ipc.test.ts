import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { methodName, listenerName, invokeChannels, pushChannels } from '../../preload/contract';
import { runHandler } from '../../main/ipc/register';
import type { CheckedHandler } from '../../main/ipc/register';
import { appHandlers } from '../../main/ipc/app';
import { NoticeBoard } from '../../main/services/notices';

const ours = 'file:///app/out/renderer/index.html';
const trusted = (url: string) => url === ours;
const event = (url: string) => ({ senderFrame: { url } }) as never;
const log = vi.fn();

const echo: CheckedHandler<'app:dismissNotice'> = {
  schema: z.strictObject({ id: z.string().min(1, 'An id is required') }),
  handle: () => ({ ok: true, value: null }),
};

describe('the IPC wrapper', () => {
  it('refuses a sender that is not our page, before parsing or handling', async () => {
    const handle = vi.fn(echo.handle);
    const result = await runHandler('app:dismissNotice', { ...echo, handle }, event('https://evil.example/'), { id: 'x' }, trusted, log, () => true);
    expect(result).toEqual({ ok: false, error: { code: 'bad_sender', message: expect.any(String) } });
    expect(handle).not.toHaveBeenCalled();
  });

  it('refuses a frame with no URL', async () => {
    const result = await runHandler('app:dismissNotice', echo, { senderFrame: null } as never, { id: 'x' }, trusted, log, () => true);
    expect(result.ok).toBe(false);
  });

  it('answers structured field errors for input that fails the schema', async () => {
    const result = await runHandler('app:dismissNotice', echo, event(ours), { id: '' }, trusted, log, () => true);
    expect(result).toEqual({ ok: false, error: { code: 'validation', message: expect.any(String), fieldErrors: { id: 'An id is required' } } });
    const extra = await runHandler('app:dismissNotice', echo, event(ours), { id: 'a', admin: true }, trusted, log, () => true);
    expect(extra.ok).toBe(false);
    const wrongType = await runHandler('app:dismissNotice', echo, event(ours), 'id', trusted, log, () => true);
    expect(wrongType.ok).toBe(false);
  });

  it('turns a thrown error into an internal error with its message, and logs it', async () => {
    const broken: CheckedHandler<'app:dismissNotice'> = { ...echo, handle: () => { throw new Error('disk on fire'); } };
    const result = await runHandler('app:dismissNotice', broken, event(ours), { id: 'a' }, trusted, log, () => true);
    expect(result).toEqual({ ok: false, error: { code: 'internal', message: 'disk on fire' } });
    expect(log).toHaveBeenCalledWith('error', expect.stringContaining('disk on fire'));
  });
});

describe('the contract', () => {
  it('names one preload function per channel', () => {
    expect(methodName('app:info')).toBe('appInfo');
    expect(methodName('webhooks:create')).toBe('webhooksCreate');
    expect(listenerName('app:notice')).toBe('onAppNotice');
    expect(new Set(invokeChannels.map(methodName)).size).toBe(invokeChannels.length);
    expect(new Set(pushChannels.map(listenerName)).size).toBe(pushChannels.length);
  });
});

describe('app:* handlers', () => {
  const notices = new NoticeBoard(() => 1);
  const openExternal = vi.fn(async (url: string) => url.startsWith('https:'));
  const handlers = appHandlers({
    info: () => ({ name: 'DeviceHooks', version: '1.2.3', dataDir: '/d', logFile: '/d/logs/main.log', osUser: 'ana', platform: 'linux' }),
    notices,
    openExternal,
  });

  it('app:info answers the app facts and takes no input', async () => {
    await expect(runHandler('app:info', handlers['app:info'], event(ours), undefined, trusted, log, () => true)).resolves.toMatchObject({ ok: true, value: { version: '1.2.3' } });
    await expect(runHandler('app:info', handlers['app:info'], event(ours), { sneaky: 1 }, trusted, log, () => true)).resolves.toMatchObject({ ok: false });
  });

  it('app:openExternal refuses non-https links with a field error', async () => {
    await expect(runHandler('app:openExternal', handlers['app:openExternal'], event(ours), { url: 'http://x.example' }, trusted, log, () => true)).resolves.toMatchObject({
      ok: false,
      error: { code: 'validation', fieldErrors: { url: expect.any(String) } },
    });
    await expect(runHandler('app:openExternal', handlers['app:openExternal'], event(ours), { url: 'https://x.example' }, trusted, log, () => true)).resolves.toEqual({ ok: true, value: null });
  });

  it('notices are listed and dismissed', async () => {
    const notice = notices.add('warning', 'webhooks.json was moved aside');
    await expect(runHandler('app:notices', handlers['app:notices'], event(ours), undefined, trusted, log, () => true)).resolves.toEqual({ ok: true, value: [notice] });
    await runHandler('app:dismissNotice', handlers['app:dismissNotice'], event(ours), { id: notice.id }, trusted, log, () => true);
    expect(notices.list()).toEqual([]);
  });
});
