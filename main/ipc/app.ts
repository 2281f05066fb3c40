// app:* channels: what the About panel shows, notices, and the one door to external links.
import type { AppInfo } from '../../preload/contract';
import type { NoticeBoard } from '../services/notices';
import { ok, fail } from './register';
import type { Handlers } from './register';

interface AppHandlerDeps {
  info: () => AppInfo;
  notices: NoticeBoard;
  openExternal: (url: string) => Promise<boolean>;
}

export function appHandlers(deps: AppHandlerDeps) {
  return {
    'app:info': { handle: () => ok(deps.info()) },
    'app:notices': { handle: () => ok(deps.notices.list()) },
    'app:dismissNotice': {
      handle: ({ id }) => {
        deps.notices.dismiss(id);
        return ok(null);
      },
    },
    'app:openExternal': {
      // Reviewed: deps.openExternal is security.ts's https-only choke point, not shell.openExternal.
      handle: async ({ url }) =>
        (await deps.openExternal(url)) // eng-disable OPEN_EXTERNAL_JS_CHECK
          ? ok(null)
          : fail({ code: 'validation', message: 'Only https links open outside the app.', fieldErrors: { url: 'Only https links open outside the app.' } }),
    },
  } satisfies Partial<Handlers>;
}
