// Sandboxed preload: builds window.api from the contract's channel lists. It requires nothing but
// `electron` (a sandboxed preload can load nothing else) and never hands Electron's event object over.
// The lists are read from preload/contract at build time (electron.vite.config.ts), so the preload
// carries the channel names and not the schemas (main parses every request with those).
import { contextBridge, ipcRenderer } from 'electron';
import type { InvokeChannel, PushChannel } from './contract';
import { listenerName, methodName } from './contract/names';

declare const __DEVICEHOOKS_CHANNELS__: { invoke: readonly InvokeChannel[]; push: readonly PushChannel[] };
const invokeChannels = __DEVICEHOOKS_CHANNELS__.invoke;
const pushChannels = __DEVICEHOOKS_CHANNELS__.push;

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
