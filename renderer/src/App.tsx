import { useEffect, useMemo, useState } from 'react';
import type { AppInfo, Notice } from '../../preload/contract';
import { api, unwrap } from './api';
import { AboutDialog } from './AboutDialog';
import { DevicesView } from './devices/DevicesView';
import { Notices } from './Notices';
import { ProfileMenu } from './ProfileMenu';
import { SettingsView } from './settings/SettingsView';
import type { SettingsTab } from './settings/SettingsView';
import { useProfilesState } from './state';
import { NavContext } from './nav';
import type { View } from './nav';
import { DeliveriesView } from './deliveries/DeliveriesView';
import { ReceiverView } from './receiver/ReceiverView';


export function App() {
  const [view, setView] = useState<View>('devices');
  const [settingsTab, setSettingsTab] = useState<SettingsTab>('webhooks');
  const [deliveriesWebhook, setDeliveriesWebhook] = useState<number | null>(null);
  const navigation = useMemo(
    () => ({
      go: setView,
      showDeliveries: (webhookId: number) => {
        setDeliveriesWebhook(webhookId);
        setView('deliveries');
      },
    }),
    [],
  );
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [infoError, setInfoError] = useState<string | null>(null);
  const [notices, setNotices] = useState<Notice[]>([]);
  const profiles = useProfilesState();

  useEffect(() => {
    unwrap(api.appInfo()).then(setInfo, (error: Error) => setInfoError(error.message));
    unwrap(api.appNotices()).then(setNotices, () => undefined);
    return api.onAppNotice((notice) => setNotices((current) => [...current.filter((n) => n.id !== notice.id), notice]));
  }, []);

  const dismiss = (id: string) => {
    setNotices((current) => current.filter((n) => n.id !== id));
    void api.appDismissNotice({ id });
  };

  return (
    <div className="shell">
      <header className="topbar">
        <span className="brand" aria-hidden="true">
          DeviceHooks
        </span>
        <nav aria-label="Main" className="mainnav">
          {(
            [
              ['devices', 'Devices'],
              ['deliveries', 'Deliveries'],
              ['receiver', 'Test receiver'],
              ['settings', 'Settings'],
            ] as const
          ).map(([v, label]) => (
            <button key={v} type="button" className="navlink" aria-current={view === v ? 'page' : undefined} onClick={() => setView(v)}>
              {label}
            </button>
          ))}
        </nav>
        <div className="topbar-end">
          <AboutDialog info={info} error={infoError} />
          <ProfileMenu
            state={profiles.value}
            onOpenSettings={() => {
              setView('settings');
              setSettingsTab('webhooks');
            }}
          />
        </div>
      </header>
      <Notices notices={notices} onDismiss={dismiss} />
      <NavContext.Provider value={navigation}>
        <main className="content">
          {view === 'devices' ? <DevicesView /> : null}
          {view === 'deliveries' ? <DeliveriesView webhookId={deliveriesWebhook} onWebhookChange={setDeliveriesWebhook} /> : null}
          {view === 'receiver' ? <ReceiverView /> : null}
          {view === 'settings' ? <SettingsView tab={settingsTab} onTabChange={setSettingsTab} /> : null}
        </main>
      </NavContext.Provider>
    </div>
  );
}
