import type { ReactNode } from 'react';
import * as Tabs from '@radix-ui/react-tabs';
import { GeneralTab } from './GeneralTab';
import { LocalApiTab } from './LocalApiTab';
import { OrganizationTab } from './OrganizationTab';
import { ProfilesTab } from './ProfilesTab';
import { WebhookSettings } from './WebhookSettings';

export type SettingsTab = 'webhooks' | 'organization' | 'profiles' | 'localApi' | 'general';

const TABS: [SettingsTab, string, () => ReactNode][] = [
  ['webhooks', 'Webhook Settings', WebhookSettings],
  ['organization', 'Organization', OrganizationTab],
  ['profiles', 'Profiles', ProfilesTab],
  ['localApi', 'Local API', LocalApiTab],
  ['general', 'General', GeneralTab],
];

export function SettingsView({ tab, onTabChange }: { tab: SettingsTab; onTabChange: (tab: SettingsTab) => void }) {
  return (
    <section aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      <Tabs.Root value={tab} onValueChange={(v) => onTabChange(v as SettingsTab)} className="tabs">
        <Tabs.List aria-label="Settings sections" className="tab-list">
          {TABS.map(([value, label]) => (
            <Tabs.Trigger key={value} value={value} className="tab">
              {label}
            </Tabs.Trigger>
          ))}
        </Tabs.List>
        {TABS.map(([value, , Panel]) => (
          <Tabs.Content key={value} value={value} className="tab-panel">
            <Panel />
          </Tabs.Content>
        ))}
      </Tabs.Root>
    </section>
  );
}
