// The runner's side of the control socket: commands run on its live core, one at a time (two edits sent
// at once are applied one after the other, neither lost).
import type { Core } from '../services/core';
import type { Logger } from '../base/log';
import { execute } from './commands';
import { coreContext } from './context';
import { listenControl } from './control';
import type { ControlServer } from './control';

export async function serveControl(core: Core, dataDir: string, log: Logger): Promise<ControlServer | null> {
  const ctx = coreContext(core, dataDir);
  let turn: Promise<unknown> = Promise.resolve();
  try {
    const server = await listenControl(dataDir, (request) => {
      if (request.command === 'ping') return Promise.resolve({ code: 0, out: '', err: '' });
      const run = turn.then(async () => {
        const response = await execute(request, ctx);
        if (request.command !== 'webhooks list' && request.command !== 'devices' && request.command !== 'deliveries' && request.command !== 'webhooks export') {
          log('info', `command line: ${request.command}${request.args.length ? ` ${request.args.join(' ')}` : ''} → exit ${response.code}`);
        }
        return response;
      });
      turn = run.catch(() => undefined);
      return run;
    });
    log('info', `commands from the command line are taken on ${server.address}`);
    return server;
  } catch (error) {
    log(
      'warn',
      `cannot listen for commands on the control socket (${error instanceof Error ? error.message : String(error)}): devicehooks-headless commands that change something will refuse to run while this runner uses the folder`,
    );
    return null;
  }
}
