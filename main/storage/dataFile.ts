// A data file on disk: its version, migrating and checking what it holds, and moving a bad file aside
// (or a copy before an upgrade) under a time-stamped name. Used by jsonStore.ts at open and by the
// change queue (changeQueue.ts) at reload.
import { readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { StorageReadError, describeOsError, errnoCode } from './errors';
import type { JsonStoreOptions, RecoveryKind, ValidationResult, Versioned } from './jsonStore';

class MissingMigration extends Error {}

/**
 * Runs the migrations from `fileVersion` up to the store's version, then the shape check. Throws
 * MissingMigration (a bug in this build, not in the file); answers a reason for everything else.
 */
export function migrateAndValidate<T extends Versioned>(raw: unknown, fileVersion: number, options: JsonStoreOptions<T>): ValidationResult<T> {
  const { file, version, validate } = options;
  let current: unknown = raw;
  try {
    for (let target = fileVersion + 1; target <= version; target++) {
      const step = options.migrations?.[target];
      if (!step) throw new MissingMigration(`openJsonStore(${file}): no migration to version ${target}`);
      current = step(current);
      if (typeof current !== 'object' || current === null || Array.isArray(current)) {
        throw new Error(`the migration to version ${target} did not return an object`);
      }
      (current as Versioned).schemaVersion = target;
    }
  } catch (error) {
    if (error instanceof MissingMigration) throw error; // leave the file alone
    return { ok: false, reason: `it could not be upgraded from version ${fileVersion} (${error instanceof Error ? error.message : String(error)})` };
  }
  const checked = validate(current);
  if (!checked.ok) return { ok: false, reason: `its contents are not what DeviceHooks expects (${checked.reason})` };
  const value = checked.value;
  value.schemaVersion = version;
  return { ok: true, value };
}

export function versionOf(raw: unknown): number | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const v = (raw as { schemaVersion?: unknown }).schemaVersion;
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 1 ? v : undefined;
}

export async function isBlank(file: string): Promise<boolean> {
  try {
    return (await readFile(file, 'utf-8')).trim() === '';
  } catch {
    return false;
  }
}

/** `2026-11-27T10-15-00Z`: safe in file names on every platform. */
export function fileStamp(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/:/g, '-');
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** `webhooks.json.corrupt-2026-11-27T10-15-00Z.json`, then `…-2.json`, `…-3.json` if taken. */
export async function backupName(file: string, tag: string, epochMs: number): Promise<string> {
  const base = `${file}.${tag}-${fileStamp(epochMs)}`;
  let candidate = `${base}.json`;
  for (let n = 2; await exists(candidate); n++) candidate = `${base}-${n}.json`;
  return candidate;
}

export async function moveAside(file: string, kind: RecoveryKind, epochMs: number, label: string): Promise<string> {
  const target = await backupName(file, kind, epochMs);
  try {
    await rename(file, target);
  } catch (error) {
    // If it cannot be moved it must not be overwritten either: refuse to open.
    throw new StorageReadError(
      `The ${label} file at ${file} cannot be used and could not be moved aside (${describeOsError(error)}). Move it away by hand and start DeviceHooks again.`,
      file,
      errnoCode(error),
      { cause: error },
    );
  }
  return target;
}

/** The writer puts `.name.tmp` beside the file; it removes it on failure, this catches a crash's leftover. */
export async function removeTemp(file: string): Promise<void> {
  await rm(join(dirname(file), `.${basename(file)}.tmp`), { force: true, recursive: false }).catch(() => undefined);
}
