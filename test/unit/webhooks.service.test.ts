import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openProfileStore } from '../../main/profiles/profiles';
import { createWebhookService } from '../../main/webhooks/service';
import { WEBHOOKS_FILE, openWebhookStore } from '../../main/webhooks/store';
import { EXPORT_FORMAT } from '../../main/webhooks/importExport';
import { makeTempDir } from '../support/tmp';
import { recordingLogger } from '../support/storage';

const on = { online: true, offline: false, utilizing: false, unplugged: false };
const hook = (name: string) => ({ name, url: 'https://example.com/hook', events: on });

async function setup() {
  const dir = await makeTempDir();
  const logger = recordingLogger().log;
  const { store: webhooks } = await openWebhookStore({ dataDir: dir, logger });
  const { profiles } = await openProfileStore({ dataDir: dir, osUserName: 'alice', logger });
  const service = createWebhookService({ webhooks, profiles });
  const admin = profiles.activeProfileId();
  const member = await profiles.createProfile(admin, { name: 'bob', roleId: 'member' });
  if (!member.ok) throw new Error('setup');
  return { dir, webhooks, profiles, service, admin, member: member.profile.id };
}

const forbiddenWebhooks = { ok: false, error: { code: 'forbidden', message: 'Your profile (Member) cannot change webhooks: ask an admin.' } };

describe('webhook service: the active profile decides', () => {
  it('an Admin may create, update, delete, import and change the org', async () => {
    const { service } = await setup();
    const created = await service.create(hook('A'));
    expect(created.ok).toBe(true);
    const id = created.ok ? created.webhook.id : 0;
    expect((await service.update(id, hook('A2'))).ok).toBe(true);
    expect((await service.importJson(JSON.stringify({ format: EXPORT_FORMAT, version: 1, webhooks: [hook('B')] }))).ok).toBe(true);
    expect((await service.setOrg({ id: 9, name: 'Lab' })).ok).toBe(true);
    expect((await service.remove(id)).ok).toBe(true);
    expect(service.abilities()).toEqual({ canView: true, canModify: true });
  });

  it('a Member is refused every change with a plain sentence, and nothing changes in memory or on disk', async () => {
    const { dir, webhooks, profiles, service, member } = await setup();
    const existing = await service.create(hook('Keep'));
    const id = existing.ok ? existing.webhook.id : 0;
    const before = await readFile(join(dir, WEBHOOKS_FILE), 'utf-8');
    await profiles.switchTo(member);

    expect(await service.create(hook('New'))).toEqual(forbiddenWebhooks);
    expect(await service.update(id, hook('Renamed'))).toEqual(forbiddenWebhooks);
    expect(await service.remove(id)).toEqual(forbiddenWebhooks);
    expect(await service.importJson(JSON.stringify({ format: EXPORT_FORMAT, version: 1, webhooks: [hook('X')] }))).toEqual(forbiddenWebhooks);
    expect(await service.setOrg({ id: 5, name: 'Mine' })).toEqual({
      ok: false,
      error: { code: 'forbidden', message: 'Your profile (Member) cannot change the organization settings: ask an admin.' },
    });
    // Refused before validation: a Member learns nothing from field errors.
    expect(await service.create({ name: '' })).toEqual(forbiddenWebhooks);

    expect(webhooks.list().map((w) => w.name)).toEqual(['Keep']);
    expect(webhooks.org()).toEqual({ id: 1, name: '' });
    expect(await readFile(join(dir, WEBHOOKS_FILE), 'utf-8')).toBe(before);
    expect(service.abilities()).toEqual({ canView: true, canModify: false });
  });

  it('a Member may still read: list, org and export', async () => {
    const { profiles, service, member } = await setup();
    await service.create(hook('A'));
    await profiles.switchTo(member);
    expect(service.list()).toMatchObject({ ok: true, webhooks: [{ name: 'A' }] });
    expect(service.org()).toEqual({ ok: true, org: { id: 1, name: '' } });
    const exported = service.exportJson();
    expect(exported.ok && JSON.parse(exported.json).webhooks).toEqual([
      { ...hook('A'), enabled: true, scope: { udids: [], platforms: [] }, headers: [], signing: false },
    ]);
  });

  it('a custom role without view cannot even read; one with modify can change webhooks', async () => {
    const { profiles, service, admin, member } = await setup();
    const reserver = await profiles.createRole(admin, { name: 'Reserver', permissions: ['device.reserve'] });
    const editor = await profiles.createRole(admin, { name: 'Editor', permissions: ['org_setting.modify'] });
    if (!reserver.ok || !editor.ok) throw new Error('setup');

    await profiles.setProfileRole(admin, member, reserver.role.id);
    await profiles.switchTo(member);
    expect(service.list()).toEqual({ ok: false, error: { code: 'forbidden', message: 'Your profile (Reserver) cannot view webhooks: ask an admin.' } });
    expect(service.abilities()).toEqual({ canView: false, canModify: false });

    await profiles.switchTo(admin);
    await profiles.setProfileRole(admin, member, editor.role.id);
    await profiles.switchTo(member);
    expect((await service.create(hook('By editor'))).ok).toBe(true);
    expect(service.abilities()).toEqual({ canView: true, canModify: true });
  });

  it('follows a switch back to an Admin', async () => {
    const { profiles, service, admin, member } = await setup();
    await profiles.switchTo(member);
    expect((await service.create(hook('A'))).ok).toBe(false);
    await profiles.switchTo(admin);
    expect((await service.create(hook('A'))).ok).toBe(true);
  });

  it('an Admin may reveal, rotate, enable/disable and pause/resume', async () => {
    const { service } = await setup();
    const created = await service.create({ ...hook('S'), signing: true, headers: [{ name: 'X-Token', value: 't0ken' }] });
    const id = created.ok ? created.webhook.id : 0;
    const revealed = service.reveal(id);
    expect(revealed).toMatchObject({ ok: true, secret: expect.stringMatching(/^whsec_/), headers: [{ name: 'X-Token', value: 't0ken' }] });
    const rotated = await service.rotateSecret(id);
    expect(rotated.ok && rotated.secret).not.toBe(revealed.ok && revealed.secret);
    expect(await service.setEnabled(id, false, 'Off')).toMatchObject({ ok: true, webhook: { enabled: false, disabledReason: 'Off' } });
    expect(await service.setPaused(id, true, 'Hold')).toMatchObject({ ok: true, webhook: { paused: true, pausedReason: 'Hold' } });
  });

  it('a Member may not reveal, rotate, enable/disable or pause/resume; nothing changes on disk', async () => {
    const { dir, webhooks, profiles, service, member } = await setup();
    const created = await service.create({ ...hook('S'), signing: true, headers: [{ name: 'X-Token', value: 't0ken' }] });
    const id = created.ok ? created.webhook.id : 0;
    const before = await readFile(join(dir, WEBHOOKS_FILE), 'utf-8');
    await profiles.switchTo(member);

    expect(service.reveal(id)).toEqual({
      ok: false,
      error: { code: 'forbidden', message: 'Your profile (Member) cannot see webhook secrets and header values: ask an admin.' },
    });
    expect(await service.rotateSecret(id)).toEqual(forbiddenWebhooks);
    expect(await service.setEnabled(id, false, 'x')).toEqual(forbiddenWebhooks);
    expect(await service.setPaused(id, true, 'x')).toEqual(forbiddenWebhooks);
    // Not even for an id that does not exist: a Member learns nothing.
    expect(service.reveal(999)).toMatchObject({ ok: false, error: { code: 'forbidden' } });

    expect(await readFile(join(dir, WEBHOOKS_FILE), 'utf-8')).toBe(before);
    expect(webhooks.get(id)).toMatchObject({ enabled: true, paused: false, hasSecret: true });
    // The list a Member sees has no secret material either.
    expect(JSON.stringify(service.list())).not.toContain('t0ken');
    expect(JSON.stringify(service.list())).not.toContain('whsec_');
    expect(service.abilities()).toEqual({ canView: true, canModify: false });
  });
});
