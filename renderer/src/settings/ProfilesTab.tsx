import { FormDialog, FormError } from '../ui/FormDialog';
import * as Switch from '@radix-ui/react-switch';
import { useState } from 'react';
import type { FormEvent } from 'react';
import type { IpcResult, Profile, ProfilesState, Role } from '../../../preload/contract';
import { api } from '../api';
import { useProfilesState } from '../state';
import { ConfirmDialog } from '../ui/ConfirmDialog';
import { Field } from '../ui/Field';
import { Options, SubmitRow, TableHead } from '../ui/bits';

type Errors = Record<string, string>;

function errorsOf<T>(result: IpcResult<T>): Errors {
  if (result.ok) return {};
  return result.error.code === 'validation' ? result.error.fieldErrors : { _: result.error.message };
}

export function ProfilesTab() {
  const { value: state, error } = useProfilesState();
  if (error) return <p role="alert" className="error">{error}</p>;
  if (!state) return <p className="empty">Loading profiles…</p>;
  return (
    <>
      <ProfilesPanel state={state} />
      <RolesPanel state={state} />
    </>
  );
}

function ProfilesPanel({ state }: { state: ProfilesState }) {
  const [rowError, setRowError] = useState<Errors>({});
  const [removing, setRemoving] = useState<Profile | null>(null);
  const [editing, setEditing] = useState<Profile | null>(null);
  // The first Admin without a passphrase, asked once a second profile exists (anyone could switch back to it).
  const [asking, setAsking] = useState<Profile | null>(null);
  const { canManage } = state;

  const setRole = async (profile: Profile, roleId: string) => {
    const result = await api.profilesSetRole({ id: profile.id, roleId });
    setRowError(result.ok ? {} : { [profile.id]: errorsOf(result)['_'] ?? Object.values(errorsOf(result))[0] ?? '' });
  };
  const remove = async () => {
    if (!removing) return;
    const result = await api.profilesRemove({ id: removing.id });
    if (!result.ok) setRowError({ [removing.id]: errorsOf(result)['_'] ?? '' });
    setRemoving(null);
  };

  return (
    <section aria-labelledby="profiles-title" className="panel">
      <h2 id="profiles-title">Profiles</h2>
      {!canManage ? (
        <p className="readonly-note" role="note">
          Read only. {state.active.name} is a {state.active.roleName}: only an Admin can change profiles and roles.
        </p>
      ) : null}
      <table className="table" aria-labelledby="profiles-title">
        <TableHead columns={['Name', 'Role', 'Passphrase']} />
        <tbody>
          {state.profiles.map((profile, profileIndex) => (
            <tr key={profile.id}>
              <th scope="row">
                <span id={`profile-${profileIndex}-name`}>{profile.name}</span>
                {profile.id === state.activeProfileId ? <span className="badge">active</span> : null}
                {rowError[profile.id] ? (
                  <div className="field-error" role="alert">
                    {rowError[profile.id]}
                  </div>
                ) : null}
              </th>
              <td>
                <select aria-label={`Role of ${profile.name}`} value={profile.roleId} disabled={!canManage} onChange={(e) => setRole(profile, e.target.value)}>
                  <Options items={state.roles} />
                </select>
              </td>
              <td>{profile.hasPassphrase ? 'Set' : 'None'}</td>
              <td className="row-actions">
                <button
                  type="button"
                  className="button small"
                  aria-describedby={`profile-${profileIndex}-name`}
                  disabled={!canManage && profile.id !== state.activeProfileId}
                  onClick={() => setEditing(profile)}
                >
                  Edit
                </button>
                <button type="button" className="button small" aria-describedby={`profile-${profileIndex}-name`} disabled={!canManage} onClick={() => setRemoving(profile)}>
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {canManage ? <CreateProfileForm roles={state.roles} onCreated={() => state.profiles.length === 1 && !state.active.hasPassphrase && setAsking(state.active)} /> : null}
      {asking ? <ProtectProfileDialog profile={asking} onClose={() => setAsking(null)} /> : null}
      {editing ? <EditProfileDialog profile={editing} canRename={canManage} onClose={() => setEditing(null)} /> : null}
      <ConfirmDialog
        open={removing !== null}
        title="Remove profile?"
        description={`“${removing?.name ?? ''}” will no longer be able to use DeviceHooks on this workstation.`}
        confirmLabel="Remove"
        onConfirm={() => void remove()}
        onCancel={() => setRemoving(null)}
      />
    </section>
  );
}

/** Rename (admins) and set or clear the passphrase (admins, or the profile itself). */
function EditProfileDialog({ profile, canRename, onClose }: { profile: Profile; canRename: boolean; onClose: () => void }) {
  const [name, setName] = useState(profile.name);
  const [passphrase, setPassphrase] = useState('');
  const [clear, setClear] = useState(false);
  const [errors, setErrors] = useState<Errors>({});
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (canRename && name !== profile.name) {
      const renamed = await api.profilesRename({ id: profile.id, name });
      if (!renamed.ok) return setErrors(errorsOf(renamed));
    }
    if (clear || passphrase !== '') {
      const changed = await api.profilesSetPassphrase({ id: profile.id, passphrase: clear ? null : passphrase });
      if (!changed.ok) return setErrors(errorsOf(changed));
    }
    onClose();
  };
  return (
    <FormDialog title={<>Edit profile {profile.name}</>} narrow error={errors['_']} submitLabel="Save" onSubmit={submit} onClose={onClose}>
      <Field label="Profile name" error={errors['name']}>
        {(props) => <input {...props} type="text" value={name} disabled={!canRename} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <Field label="New passphrase" error={errors['passphrase']} hint={profile.hasPassphrase ? 'Leave empty to keep the current one' : 'Leave empty for none'}>
        {(props) => <input {...props} type="password" autoComplete="new-password" value={passphrase} disabled={clear} onChange={(e) => setPassphrase(e.target.value)} />}
      </Field>
      {profile.hasPassphrase ? (
        <label className="checkbox-row">
          <input type="checkbox" checked={clear} onChange={(e) => setClear(e.target.checked)} /> Remove the passphrase
        </label>
      ) : null}
    </FormDialog>
  );
}

/** Asked when a second profile is created and the Admin creating it has no passphrase. */
function ProtectProfileDialog({ profile, onClose }: { profile: Profile; onClose: () => void }) {
  const [passphrase, setPassphrase] = useState('');
  const [errors, setErrors] = useState<Errors>({});
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await api.profilesSetPassphrase({ id: profile.id, passphrase });
    if (!result.ok) return setErrors(errorsOf(result));
    onClose();
  };
  return (
    <FormDialog
      title={<>Set a passphrase for {profile.name}?</>}
      description={
        <>
          More than one profile uses this workstation now. Without a passphrase, anyone can switch to {profile.name} and act as an {profile.roleName}.
        </>
      }
      narrow
      error={errors['_']}
      cancelLabel="Not now"
      submitLabel="Set passphrase"
      onSubmit={submit}
      onClose={onClose}
    >
      <Field label="Passphrase" error={errors['passphrase']} hint="At least 8 characters; stored only as a hash">
        {(props) => <input {...props} type="password" autoComplete="new-password" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} autoFocus />}
      </Field>
    </FormDialog>
  );
}

function CreateProfileForm({ roles, onCreated }: { roles: Role[]; onCreated: () => void }) {
  const [name, setName] = useState('');
  const [roleId, setRoleId] = useState('member');
  const [passphrase, setPassphrase] = useState('');
  const [errors, setErrors] = useState<Errors>({});
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await api.profilesCreate({ name, roleId, ...(passphrase ? { passphrase } : {}) });
    setErrors(errorsOf(result));
    if (result.ok) {
      setName('');
      setPassphrase('');
      onCreated();
    }
  };
  return (
    <form onSubmit={submit} noValidate className="inline-form" aria-label="Add a profile">
      <h3>Add a profile</h3>
      <FormError error={errors['_']} />
      <Field label="Profile name" error={errors['name']}>
        {(props) => <input {...props} type="text" value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <Field label="Role" error={errors['roleId']}>
        {(props) => (
          <select {...props} value={roleId} onChange={(e) => setRoleId(e.target.value)}>
            {roles.map((role) => (
              <option key={role.id} value={role.id}>
                {role.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Passphrase (optional)" error={errors['passphrase']} hint="At least 8 characters; asked when someone switches to this profile; stored only as a hash">
        {(props) => <input {...props} type="password" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} autoComplete="new-password" />}
      </Field>
      <SubmitRow label="Add profile" />
    </form>
  );
}

function RolesPanel({ state }: { state: ProfilesState }) {
  const { canManage } = state;
  return (
    <section aria-labelledby="roles-title" className="panel">
      <h2 id="roles-title">Roles</h2>
      <ul className="role-list">
        {state.roles.map((role) => (
          <li key={role.id}>
            <RoleEditor role={role} state={state} disabled={!canManage || role.builtIn} />
          </li>
        ))}
      </ul>
      {canManage ? <RoleEditor state={state} disabled={false} /> : null}
    </section>
  );
}

function RoleEditor({ role, state, disabled }: { role?: Role; state: ProfilesState; disabled: boolean }) {
  const [name, setName] = useState(role?.name ?? '');
  const [permissions, setPermissions] = useState<string[]>(role?.permissions ?? []);
  const [errors, setErrors] = useState<Errors>({});
  const [status, setStatus] = useState<string | null>(null);
  const toggle = (id: string, on: boolean) => setPermissions((p) => (on ? [...p.filter((x) => x !== id), id] : p.filter((x) => x !== id)));
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = role ? await api.rolesUpdate({ id: role.id, name, permissions }) : await api.rolesCreate({ name, permissions });
    setErrors(errorsOf(result));
    setStatus(result.ok ? 'Saved.' : null);
    if (result.ok && !role) {
      setName('');
      setPermissions([]);
    }
  };
  const remove = async () => {
    if (!role) return;
    const result = await api.rolesRemove({ id: role.id });
    setErrors(errorsOf(result));
  };
  const title = role ? `${role.name}${role.builtIn ? ' (built in)' : ''}` : 'New role';
  return (
    <form onSubmit={submit} noValidate className="role-editor" aria-label={role ? `Role ${role.name}` : 'New role'}>
      <h3>{title}</h3>
      <FormError error={errors['_']} />
      {!role?.builtIn ? (
        <Field label="Role name" error={errors['name']}>
          {(props) => <input {...props} type="text" value={name} disabled={disabled} onChange={(e) => setName(e.target.value)} />}
        </Field>
      ) : null}
      <div className="permission-list">
        {state.permissions.map((p) => {
          const id = `perm-${role?.id ?? 'new'}-${p.id}`;
          return (
            <div key={p.id} className="switch-row">
              <Switch.Root className="switch" id={id} checked={permissions.includes(p.id)} disabled={disabled} onCheckedChange={(on) => toggle(p.id, on)}>
                <Switch.Thumb className="switch-thumb" />
              </Switch.Root>
              <label htmlFor={id}>{p.label}</label>
            </div>
          );
        })}
        {errors['permissions'] ? <div className="field-error">{errors['permissions']}</div> : null}
      </div>
      {!disabled ? (
        <SubmitRow label={role ? 'Save role' : 'Add role'}>
          {role ? (
            <button type="button" className="button" onClick={remove}>
              Delete role
            </button>
          ) : null}
          {status ? <span role="status">{status}</span> : null}
        </SubmitRow>
      ) : null}
    </form>
  );
}
