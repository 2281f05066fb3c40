import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';
import { invokeChannels, pushChannels } from './preload/contract';

// The design card keeps main/, preload/ and renderer/ at the top level, so each part names its entry.
export default defineConfig({
  main: {
    build: {
      rolldownOptions: {
        // headless: the same core under plain Node (`node out/main/headless.js`); it must never import electron.
        input: { index: resolve(import.meta.dirname, 'main/index.ts'), headless: resolve(import.meta.dirname, 'main/headless.ts') },
        // The headless runner is also the package's `devicehooks-headless` command (package.json "bin").
        output: { banner: (chunk) => (chunk.isEntry && chunk.name === 'headless' ? '#!/usr/bin/env node' : '') },
      },
    },
  },
  preload: {
    // The contract's channel lists, as data: the preload builds window.api from them without loading zod.
    define: { __DEVICEHOOKS_CHANNELS__: JSON.stringify({ invoke: invokeChannels, push: pushChannels }) },
    build: {
      // A sandboxed preload can require nothing but `electron`: bundle everything else into one file.
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: resolve(import.meta.dirname, 'preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs', codeSplitting: false },
      },
    },
  },
  renderer: {
    root: resolve(import.meta.dirname, 'renderer'),
    base: './',
    plugins: [
      react(),
      {
        // `npm run dev` only: React Fast Refresh injects one inline script, which index.html's strict
        // CSP would block. Built output keeps the strict policy (a test reads out/renderer/index.html).
        name: 'devicehooks-dev-csp',
        apply: 'serve',
        transformIndexHtml: (html: string) => html.replace("script-src 'self';", "script-src 'self' 'unsafe-inline';"),
      },
    ],
    build: {
      rolldownOptions: {
        input: { index: resolve(import.meta.dirname, 'renderer/index.html') },
      },
    },
  },
});
