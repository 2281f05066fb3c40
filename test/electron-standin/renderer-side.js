// Injected before any page script (Playwright init script). It plays Electron's renderer side for the
// sandboxed preload: `require('electron')` gives ipcRenderer and contextBridge, and nothing else loads.
// __PRELOAD_SOURCE__ is replaced by the built preload file's text, unchanged.
(() => {
  const listeners = new Map();
  const invoke = window.__standinInvoke;
  const sendBinding = window.__standinSend;
  const windowOpenBinding = window.__standinWindowOpen;
  // Electron asks setWindowOpenHandler before any window exists: window.open and target=_blank links
  // go to main first. (The stand-in never creates child windows: the app denies them all.)
  window.open = function open(url, target, features) {
    void windowOpenBinding(new URL(String(url ?? ''), location.href).href, String(target ?? ''), String(features ?? ''));
    return null;
  };
  document.addEventListener(
    'click',
    (event) => {
      const anchor = event.target instanceof Element ? event.target.closest('a[target="_blank"]') : null;
      if (!anchor) return;
      event.preventDefault();
      void windowOpenBinding(anchor.href, '_blank', '');
    },
    true,
  );
  const ipcRenderer = {
    invoke(channel, ...args) {
      return invoke(channel, args).catch((error) => {
        throw new Error(`Error invoking remote method '${channel}': ${error && error.message ? error.message : String(error)}`);
      });
    },
    send(channel, ...args) {
      void sendBinding(channel, args);
    },
    on(channel, listener) {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel).add(listener);
      return ipcRenderer;
    },
    once(channel, listener) {
      const wrapped = (...args) => {
        ipcRenderer.removeListener(channel, wrapped);
        listener(...args);
      };
      return ipcRenderer.on(channel, wrapped);
    },
    removeListener(channel, listener) {
      listeners.get(channel)?.delete(listener);
      return ipcRenderer;
    },
    removeAllListeners(channel) {
      listeners.delete(channel);
      return ipcRenderer;
    },
  };
  const contextBridge = {
    exposeInMainWorld(key, api) {
      Object.defineProperty(window, key, { value: api, writable: false, configurable: false, enumerable: true });
    },
  };
  // main → renderer: webContents.send lands here.
  Object.defineProperty(window, '__standinEmit', {
    value: (channel, args) => {
      for (const listener of listeners.get(channel) ?? []) listener({ sender: ipcRenderer }, ...args);
    },
  });
  const require = (name) => {
    if (name === 'electron') return { ipcRenderer, contextBridge };
    throw new Error(`Cannot find module '${name}': a sandboxed preload can require only 'electron'`);
  };
  const module = { exports: {} };
  // eslint-disable-next-line no-unused-vars
  (function (require, module, exports) {
    __PRELOAD_SOURCE__;
  })(require, module, module.exports);
})();
