// Live state from main: fetch once, then follow the push channel. No polling, no reload.
import { useEffect, useState } from 'react';
import type { IpcResult, ProfilesState, WebhooksState } from '../../preload/contract';
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
