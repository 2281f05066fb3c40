// Live state from main: fetch once, then follow the push channel. No polling, no reload.
import { useEffect, useState } from 'react';
import type { DeviceEventInfo, DevicesState, IpcResult, LocalApiInfo, ProfilesState, WebhookDeliveryHealth, WebhooksState } from '../../preload/contract';
import { api } from './api';

function useLive<T>(fetch: () => Promise<IpcResult<T>>, subscribe: (listener: (value: T) => void) => () => void) {
  const [value, setValue] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    fetch().then(
      (result) => {
        if (!live) return;
        if (result.ok) setValue(result.value);
        else setError(result.error.message);
      },
      (e: Error) => live && setError(e.message),
    );
    const stop = subscribe((next) => {
      setValue(next);
      setError(null);
    });
    return () => {
      live = false;
      stop();
    };
    // fetch and subscribe are module-level api functions: stable for the page's life.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  return { value, error };
}

export function useWebhooksState() {
  return useLive<WebhooksState>(() => api.webhooksState(), (l) => api.onWebhooksChanged(l));
}

export function useProfilesState() {
  return useLive<ProfilesState>(() => api.profilesState(), (l) => api.onProfilesChanged(l));
}

export function useDevicesState() {
  return useLive<DevicesState>(() => api.devicesState(), (l) => api.onDevicesChanged(l));
}

export function useLocalApiInfo() {
  return useLive<LocalApiInfo>(() => api.localApiState(), (l) => api.onLocalApiChanged(l));
}

/** Recent events, newest first: the list main kept, then each new one as it is pushed. */
export function useDeviceEvents(): DeviceEventInfo[] {
  const [events, setEvents] = useState<DeviceEventInfo[]>([]);
  useEffect(() => {
    let live = true;
    void api.devicesEvents().then((result) => {
      if (live && result.ok) setEvents((pushed) => [...pushed, ...result.value.filter((e) => !pushed.some((p) => p.udid === e.udid && p.seq === e.seq))]);
    });
    const stop = api.onDevicesEvent((event) => setEvents((current) => [event, ...current].slice(0, 200)));
    return () => {
      live = false;
      stop();
    };
  }, []);
  return events;
}

/** Each webhook's recent results and backlog; refreshed when an attempt is made or webhooks change. */
export function useDeliveryHealth(): Map<number, WebhookDeliveryHealth> {
  const [health, setHealth] = useState<Map<number, WebhookDeliveryHealth>>(new Map());
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const load = () => {
      timer = null;
      void api.deliveriesHealth().then((result) => {
        if (live && result.ok) setHealth(new Map(result.value.map((h) => [h.webhookId, h])));
      });
    };
    // A storm of attempts makes one refresh per half second, not one per attempt.
    const soon = () => {
      timer ??= setTimeout(load, 500);
    };
    load();
    const stopAttempts = api.onDeliveriesAttempt(soon);
    const stopWebhooks = api.onWebhooksChanged(soon);
    // A device event queues callbacks even when nothing is attempted (a paused webhook).
    const stopEvents = api.onDevicesEvent(soon);
    return () => {
      live = false;
      if (timer) clearTimeout(timer);
      stopAttempts();
      stopWebhooks();
      stopEvents();
    };
  }, []);
  return health;
}
