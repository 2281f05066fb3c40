// The front page's screenshot (docs/images/devices.png), taken from the built app in the e2e harness.
// Every `npm test` checks the view it shows and saves it under test-results/; to refresh the committed
// image, run it alone with DH_DOCS_SCREENSHOT=1:
//   npm run build && DH_DOCS_SCREENSHOT=1 npx vitest run --project e2e test/e2e/docsScreenshot.test.ts
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { launchApp, repoRoot } from './harness';
import { note8Full } from './helpers';

describe('the front page screenshot', () => {
  it('shows the Devices view with an Android phone and an iPhone Online', async () => {
    const app = await launchApp();
    const { page } = app;
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.getByRole('heading', { name: 'Devices', level: 1 }).waitFor();
    app.adb.setDevices([
      { ...note8Full, state: 'device' },
    ]);
    app.usbmux.attach({ udid: '00008030-001A35E11A88002E', name: 'Ana’s iPhone' });
    for (const name of ['Galaxy Note 8', 'Ana’s iPhone']) {
      await expect.poll(() => page.getByRole('row', { name }).getByTestId('status').textContent(), { timeout: 15_000 }).toBe('Online');
    }
    const path = await app.screenshot('docs-devices');
    if (process.env.DH_DOCS_SCREENSHOT === '1') {
      mkdirSync(join(repoRoot, 'docs', 'images'), { recursive: true });
      copyFileSync(path, join(repoRoot, 'docs', 'images', 'devices.png'));
    }
  });
});
