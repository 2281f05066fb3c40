// The layering rules live in eslint.config.js; this proves they bite where docs/architecture.md says.
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: root });

async function ruleIds(relativePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, relativePath) });
  return (result?.messages ?? []).map((m) => m.ruleId ?? 'fatal');
}

const importElectron = "import { app } from 'electron';\nexport const x = app;\n";

describe('lint rules', () => {
  it('keep electron out of everything but the composition root, window, tray, security, IPC and preload', async () => {
    for (const file of ['main/devices/x.ts', 'main/webhooks/x.ts', 'main/profiles/x.ts', 'main/delivery/x.ts', 'main/storage/x.ts', 'main/base/log.ts', 'main/services/core.ts', 'main/headless.ts', 'renderer/src/x.tsx']) {
      expect(await ruleIds(file, importElectron), file).toContain('no-restricted-imports');
    }
    for (const file of ['main/index.ts', 'main/shell/window.ts', 'main/shell/tray.ts', 'main/shell/security.ts', 'main/ipc/x.ts', 'preload/index.ts']) {
      expect(await ruleIds(file, importElectron), file).not.toContain('no-restricted-imports');
    }
  });

  it('keep devices/ from importing delivery/ and the core from importing the glue', async () => {
    expect(await ruleIds('main/devices/x.ts', "import { a } from '../delivery/outbox';\nexport const x = a;\n")).toContain('no-restricted-imports');
    expect(await ruleIds('main/webhooks/x.ts', "import { a } from '../ipc/register';\nexport const x = a;\n")).toContain('no-restricted-imports');
    expect(await ruleIds('main/profiles/x.ts', "import { a } from '../ipc/register';\nexport const x = a;\n")).toContain('no-restricted-imports');
    expect(await ruleIds('main/devices/x.ts', "import { a } from '../profiles/permissions';\nexport const x = a;\n")).toContain('no-restricted-imports');
  });

  it('keep the core from importing the Electron shell, the app services and the IPC handlers', async () => {
    const shell = [
      '../shell/window',
      '../shell/tray',
      '../shell/trayModel',
      '../shell/icons',
      '../shell/notifier',
      '../shell/autostart',
      '../shell/security',
      '../shell/window.js',
      '../index',
      '../ipc/register',
      '../ipc',
      '../services/core',
      '../services/settings',
    ];
    for (const folder of ['devices', 'webhooks', 'delivery', 'storage', 'profiles', 'base']) {
      for (const source of shell) {
        expect(await ruleIds(`main/${folder}/x.ts`, `import { a } from '${source}';\nexport const x = a;\n`), `${folder} <- ${source}`).toContain('no-restricted-imports');
      }
    }
    // A deeper core file reaches the shell with more steps up; a core neighbour of the same name is not the shell.
    expect(await ruleIds('main/devices/sub/x.ts', "import { a } from '../../shell/tray';\nexport const x = a;\n")).toContain('no-restricted-imports');
    expect(await ruleIds('main/devices/x.ts', "import { a } from '../base/log';\nexport const x = a;\n")).not.toContain('no-restricted-imports');
    expect(await ruleIds('main/delivery/x.ts', "import { a } from './trayState';\nexport const x = a;\n")).not.toContain('no-restricted-imports');
  });

  it('let the renderer import from the preload only the contract, values included', async () => {
    expect(await ruleIds('renderer/src/x.ts', "import { invokeChannels } from '../../preload/contract';\nexport const x = invokeChannels;\n")).not.toContain(
      'no-restricted-imports',
    );
    expect(await ruleIds('renderer/src/x.ts', "import type { Api } from '../../preload/contract';\nexport type X = Api;\n")).not.toContain(
      'no-restricted-imports',
    );
    for (const other of ['../../preload/index', '../../preload/contract/channels']) {
      expect(await ruleIds('renderer/src/x.ts', `import { a } from '${other}';\nexport const x = a;\n`), other).toContain('no-restricted-imports');
    }
  });

  it('keep the contract pure: no node: or Node modules, no electron, nothing from main/', async () => {
    for (const source of ['node:fs', 'fs', 'path', 'electron', '../../main/settings', '../index']) {
      expect(await ruleIds('preload/contract/x.ts', `import { a } from '${source}';\nexport const x = a;\n`), source).toContain('no-restricted-imports');
    }
    expect(await ruleIds('preload/contract/x.ts', "import { z } from 'zod';\nimport { DEVICE_STATUSES } from './vocabulary';\nexport const x = z.enum(DEVICE_STATUSES);\n")).not.toContain(
      'no-restricted-imports',
    );
  });
});
