#!/usr/bin/env node
// Makes sure Electron's binary is in node_modules/electron before `npm start`, `npm run dev` and
// `npm run dist` hand over to electron-vite / electron-builder (package.json chains them with &&).
//
// Electron's package no longer fetches its binary at install time; its own `install-electron` command
// (node_modules/electron/install.js) does, and returns at once when the binary is already there. That
// command writes node_modules/electron/path.txt, the file electron-vite reads to find the binary.
// We run it and, if it fails, print one sentence saying what failed and what to do instead of its
// stack trace, and exit non-zero so the command chained after us does not run.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** The binary counts as present the way Electron's installer decides it: dist/version, path.txt, the file. */
function isPresent(dir, version) {
  try {
    const distVersion = readFileSync(path.join(dir, 'dist', 'version'), 'utf8').trim().replace(/^v/, '');
    const exe = readFileSync(path.join(dir, 'path.txt'), 'utf8');
    return distVersion === version && exe.length > 0 && existsSync(path.join(dir, 'dist', exe));
  } catch {
    return false;
  }
}

/** The first line of the installer's error output that is not a stack frame, without the error class. */
function reasonFrom(stderr) {
  const line = stderr
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '' && !l.startsWith('at '));
  return line === undefined ? 'no reason given' : line.replace(/^[A-Za-z]*Error:\s*/, '');
}

function main() {
  let pkgFile;
  try {
    pkgFile = require.resolve('electron/package.json');
  } catch {
    console.error('The electron package is not installed: run `npm install` first, then run this command again.');
    return 1;
  }
  const dir = path.dirname(pkgFile);
  const { version } = JSON.parse(readFileSync(pkgFile, 'utf8'));

  // Electron's installer checks this itself; checking first only lets us say when a download starts.
  if (isPresent(dir, version)) return 0;
  console.log(`Downloading the Electron ${version} binary (once; about 100 MB)…`);

  const result = spawnSync(process.execPath, [path.join(dir, 'install.js')], {
    cwd: dir,
    stdio: ['ignore', 'inherit', 'pipe'],
    encoding: 'utf8',
  });
  if (result.error !== undefined) {
    console.error(`Could not run Electron's installer (${result.error.message}): run \`npm install\` again, then this command.`);
    return 1;
  }
  if (result.signal !== null) return 130;
  if (result.status === 0) return 0;

  const stderr = result.stderr ?? '';
  if (stderr.includes('ERR_REQUIRE_ESM')) {
    console.error(
      `Electron's installer needs Node.js 22.12 or newer (this is ${process.version}): update Node.js, then run this command again.`,
    );
    return 1;
  }
  const mirror = process.env.ELECTRON_MIRROR;
  const from = mirror ? ` from ELECTRON_MIRROR=${mirror}` : '';
  console.error(
    `Could not download the Electron ${version} binary${from} (${reasonFrom(stderr)}): connect this machine to ` +
      'the internet once and run the command again, or set ELECTRON_MIRROR to a mirror you can reach, or, ' +
      'behind a proxy, set HTTPS_PROXY and ELECTRON_GET_USE_PROXY=true.',
  );
  return 1;
}

process.exitCode = main();
