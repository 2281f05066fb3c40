// app:* channels: what the About panel shows, notices, and the one door to external links.
import { z } from 'zod';
import type { AppInfo } from '../../preload/contract';
import type { NoticeBoard } from '../notices';
import { ok, fail } from './register';
import type { HandlerDef } from './register';

export interface AppHandlerDeps {
  info: () => AppInfo;
  notices: NoticeBoard;
  openExternal: (url: string) => Promise<boolean>;
}

export function appHandlers(deps: AppHandlerDeps): {
  'app:info': HandlerDef<'app:info'>;
  'app:notices': HandlerDef<'app:notices'>;
  'app:dismissNotice': HandlerDef<'app:dismissNotice'>;
  'app:openExternal': HandlerDef<'app:openExternal'>;
} {
  return {
    'app:info': { schema: z.undefined(), handle: () => ok(deps.info()) },
    'app:notices': { schema: z.undefined(), handle: () => ok(deps.notices.list()) },
    'app:dismissNotice': {
      schema: z.strictObject({ id: z.string().min(1).max(100) }),
      handle: ({ id }) => {
        deps.notices.dismiss(id);
        return ok(null);
      },
    },
    'app:openExternal': {
      schema: z.strictObject({ url: z.string().max(2048) }),
      // Reviewed: deps.openExternal is security.ts's https-only choke point, not shell.openExternal.
      handle: async ({ url }) =>
        (await deps.openExternal(url)) // eng-disable OPEN_EXTERNAL_JS_CHECK
          ? ok(null)
          : fail({ code: 'validation', message: 'Only https links open outside the app.', fieldErrors: { url: 'Only https links open outside the app.' } }),
    },
  };
}
