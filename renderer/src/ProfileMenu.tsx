import { FormDialog } from './ui/FormDialog';
import * as DropdownMenu from '@radix-ui/react-dropdown-menu';
import { useState } from 'react';
import type { FormEvent } from 'react';
import type { Profile, ProfilesState } from '../../preload/contract';
import { api } from './api';
import { Field } from './ui/Field';

function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0], words[1]].map((w) => [...(w ?? '')][0]) : [...(words[0] ?? '?')].slice(0, 2);
  return letters.join('').toUpperCase();
}

/** The active profile at the top right: a menu with Settings and the other profiles to switch to. */
export function ProfileMenu({ state, onOpenSettings }: { state: ProfilesState | null; onOpenSettings: () => void }) {
  const [asking, setAsking] = useState<Profile | null>(null);
  const [switchError, setSwitchError] = useState<string | null>(null);
  const active = state?.active;

  const switchTo = async (profile: Profile) => {
    if (profile.hasPassphrase) return setAsking(profile);
    const result = await api.profilesSwitch({ id: profile.id });
    setSwitchError(result.ok ? null : result.error.message);
  };

  return (
    <>
      {/* Not modal: a modal menu hides the rest of the page with aria-hidden while it stays focusable. */}
      <DropdownMenu.Root modal={false}>
        {/* Named by what it shows (the profile's name and role, WCAG 2.5.3), then what it is for. */}
        <DropdownMenu.Trigger className="profile" aria-label={`${active ? `${active.name} ${active.roleName}` : '…'}, profile menu`}>
          <span className="avatar" aria-hidden="true">
            {initials(active?.name ?? '?')}
          </span>
          <span className="profile-name">{active?.name ?? '…'}</span>
          <span className="profile-role">{active?.roleName}</span>
        </DropdownMenu.Trigger>
        <DropdownMenu.Portal>
          <DropdownMenu.Content className="menu" align="end" sideOffset={6}>
            <DropdownMenu.Item className="menu-item" onSelect={onOpenSettings}>
              Settings
            </DropdownMenu.Item>
            {state && state.profiles.length > 1 ? (
              <>
                <DropdownMenu.Separator className="menu-separator" />
                <DropdownMenu.Label className="menu-label">Switch profile</DropdownMenu.Label>
                {state.profiles
                  .filter((p) => p.id !== state.activeProfileId)
                  .map((p) => (
                    <DropdownMenu.Item key={p.id} className="menu-item" onSelect={() => void switchTo(p)}>
                      Switch to {p.name}
                      <span className="menu-hint">{p.roleName}</span>
                    </DropdownMenu.Item>
                  ))}
              </>
            ) : null}
          </DropdownMenu.Content>
        </DropdownMenu.Portal>
      </DropdownMenu.Root>
      {switchError ? (
        <span role="alert" className="error small-text">
          {switchError}
        </span>
      ) : null}
      {asking ? <PassphraseDialog profile={asking} onClose={() => setAsking(null)} /> : null}
    </>
  );
}

function PassphraseDialog({ profile, onClose }: { profile: Profile; onClose: () => void }) {
  const [passphrase, setPassphrase] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await api.profilesSwitch({ id: profile.id, passphrase });
    if (result.ok) return onClose();
    setError(result.error.code === 'validation' ? (result.error.fieldErrors['passphrase'] ?? result.error.message) : result.error.message);
  };
  return (
    <FormDialog title={<>Switch to {profile.name}</>} narrow submitLabel="Switch" onSubmit={submit} onClose={onClose}>
      <Field label="Passphrase" error={error}>
        {(props) => <input {...props} type="password" autoFocus value={passphrase} onChange={(e) => setPassphrase(e.target.value)} />}
      </Field>
    </FormDialog>
  );
}
