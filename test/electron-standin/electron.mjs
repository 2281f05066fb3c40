// The `electron` module as the built main process sees it under the test harness: a small stand-in over
// playwright-core and Debian's Chromium. It replaces Electron, never our code. Where it cannot be
// faithful (context isolation, the sandbox, permission prompts), tests check what real Electron would
// enforce instead (webPreferences, the preload bundle, electronegativity).
//
// Environment:
//   DH_STANDIN_USER_DATA   the userData folder (created, as Electron does)
//   DH_STANDIN_CHROMIUM    Chromium executable (default /usr/bin/chromium)
//   DH_STANDIN_CONTROL=stdin  read JSON commands from stdin: {"cmd":"quit"} | {"cmd":"close","id":1} |
//                          {"cmd":"power","event":"suspend"|"resume"} (the OS going to sleep, waking up)
// Reports go to stdout as lines `[standin] {json}`: cdp, window-created, loaded, open-external, focus…
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync, watch, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const rendererSide = readFileSync(join(here, 'renderer-side.js'), 'utf8');

function report(type, data = {}) {
  process.stdout.write(`[standin] ${JSON.stringify({ type, ...data })}\n`);
}

const appRoot = process.cwd();
const pkg = JSON.parse(readFileSync(join(appRoot, 'package.json'), 'utf8'));
const appName = pkg.productName || pkg.name;

// ---------------------------------------------------------------- ipcMain
const handlers = new Map();
class IpcMain extends EventEmitter {
  handle(channel, fn) {
    if (handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    handlers.set(channel, fn);
  }
  handleOnce(channel, fn) {
    this.handle(channel, (...args) => {
      handlers.delete(channel);
      return fn(...args);
    });
  }
  removeHandler(channel) {
    handlers.delete(channel);
  }
}
export const ipcMain = new IpcMain();

// ---------------------------------------------------------------- protocol
// Custom schemes (app://…) as Electron's protocol.handle serves them. Chromium outside Electron does not
// request unknown schemes at all, so a page of a handled scheme is loaded from a stand-in https origin,
// one per scheme and host (app://devicehooks/x ⇄ https://devicehooks.app-scheme.standin.invalid/x), whose
// every request page.route hands to the app's own handler with the app:// URL; everything the app sees
// (sender frames, will-navigate, getURL, the `loaded` report's appUrl) carries the app:// URL again.
const privilegedSchemes = new Map();
const schemeHandlers = new Map();
const STANDIN_SUFFIX = '-scheme.standin.invalid';
export const protocol = {
  registerSchemesAsPrivileged(schemes) {
    if (ready) throw new Error('protocol.registerSchemesAsPrivileged must be called before the app is ready');
    for (const s of schemes) privilegedSchemes.set(s.scheme, s.privileges ?? {});
    report('protocol-privileged', { schemes: schemes.map((s) => s.scheme) });
  },
  handle(scheme, handler) {
    if (!ready) throw new Error('protocol.handle must be called after the app is ready');
    if (schemeHandlers.has(scheme)) throw new Error(`The scheme ${scheme} is already handled`);
    schemeHandlers.set(scheme, handler);
  },
  unhandle(scheme) {
    schemeHandlers.delete(scheme);
  },
  isProtocolHandled(scheme) {
    return schemeHandlers.has(scheme);
  },
};
/** app://host/path → the stand-in https URL the page really loads (other URLs unchanged). */
function toPageUrl(url) {
  const parsed = URL.canParse(url) ? new URL(url) : null;
  if (!parsed || !schemeHandlers.has(parsed.protocol.slice(0, -1))) return url;
  return `https://${parsed.host}.${parsed.protocol.slice(0, -1)}${STANDIN_SUFFIX}${parsed.pathname}${parsed.search}${parsed.hash}`;
}
/** The reverse: what the app sees. */
function toAppUrl(url) {
  const parsed = URL.canParse(url) ? new URL(url) : null;
  if (!parsed || parsed.protocol !== 'https:' || !parsed.hostname.endsWith(STANDIN_SUFFIX)) return url;
  const label = parsed.hostname.slice(0, -STANDIN_SUFFIX.length);
  const dot = label.lastIndexOf('.');
  return `${label.slice(dot + 1)}://${label.slice(0, dot)}${parsed.pathname}${parsed.search}${parsed.hash}`;
}

// ---------------------------------------------------------------- session, shell, nativeTheme
const sessionState = { permissionRequestHandler: null, permissionCheckHandler: null, headersReceived: null };
export const session = {
  defaultSession: {
    setPermissionRequestHandler: (fn) => (sessionState.permissionRequestHandler = fn),
    setPermissionCheckHandler: (fn) => (sessionState.permissionCheckHandler = fn),
    webRequest: { onHeadersReceived: (fn) => (sessionState.headersReceived = fn) },
  },
};

export const shell = {
  async openExternal(url) {
    report('open-external', { url });
  },
  showItemInFolder(path) {
    report('show-item-in-folder', { path });
  },
  async openPath(path) {
    report('open-path', { path });
    return '';
  },
};

class NativeTheme extends EventEmitter {
  themeSource = 'system';
  get shouldUseDarkColors() {
    return process.env.DH_STANDIN_DARK === '1';
  }
}
export const nativeTheme = new NativeTheme();

// ---------------------------------------------------------------- safeStorage
// Electron encrypts with a key the OS keeps for this user. The stand-in derives one per userData folder
// (so a relaunch on the same folder decrypts) and AES-256-GCM; DH_STANDIN_SAFE_STORAGE=0 plays a Linux
// session without a keyring, where encryption is not available. The command {"cmd":"keyring","available":
// true|false} changes that while the app runs (a person unlocking or locking the OS keyring).
let keyringAvailable = process.env.DH_STANDIN_SAFE_STORAGE !== '0';
function safeStorageKey() {
  return createHash('sha256').update(`devicehooks-standin:${app.getPath('userData')}`).digest();
}
export const safeStorage = {
  isEncryptionAvailable() {
    return keyringAvailable;
  },
  encryptString(plain) {
    if (!this.isEncryptionAvailable()) throw new Error('Error while encrypting the text provided to safeStorage.encryptString. Encryption is not available.');
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', safeStorageKey(), iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.from('v10'), iv, cipher.getAuthTag(), data]);
  },
  decryptString(encrypted) {
    if (!this.isEncryptionAvailable()) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString. Decryption is not available.');
    const buf = Buffer.from(encrypted);
    const decipher = createDecipheriv('aes-256-gcm', safeStorageKey(), buf.subarray(3, 15));
    decipher.setAuthTag(buf.subarray(15, 31));
    return Buffer.concat([decipher.update(buf.subarray(31)), decipher.final()]).toString('utf8');
  },
  getSelectedStorageBackend() {
    return this.isEncryptionAvailable() ? 'gnome_libsecret' : 'basic_text';
  },
};

// ---------------------------------------------------------------- nativeImage, Menu, Tray, Notification
// The OS shell's parts: what the app puts there is reported; the test "clicks" tray menu items by label.
export const nativeImage = {
  createFromBuffer(buffer, options = {}) {
    const hash = createHash('sha256').update(buffer).digest('hex').slice(0, 12);
    return { hash, scaleFactor: options.scaleFactor ?? 1, isEmpty: () => buffer.length === 0, toPNG: () => Buffer.from(buffer) };
  },
  createEmpty() {
    return { hash: 'empty', isEmpty: () => true, toPNG: () => Buffer.alloc(0) };
  },
};

function describeMenu(items) {
  return items.map((item) => ({
    label: item.label ?? (item.role ? `role:${item.role}` : ''),
    type: item.type ?? 'normal',
    enabled: item.enabled !== false,
    ...(item.submenu ? { submenu: describeMenu(item.submenu.items ?? item.submenu) } : {}),
  }));
}

export const Menu = {
  applicationMenu: null,
  buildFromTemplate(template) {
    return { items: template.map((item) => ({ ...item, submenu: item.submenu ? Menu.buildFromTemplate(item.submenu) : undefined })) };
  },
  setApplicationMenu(menu) {
    Menu.applicationMenu = menu;
    report('app-menu', { items: menu ? describeMenu(menu.items) : [] });
  },
  getApplicationMenu() {
    return Menu.applicationMenu;
  },
};

const trays = new Set();
export class Tray extends EventEmitter {
  constructor(image) {
    super();
    this.image = image;
    this.tooltip = '';
    this.menu = null;
    trays.add(this);
    report('tray', { event: 'created', icon: image?.hash ?? null });
  }
  setImage(image) {
    this.image = image;
    report('tray', { event: 'image', icon: image?.hash ?? null });
  }
  setToolTip(tooltip) {
    this.tooltip = tooltip;
    report('tray', { event: 'tooltip', tooltip });
  }
  setContextMenu(menu) {
    this.menu = menu;
    report('tray', { event: 'menu', items: describeMenu(menu.items) });
  }
  destroy() {
    trays.delete(this);
    report('tray', { event: 'destroyed' });
  }
  isDestroyed() {
    return !trays.has(this);
  }
}

export class Notification extends EventEmitter {
  static isSupported() {
    return true;
  }
  constructor(options = {}) {
    super();
    this.options = options;
  }
  show() {
    report('notification', { title: this.options.title ?? '', body: this.options.body ?? '' });
  }
  close() {}
}

// ---------------------------------------------------------------- dialog
// Native dialogs are the OS's: the test answers them ahead of time with {"cmd":"dialog-answer",...};
// a dialog with no queued answer is cancelled, as if the user pressed Escape.
const dialogAnswers = [];
export const dialog = {
  async showSaveDialog(winOrOptions, maybeOptions) {
    const options = maybeOptions ?? winOrOptions;
    report('dialog', { kind: 'save', title: options?.title ?? '', defaultPath: options?.defaultPath ?? '' });
    const answer = dialogAnswers.shift();
    return answer?.filePath ? { canceled: false, filePath: answer.filePath } : { canceled: true, filePath: '' };
  },
  async showOpenDialog(winOrOptions, maybeOptions) {
    const options = maybeOptions ?? winOrOptions;
    report('dialog', { kind: 'open', title: options?.title ?? '' });
    const answer = dialogAnswers.shift();
    return answer?.filePaths?.length ? { canceled: false, filePaths: answer.filePaths } : { canceled: true, filePaths: [] };
  },
  async showMessageBox(winOrOptions, maybeOptions) {
    const options = maybeOptions ?? winOrOptions;
    report('dialog', { kind: 'message', message: options?.message ?? '', buttons: options?.buttons ?? [] });
    const answer = dialogAnswers.shift();
    return { response: answer?.response ?? options?.cancelId ?? 0, checkboxChecked: false };
  },
  showErrorBox(title, content) {
    report('dialog', { kind: 'error', title, content });
  },
};

// ---------------------------------------------------------------- Chromium (one, lazily)
let contextPromise = null;
function browserContext() {
  contextPromise ??= (async () => {
    const profile = join(app.getPath('userData'), '.standin-chromium');
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.DH_STANDIN_CHROMIUM || '/usr/bin/chromium',
      headless: true,
      viewport: { width: 1200, height: 800 },
      colorScheme: process.env.DH_STANDIN_DARK === '1' ? 'dark' : 'light',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--allow-file-access-from-files',
        '--remote-debugging-port=0',
      ],
    });
    const port = readFileSync(join(profile, 'DevToolsActivePort'), 'utf8').split('\n')[0];
    report('cdp', { port: Number(port) });
    return context;
  })();
  return contextPromise;
}

// ---------------------------------------------------------------- BrowserWindow / webContents
const windows = new Map();
let nextId = 1;

class WebContents extends EventEmitter {
  constructor(win) {
    super();
    this.id = win.id;
    this._win = win;
    this._windowOpenHandler = null;
    this._loaded = false;
    this.session = session.defaultSession;
  }
  setWindowOpenHandler(fn) {
    this._windowOpenHandler = fn;
  }
  getURL() {
    return toAppUrl(this._win._page?.url() ?? '');
  }
  isDestroyed() {
    return this._win._destroyed;
  }
  openDevTools() {}
  send(channel, ...args) {
    const page = this._win._page;
    // As in Electron, a send before the page has loaded is lost.
    if (!page || !this._loaded || this._win._destroyed) return;
    page.evaluate(([c, a]) => globalThis.__standinEmit(c, a), [channel, args]).catch(() => undefined);
  }
}

export class BrowserWindow extends EventEmitter {
  static getAllWindows() {
    return [...windows.values()].filter((w) => !w._destroyed);
  }
  static getFocusedWindow() {
    return BrowserWindow.getAllWindows().find((w) => w._focused) ?? null;
  }
  static fromWebContents(contents) {
    return windows.get(contents.id) ?? null;
  }

  constructor(options = {}) {
    super();
    this.id = nextId++;
    this._options = options;
    this._destroyed = false;
    this._visible = options.show !== false;
    this._focused = false;
    this._minimized = false;
    this._page = null;
    this.webContents = new WebContents(this);
    windows.set(this.id, this);
    report('window-created', { id: this.id, options: { ...options, webPreferences: options.webPreferences ?? {} } });
    app.emit('web-contents-created', { preventDefault() {} }, this.webContents);
    this._ready = this._open();
  }

  async _open() {
    const context = await browserContext();
    const page = await context.newPage();
    this._page = page;
    const preloadPath = this._options.webPreferences?.preload;
    await page.exposeBinding('__standinInvoke', async (source, channel, args) => {
      const handler = handlers.get(channel);
      if (!handler) throw new Error(`No handler registered for '${channel}'`);
      const url = toAppUrl(source.frame.url());
      const event = { sender: this.webContents, senderFrame: { url, origin: new URL(url).origin }, frameId: 1, processId: 1 };
      return handler(event, ...args);
    });
    await page.exposeBinding('__standinSend', async (source, channel, args) => {
      ipcMain.emit(channel, { sender: this.webContents, senderFrame: { url: toAppUrl(source.frame.url()) } }, ...args);
    });
    await page.exposeBinding('__standinWindowOpen', async (_source, url, frameName, features) => {
      const decision = this.webContents._windowOpenHandler?.({ url, frameName, features, disposition: 'new-window' }) ?? { action: 'allow' };
      report('window-open', { id: this.id, url, action: decision.action });
    });
    if (preloadPath) {
      const preloadSource = readFileSync(preloadPath, 'utf8');
      await page.addInitScript({ content: rendererSide.replace('__PRELOAD_SOURCE__;', () => preloadSource) });
    }
    // Renderer-initiated navigation goes through will-navigate, as in Electron; loadFile/loadURL do not.
    await page.route('**/*', async (route) => {
      const request = route.request();
      const appUrl = toAppUrl(request.url());
      if (request.isNavigationRequest() && request.frame() === page.mainFrame() && !this._programmatic) {
        let prevented = false;
        this.webContents.emit('will-navigate', { preventDefault: () => (prevented = true) }, appUrl);
        if (prevented) {
          report('navigation-blocked', { id: this.id, url: request.url() });
          return route.abort('aborted');
        }
      }
      if (appUrl !== request.url()) {
        const handler = schemeHandlers.get(new URL(appUrl).protocol.slice(0, -1));
        if (!handler) return route.abort('failed');
        const response = await handler(new Request(appUrl, { method: request.method() }));
        return route.fulfill({ status: response.status, headers: Object.fromEntries(response.headers), body: Buffer.from(await response.arrayBuffer()) });
      }
      return route.continue();
    });
    page.on('close', () => this._closed());
    page.on('pageerror', (error) => report('page-error', { id: this.id, message: error.message }));
    page.on('console', (msg) => {
      if (msg.type() === 'error') report('console-error', { id: this.id, text: msg.text() });
    });
  }

  async _load(url) {
    await this._ready;
    this._programmatic = true;
    try {
      await this._page.goto(toPageUrl(url));
    } finally {
      this._programmatic = false;
    }
    this.webContents._loaded = true;
    report('loaded', { id: this.id, url: this._page.url(), appUrl: toAppUrl(this._page.url()) });
    this.webContents.emit('did-finish-load');
    this.emit('ready-to-show');
  }
  loadFile(file, options = {}) {
    const url = pathToFileURL(resolve(appRoot, file));
    if (options.hash) url.hash = options.hash;
    if (options.query) url.search = new URLSearchParams(options.query).toString();
    return this._load(url.href);
  }
  loadURL(url) {
    return this._load(url);
  }
  show() {
    this._visible = true;
    this.focus();
    this.emit('show');
  }
  showInactive() {
    this._visible = true;
    this.emit('show');
  }
  hide() {
    this._visible = false;
    report('hide', { id: this.id });
    this.emit('hide');
  }
  isVisible() {
    return this._visible;
  }
  focus() {
    this._focused = true;
    report('focus', { id: this.id });
    this._page?.bringToFront().catch(() => undefined);
    this.emit('focus');
  }
  isFocused() {
    return this._focused;
  }
  minimize() {
    this._minimized = true;
  }
  isMinimized() {
    return this._minimized;
  }
  restore() {
    this._minimized = false;
  }
  setTitle(title) {
    this._options.title = title;
  }
  getTitle() {
    return this._options.title ?? appName;
  }
  isDestroyed() {
    return this._destroyed;
  }
  /** A user closing the window: 'close' may be prevented (e.g. hide to tray instead). */
  close() {
    if (this._destroyed) return;
    let prevented = false;
    this.emit('close', { preventDefault: () => (prevented = true) });
    if (!prevented) this.destroy();
  }
  destroy() {
    if (this._destroyed) return;
    if (this._page) this._page.close().catch(() => undefined);
    else this._closed();
  }
  _closed() {
    if (this._destroyed) return;
    this._destroyed = true;
    windows.delete(this.id);
    report('closed', { id: this.id });
    this.emit('closed');
    if (BrowserWindow.getAllWindows().length === 0 && !quitting) app.emit('window-all-closed');
  }
}

// ---------------------------------------------------------------- app
let quitting = false;
let ready = false;
let singletonLock = null;

class App extends EventEmitter {
  name = appName;
  isPackaged = false;
  commandLine = { appendSwitch() {}, hasSwitch: () => false, getSwitchValue: () => '' };

  constructor() {
    super();
    this._paths = new Map();
    setImmediate(() => {
      ready = true;
      this.emit('ready', { preventDefault() {} }, {});
    });
  }
  whenReady() {
    return ready ? Promise.resolve() : new Promise((done) => this.once('ready', () => done()));
  }
  isReady() {
    return ready;
  }
  getName() {
    return appName;
  }
  setName(name) {
    this.name = name;
  }
  getVersion() {
    return pkg.version;
  }
  getAppPath() {
    return appRoot;
  }
  getLocale() {
    return 'en-US';
  }
  setAppUserModelId() {}
  setLoginItemSettings(settings) {
    this._loginItem = { ...settings };
    report('login-item', settings);
  }
  getLoginItemSettings() {
    return { openAtLogin: false, ...this._loginItem };
  }
  getPath(name) {
    if (this._paths.has(name)) return this._paths.get(name);
    const userData = process.env.DH_STANDIN_USER_DATA || join(homedir(), '.config', appName);
    const paths = {
      userData,
      appData: dirname(userData),
      logs: join(userData, 'logs'),
      temp: tmpdir(),
      home: homedir(),
      desktop: join(homedir(), 'Desktop'),
      documents: join(homedir(), 'Documents'),
      downloads: join(homedir(), 'Downloads'),
      exe: process.execPath,
    };
    if (!(name in paths)) throw new Error(`Failed to get '${name}' path`);
    // Electron creates userData on first use; so does the stand-in.
    if (name === 'userData') mkdirSync(userData, { recursive: true });
    return paths[name];
  }
  setPath(name, value) {
    this._paths.set(name, value);
  }

  /** Like Electron: a lock per userData folder; a second instance's argv reaches the first as 'second-instance'. */
  requestSingleInstanceLock(additionalData = {}) {
    const userData = this.getPath('userData');
    const lock = join(userData, '.standin-singleton.lock');
    const inbox = join(userData, '.standin-second-instance');
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
    } catch {
      const holder = Number(readFileSync(lock, 'utf8'));
      let alive = false;
      try {
        process.kill(holder, 0);
        alive = holder !== process.pid;
      } catch {
        alive = false;
      }
      if (alive) {
        mkdirSync(inbox, { recursive: true });
        writeFileSync(join(inbox, `${process.pid}.json`), JSON.stringify({ argv: process.argv, cwd: process.cwd(), additionalData }));
        return false;
      }
      writeFileSync(lock, String(process.pid));
    }
    singletonLock = lock;
    mkdirSync(inbox, { recursive: true });
    const drain = () => {
      for (const file of readdirSync(inbox)) {
        const path = join(inbox, file);
        try {
          const { argv, cwd, additionalData: data } = JSON.parse(readFileSync(path, 'utf8'));
          unlinkSync(path);
          this.emit('second-instance', { preventDefault() {} }, argv, cwd, data);
        } catch {
          // half-written: the next change event picks it up
        }
      }
    };
    watch(inbox, () => setTimeout(drain, 20)).unref();
    return true;
  }
  hasSingleInstanceLock() {
    return singletonLock !== null;
  }
  releaseSingleInstanceLock() {
    if (singletonLock && existsSync(singletonLock)) rmSync(singletonLock, { force: true });
    singletonLock = null;
  }

  quit() {
    if (quitting) return;
    let prevented = false;
    this.emit('before-quit', { preventDefault: () => (prevented = true) });
    if (prevented) return;
    quitting = true;
    for (const win of BrowserWindow.getAllWindows()) {
      let closePrevented = false;
      win.emit('close', { preventDefault: () => (closePrevented = true) });
      if (!closePrevented) win._closed();
    }
    let willQuitPrevented = false;
    this.emit('will-quit', { preventDefault: () => (willQuitPrevented = true) });
    if (willQuitPrevented) {
      quitting = false;
      return;
    }
    void this._shutdown(0);
  }
  exit(code = 0) {
    quitting = true;
    void this._shutdown(code);
  }
  async _shutdown(code) {
    this.emit('quit', { preventDefault() {} }, code);
    report('quit', { code });
    this.releaseSingleInstanceLock();
    if (contextPromise) await (await contextPromise).close().catch(() => undefined);
    process.exit(code);
  }
}
export const app = new App();

/** Electron's powerMonitor: a test emits 'suspend' / 'resume' the way the OS would. */
export const powerMonitor = new EventEmitter();

// ---------------------------------------------------------------- the "OS": commands from the test
if (process.env.DH_STANDIN_CONTROL === 'stdin') {
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    let command;
    try {
      command = JSON.parse(line);
    } catch {
      return;
    }
    if (command.cmd === 'quit') app.quit();
    else if (command.cmd === 'close') windows.get(command.id)?.close();
    else if (command.cmd === 'dialog-answer') dialogAnswers.push(command);
    else if (command.cmd === 'power' && (command.event === 'suspend' || command.event === 'resume')) powerMonitor.emit(command.event);
    else if (command.cmd === 'keyring') keyringAvailable = command.available === true;
    // A person clicks into a window (by id, else the first): it gains focus.
    else if (command.cmd === 'focus') (windows.get(command.id) ?? BrowserWindow.getAllWindows()[0])?.focus();
    else if (command.cmd === 'tray-click') {
      // A click on the tray icon itself, or on one of its menu items by label.
      for (const tray of trays) {
        if (!command.label) tray.emit('click', { preventDefault() {} });
        const item = tray.menu?.items.find((i) => i.label === command.label);
        if (item && item.enabled !== false) item.click?.(item, undefined, {});
        else if (command.label) report('tray', { event: 'no-such-item', label: command.label });
      }
    } else if (command.cmd === 'menu-click') {
      const items = (Menu.applicationMenu?.items ?? []).flatMap((i) => [i, ...(i.submenu?.items ?? [])]);
      items.find((i) => i.label === command.label)?.click?.();
    }
  });
}

export default { app, BrowserWindow, dialog, ipcMain, Menu, nativeImage, nativeTheme, Notification, powerMonitor, protocol, safeStorage, session, shell, Tray };
