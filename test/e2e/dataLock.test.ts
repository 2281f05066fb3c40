// The desktop app and the headless runner never share a data folder (issue 7): whichever comes second
// says who holds it and stops.
import { describe, expect, it } from 'vitest';
import { runHeadless, startFakes } from '../headless/runner';
import { launchApp, makeUserData, spawnApp } from './harness';

describe('one DeviceHooks per data folder', () => {
  it('the desktop app refuses a folder the headless runner holds, saying who holds it', async () => {
    const dataDir = makeUserData('locked');
    const fakes = await startFakes();
    const runner = runHeadless(dataDir, fakes, ['--no-local-api']);
    await runner.waitFor(/DeviceHooks headless runner/);
    const app = spawnApp({ userData: dataDir });
    await expect(app.exited).resolves.toBe(1);
    const shown = app.reports.find((r) => r.type === 'dialog' && r.kind === 'error');
    expect(String(shown?.content)).toMatch(new RegExp(`headless runner \\(pid ${String(runner.proc.pid)}`));
    expect(app.reports.some((r) => r.type === 'window-created')).toBe(false);
    await expect(runner.stop('SIGTERM')).resolves.toMatchObject({ code: 0 });
  });

  it('the headless runner refuses a folder the desktop app holds', async () => {
    const app = await launchApp();
    const fakes = await startFakes();
    const runner = runHeadless(app.userData, fakes, ['--no-local-api']);
    await expect(runner.exited).resolves.toMatchObject({ code: 3 });
    expect(runner.stderr()).toMatch(/desktop app \(pid \d+/);
  });
});
