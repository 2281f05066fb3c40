// Sandboxed preload: builds window.api from the contract's channel lists. It requires nothing but
// `electron` (a sandboxed preload can load nothing else) and never hands Electron's event object over.
import { contextBridge, ipcRenderer } from 'electron';
import { invokeChannels, listenerName, methodName, pushChannels } from './contract';

const api: Record<string, unknown> = {};

for (const channel of invokeChannels) {
  api[methodName(channel)] = (request?: unknown) => ipcRenderer.invoke(channel, request);
}

for (const channel of pushChannels) {
  api[listenerName(channel)] = (listener: (payload: unknown) => void) => {
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    const wrapped = (_event: unknown, payload: unknown) => listener(payload);
    ipcRenderer.on(channel, wrapped);
    return () => {
      ipcRenderer.removeListener(channel, wrapped);
    };
  };
}

contextBridge.exposeInMainWorld('api', Object.freeze(api));
