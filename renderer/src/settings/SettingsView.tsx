import * as Tabs from '@radix-ui/react-tabs';
import { GeneralTab } from './GeneralTab';
import { LocalApiTab } from './LocalApiTab';
import { OrganizationTab } from './OrganizationTab';
import { ProfilesTab } from './ProfilesTab';
import { WebhookSettings } from './WebhookSettings';

export type SettingsTab = 'webhooks' | 'organization' | 'profiles' | 'localApi' | 'general';

export function SettingsView({ tab, onTabChange }: { tab: SettingsTab; onTabChange: (tab: SettingsTab) => void }) {
  return (
    <section aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      <Tabs.Root value={tab} onValueChange={(v) => onTabChange(v as SettingsTab)} className="tabs">
        <Tabs.List aria-label="Settings sections" className="tab-list">
          <Tabs.Trigger value="webhooks" className="tab">
            Webhook Settings
          </Tabs.Trigger>
          <Tabs.Trigger value="organization" className="tab">
            Organization
          </Tabs.Trigger>
          <Tabs.Trigger value="profiles" className="tab">
            Profiles
          </Tabs.Trigger>
          <Tabs.Trigger value="localApi" className="tab">
            Local API
          </Tabs.Trigger>
          <Tabs.Trigger value="general" className="tab">
            General
          </Tabs.Trigger>
        </Tabs.List>
        <Tabs.Content value="webhooks" className="tab-panel">
          <WebhookSettings />
        </Tabs.Content>
        <Tabs.Content value="organization" className="tab-panel">
          <OrganizationTab />
        </Tabs.Content>
        <Tabs.Content value="profiles" className="tab-panel">
          <ProfilesTab />
        </Tabs.Content>
        <Tabs.Content value="localApi" className="tab-panel">
          <LocalApiTab />
        </Tabs.Content>
        <Tabs.Content value="general" className="tab-panel">
          <GeneralTab />
        </Tabs.Content>
      </Tabs.Root>
    </section>
  );
}
