#!/usr/bin/env node
// Follows the recipes of docs/architecture.md ("Add a device source", "Add a General setting", "Add an
// IPC channel") on a scratch copy of this tree, touching only the files each recipe's table names, then
// type-checks the copy and runs the tests those files concern. It fails when a recipe needs a file its
// table does not name (the type check or a test breaks), or when the edits below no longer find their
// place (then update them here, with the recipe). The tree itself is never written.
//
//   node scripts/follow-recipes.mjs          (test/unit/recipes.test.ts runs it in `npm test`)
//
// Exit 0: every recipe held; 1: one did not (what broke is printed); 2: an edit did not find its place.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const NAME = 'recipe';

/**
 * Each recipe: the edits a developer would make. `after`: insert `text` right after the first
 * occurrence of that line in an existing file; `create`: a new file. `tests`: what to run afterwards.
 */
const RECIPES = [
  {
    title: 'Add a device source',
    maxExisting: 2,
    edits: [
      {
        file: `main/devices/${NAME}.ts`,
        create: `// A device source that lists no device (written by scripts/follow-recipes.mjs).
import { Listeners } from '../base/listeners';
import type { DeviceSource, SourceHealth, SourceSnapshot } from './types';

export class RecipeSource implements DeviceSource {
  readonly id = '${NAME}';
  private readonly snapshots = new Listeners<SourceSnapshot>();
  private readonly healths = new Listeners<SourceHealth>();
  private current: SourceHealth = { source: '${NAME}', state: 'starting', since: Date.now() };

  start(): void {
    this.current = { source: '${NAME}', state: 'ok', since: Date.now() };
    this.healths.emit(this.current);
    this.snapshots.emit({ source: '${NAME}', devices: [] });
  }
  async stop(): Promise<void> {}
  onSnapshot(listener: (snapshot: SourceSnapshot) => void): () => void {
    return this.snapshots.add(listener);
  }
  onHealth(listener: (health: SourceHealth) => void): () => void {
    return this.healths.add(listener);
  }
  health(): SourceHealth {
    return this.current;
  }
}
`,
      },
      { file: 'preload/contract/vocabulary.ts', replace: "export const DEVICE_SOURCES = ['usb', 'adb', 'usbmux'] as const;", text: `export const DEVICE_SOURCES = ['usb', 'adb', 'usbmux', '${NAME}'] as const;` },
      { file: 'preload/contract/vocabulary.ts', replace: "usbmux: 'iOS (usbmuxd)' };", text: `usbmux: 'iOS (usbmuxd)', ${NAME}: 'Recipe' };` },
      {
        file: 'main/services/deviceSources.ts',
        replace: 'new UsbmuxSource({ clock, logger, env })];',
        text: 'new UsbmuxSource({ clock, logger, env }), new RecipeSource()];',
      },
      { file: 'main/services/deviceSources.ts', after: "import { UsbmuxSource } from '../devices/usbmux';", text: `import { RecipeSource } from '../devices/${NAME}';` },
      {
        file: `test/devices/${NAME}.source.test.ts`,
        create: `import { expect, it } from 'vitest';
import { RecipeSource } from '../../main/devices/${NAME}';
import { ALL_SOURCES } from '../../main/devices/identity';
import { systemClock } from '../../main/devices/types';
import { createDeviceSources } from '../../main/services/deviceSources';

it('the new source lists its (empty) list, says it is ok, and is watched by the app and the command line', () => {
  const source = new RecipeSource();
  const lists: number[] = [];
  source.onSnapshot((s) => lists.push(s.devices.length));
  source.start();
  expect(lists).toEqual([0]);
  expect(source.health().state).toBe('ok');
  expect(ALL_SOURCES).toContain('${NAME}');
  expect(createDeviceSources({ clock: systemClock, logger: () => undefined, env: {} }).map((s) => s.id)).toEqual(ALL_SOURCES);
});
`,
      },
    ],
    tests: [`test/devices/${NAME}.source.test.ts`, 'test/devices/tracker.test.ts', 'test/devices/falseStatus.test.ts'],
  },
  {
    title: 'Add a General setting',
    maxExisting: 3,
    edits: [
      {
        file: 'preload/contract/settings.ts',
        after: '  startHidden: z.boolean().default(false),',
        text: '  /** Ask before quitting from the tray (written by scripts/follow-recipes.mjs). */\n  confirmQuit: z.boolean().default(false),',
      },
      {
        file: 'renderer/src/settings/GeneralTab.tsx',
        after: '          <label htmlFor="start-hidden">Start hidden in the tray</label>\n        </div>',
        text: `        <div className="switch-row">
          <Switch.Root className="switch" id="confirm-quit" checked={current.confirmQuit} disabled={disabled} onCheckedChange={(on) => toggle({ confirmQuit: on })}>
            <Switch.Thumb className="switch-thumb" />
          </Switch.Root>
          <label htmlFor="confirm-quit">Ask before quitting</label>
        </div>`,
      },
      { file: 'docs/usage.md', replace: '**Start hidden in the tray**,', text: '**Start hidden in the tray**, **Ask before quitting** (off by default),' },
    ],
    tests: ['test/unit/settings.recipe.test.ts', 'test/unit/settings.test.ts', 'test/unit/docsDefaults.test.ts'],
  },
  {
    title: 'Add an IPC channel',
    maxExisting: 3,
    edits: [
      { file: 'preload/contract/channels.ts', after: "  'app:info': { request: nothing, response: appInfoSchema, permission: 'none' },", text: "  'app:recipe': { request: nothing, response: z.literal('pong'), permission: 'org_setting.view' }," },
      { file: 'main/ipc/app.ts', after: "    'app:info': { handle: () => ok(deps.info()) },", text: "    'app:recipe': { handle: () => ok('pong') }," },
      { file: 'renderer/src/recipeCall.ts', create: "import { api } from './api';\n\nexport const ping = async (): Promise<string> => {\n  const answer = await api.appRecipe();\n  return answer.ok ? answer.value : answer.error.message;\n};\n" },
      { file: 'test/unit/ipc.permissions.test.ts', after: "  'app:info': AMN,", text: "  'app:recipe': AM," },
    ],
    tests: ['test/unit/ipc.test.ts', 'test/unit/ipc.permissions.test.ts'],
  },
];

/** The files a recipe's table names (first column), `<name>` and `…` as wildcards. */
function tableFiles(doc, title) {
  const start = doc.indexOf(`### ${title}`);
  if (start < 0) throw new Error(`docs/architecture.md has no "### ${title}"`);
  const end = doc.indexOf('\n#', start + 4);
  const section = doc.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/^\| `([^`]+)`/gm)].map((m) => {
    const pattern = m[1].replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/<[a-z]+>/g, '[^/]+').replace(/…/g, '.+');
    return { shown: m[1], re: new RegExp(`^${pattern}$`) };
  });
}

function copyTree(into) {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' })
    .split('\0')
    .filter((f) => f !== '' && f !== 'node_modules');
  for (const file of files) {
    const from = join(root, file);
    if (!existsSync(from)) continue; // deleted in the working tree
    mkdirSync(dirname(join(into, file)), { recursive: true });
    cpSync(from, join(into, file));
  }
  symlinkSync(join(root, 'node_modules'), join(into, 'node_modules'), 'dir');
}

class Moved extends Error {}

function apply(into, edit) {
  const path = join(into, edit.file);
  if (edit.create !== undefined) {
    if (existsSync(path)) throw new Moved(`${edit.file} already exists: the recipe's new file needs another name`);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, edit.create);
    return { file: edit.file, created: true };
  }
  const text = readFileSync(path, 'utf8');
  const anchor = edit.after ?? edit.replace;
  const at = text.indexOf(anchor);
  if (at < 0) throw new Moved(`${edit.file} no longer has the line this script edits: ${JSON.stringify(anchor.split('\n')[0])} (update scripts/follow-recipes.mjs with the recipe)`);
  const next = edit.after !== undefined ? `${text.slice(0, at + anchor.length)}\n${edit.text}${text.slice(at + anchor.length)}` : `${text.slice(0, at)}${edit.text}${text.slice(at + anchor.length)}`;
  writeFileSync(path, next);
  return { file: edit.file, created: false };
}

function run(cwd, command, args) {
  const result = spawnSync(join(root, 'node_modules/.bin', command), args, { cwd, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } });
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}`.trim() };
}

function main() {
  const doc = readFileSync(join(root, 'docs/architecture.md'), 'utf8');
  const scratch = mkdtempSync(join(tmpdir(), 'devicehooks-recipes-'));
  let failed = false;
  try {
    copyTree(scratch);
    const touched = [];
    for (const recipe of RECIPES) {
      const rows = tableFiles(doc, recipe.title);
      const files = new Map();
      for (const edit of recipe.edits) {
        const { file, created } = apply(scratch, edit);
        files.set(file, created || files.get(file) === true);
      }
      const unlisted = [...files.keys()].filter((file) => !rows.some((row) => row.re.test(file)));
      const existing = [...files].filter(([, created]) => !created).map(([file]) => file);
      const line = `${recipe.title}: ${existing.length} existing file(s) changed (${existing.join(', ')}), ${files.size - existing.length} new`;
      if (unlisted.length > 0) {
        failed = true;
        console.log(`✗ ${line}; not in its table in docs/architecture.md: ${unlisted.join(', ')}`);
      } else if (existing.length > recipe.maxExisting) {
        failed = true;
        console.log(`✗ ${line}; at most ${recipe.maxExisting} existing files were the aim`);
      } else console.log(`✓ ${line}`);
      touched.push(...recipe.tests);
    }
    for (const project of ['tsconfig.node.json', 'tsconfig.web.json', 'tsconfig.e2e.json']) {
      const checked = run(scratch, 'tsc', ['--noEmit', '-p', project]);
      console.log(`${checked.ok ? '✓' : '✗'} type check with every recipe followed (${project})`);
      if (!checked.ok) {
        failed = true;
        console.log(checked.output);
      }
    }
    const tested = run(scratch, 'vitest', ['run', '--project', 'unit', ...touched]);
    console.log(`${tested.ok ? '✓' : '✗'} tests: ${touched.join(' ')}`);
    if (!tested.ok) {
      failed = true;
      console.log(tested.output);
    }
  } catch (error) {
    if (error instanceof Moved) {
      console.log(`✗ ${error.message}`);
      process.exitCode = 2;
      return;
    }
    throw error;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  process.exitCode = failed ? 1 : 0;
}

main();
