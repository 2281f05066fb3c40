import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import { builtinModules } from 'node:module';

// Only the composition root, the window factory, the tray (the OS shell around the window), the security
// module and the IPC handlers may touch Electron (docs/architecture.md); the preload entry needs
// contextBridge/ipcRenderer.
const electronAllowed = ['main/index.ts', 'main/shell/window.ts', 'main/shell/tray.ts', 'main/shell/security.ts', 'main/ipc/**', 'preload/index.ts'];
const noElectron = {
  name: 'electron',
  message: 'Only main/index.ts, main/shell/window.ts, main/shell/tray.ts, main/shell/security.ts, main/ipc/ and preload/index.ts may import electron.',
};
const electronPatterns = [{ group: ['electron/*'], message: noElectron.message }];

// The core folders (plain Node) must not import the Electron shell (main/shell/: window, tray, icons,
// notifier, autostart, security), the app's services (main/services/: the composition of the core, settings,
// notices), the composition root or the IPC handlers, however many folders up they reach.
const coreFolders = ['main/devices/**', 'main/webhooks/**', 'main/delivery/**', 'main/storage/**', 'main/profiles/**', 'main/base/**'];
const coreWall = [
  { group: ['**/shell', '**/shell/**'], message: 'Core layers must not import the Electron shell.' },
  { regex: '^(\\.\\./)+index(\\.[cm]?[jt]s)?$', message: 'Core layers must not import the Electron shell.' },
  { group: ['**/services', '**/services/**'], message: "Core layers must not import the app's services: they are composed from the core, not the other way." },
  { group: ['**/ipc', '**/ipc/**'], message: 'Core layers must not import the IPC handlers.' },
];
/** The core's import rule, plus any extra wall a folder adds. */
function coreRule(...extra) {
  return ['error', { paths: [noElectron], patterns: [...electronPatterns, ...coreWall, ...extra] }];
}

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'release/**', 'node_modules/**', 'test/electron-standin/renderer-side.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': ['error', { paths: [noElectron], patterns: electronPatterns }],
    },
  },
  { files: electronAllowed, rules: { 'no-restricted-imports': 'off' } },
  {
    // The plain-Node layers take their dependencies as arguments and never reach up or sideways.
    files: coreFolders,
    rules: { 'no-restricted-imports': coreRule() },
  },
  {
    files: ['main/devices/**'],
    rules: {
      'no-restricted-imports': coreRule({
        group: ['**/delivery/**', '**/webhooks/**', '**/profiles/**'],
        message: 'devices/ never imports delivery/, webhooks/ or profiles/: the composition root wires them.',
      }),
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      // The renderer is untrusted and bundled for the browser: from the preload it imports only the
      // contract (types and values: it is pure, see the block below), and only through its index.
      'no-restricted-imports': [
        'error',
        {
          paths: [noElectron],
          patterns: [
            ...electronPatterns,
            { group: ['**/main/**', 'node:*'], message: 'The renderer talks to main only through window.api.' },
            { group: ['**/preload/**', '!**/preload/contract'], message: 'From the preload the renderer imports only the contract (preload/contract).' },
          ],
        },
      ],
    },
  },
  {
    // The IPC contract is pure: main, the sandboxed preload and the renderer all load it.
    files: ['preload/contract/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'electron', message: 'The contract is pure: no electron.' },
            ...builtinModules.map((name) => ({ name, message: 'The contract is pure: no Node modules.' })),
          ],
          patterns: [
            { group: ['node:*', 'electron/*'], message: 'The contract is pure: no node: modules, no electron.' },
            { group: ['**/main/**', '../*'], message: 'The contract imports nothing from main/ or the rest of the preload.' },
          ],
        },
      ],
    },
  },
);
