// The CLI's commands on a folder no process holds open the delivery files with the folder's own
// Settings › General, as the desktop app and the headless runner do: the history's size bound is the
// user's (opening it with another bound would cut it to that bound, and a user's larger bound would
// lose history), and so are the dispatcher's limits.
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { openFolderContext } from '../../main/cli/context';
import { openHistory } from '../../main/delivery/history';
import { SETTINGS_SCHEMA_VERSION } from '../../main/services/settings';
import { attemptRecord, tempDir } from '../support/delivery';

const MB = 1024 * 1024;

function folderBytes(dir: string): number {
  return readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
}

it('opens the delivery history with the size bound of the folder’s settings (historyMegabytes)', async () => {
  const dataDir = await tempDir();
  const historyDir = join(dataDir, 'delivery', 'history');
  // 3 MB of history, written under a larger bound than the one the folder's settings now have.
  const before = await openHistory({ dir: historyDir, maxEntries: 50_000, maxBytes: 8 * MB, logger: () => undefined });
  const body = 'x'.repeat(10_000);
  const written: Promise<void>[] = [];
  for (let i = 1; i <= 300; i++) written.push(before.append(attemptRecord(i, { request: { method: 'POST', url: 'http://127.0.0.1/x', headers: {}, body } })).written);
  await Promise.all(written);
  await before.close();
  expect(folderBytes(historyDir)).toBeGreaterThan(2.5 * MB);
  writeFileSync(join(dataDir, 'settings.json'), JSON.stringify({ schemaVersion: SETTINGS_SCHEMA_VERSION, closeHintShown: true, delivery: { historyMegabytes: 1 } }));

  const context = await openFolderContext({ dataDir, logger: () => undefined, osUserName: 'lab', version: '0.0.0-test', env: {} });
  try {
    const history = await context.history();
    expect(history.size).toBeGreaterThan(0);
    expect(folderBytes(historyDir), 'the app would keep at most 1 MB here').toBeLessThanOrEqual(1.1 * MB);
  } finally {
    await context.close();
  }
});
