// The one lowdb helper for every data file: open (create the folder, read, migrate, check the shape,
// move a bad file aside), then serialized, atomic, all-or-nothing changes with optional batching, and
// change listeners. Stores change their data only through change() (a refusal answers without writing)
// and subscribe their views with onChange(); none keeps its own read-modify-validate-write-notify copy.
// This file is the entry: the types, the interface and opening a file. The queue behind an open store
// (change, reload, close; Refusal) is changeQueue.ts; reading, migrating and moving a file aside dataFile.ts.
//
// Traps these files exist to avoid:
// - JSONFilePreset silently goes in-memory under NODE_ENV=test: we hold a lowdb Adapter ourselves (no preset).
// - lowdb's write fails with ENOENT when the folder is missing: we create it on open.
// - lowdb's read throws the raw SyntaxError on a corrupt or empty file, and `Low.read()` keeps the
//   defaults when the file holds a falsy JSON value (`null`, `0`): we read through the adapter and
//   look at what is really there.
// - lowdb's JSONFile renames its temp file into place without fsync (a power cut can leave an empty
//   file): we write through DurableJsonFile (durableFile.ts), which fsyncs and creates files 0600.
// - `Low.update()` mutates `data` in place before writing, so a failed write leaves memory ahead of the
//   disk: we hold the adapter directly (no `Low`), mutate a copy and swap it in only once it is on disk.
import { copyFile, mkdir } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Adapter } from 'lowdb';
import { DurableJsonFile } from './durableFile';
import type { z } from 'zod';
import type { Logger } from '../base/log';
import { StorageReadError, StorageVersionError, describeOsError, errnoCode } from './errors';
import { Store } from './changeQueue';
import type { Refusal } from './changeQueue';
import { backupName, exists, isBlank, migrateAndValidate, moveAside, versionOf } from './dataFile';

export { Refusal, refuse } from './changeQueue';
export { fileStamp } from './dataFile';

export type DeepReadonly<T> = T extends (infer U)[]
  ? ReadonlyArray<DeepReadonly<U>>
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** Every data file carries its schema version at the top: `{ "schemaVersion": 3, … }`. */
export interface Versioned {
  schemaVersion: number;
}

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; reason: string };
/** The shape check: returns the (possibly normalized) data, or a short reason it is not acceptable. */
type Validate<T> = (data: unknown) => ValidationResult<T>;

/**
 * `migrations[n]` turns a document of version n-1 into version n. They run in order from the file's
 * version up to `version`; the store stamps `schemaVersion` after each step, so a migration need not.
 */
type Migrations = Record<number, (old: unknown) => unknown>;

export interface JsonStoreOptions<T extends Versioned> {
  /** Absolute path of the data file. Its folder is created when missing. */
  file: string;
  /** What the file holds, in words, for messages: "webhooks" → "Could not save webhooks: …". Default: the file name without .json. */
  label?: string;
  /** Data for a missing file (or after a bad file was moved aside). A function is called each time; an object is deep-copied. */
  defaults: T | (() => T);
  /** The schema version this build reads and writes (a whole number ≥ 1). */
  version: number;
  migrations?: Migrations;
  /** Shape check after migration, and before every write unless `validateOnWrite` is false. */
  validate: Validate<T>;
  logger: Logger;
  /** epoch ms; names the moved-aside copies. */
  now?: () => number;
  /** > 0: coalesce the updates made within this many ms (and those queued behind a write) into one write. */
  batchMs?: number;
  /** Default true. Turn off only for a hot, high-rate file whose mutators are trusted. */
  validateOnWrite?: boolean;
  /** For tests: a lowdb adapter in place of `new DurableJsonFile(file)` (e.g. one whose write fails with ENOSPC). */
  adapter?: Adapter<unknown>;
  /**
   * POSIX permission bits given to the file after every write (0o600 for a file that may hold secrets:
   * each atomic write makes a new file with the default mode). A failure is logged, not thrown. Windows
   * ignores all but the read-only bit.
   */
  fileMode?: number;
}

export type RecoveryKind = 'corrupt' | 'empty' | 'invalid';

export interface Recovery {
  kind: RecoveryKind;
  /** Where the unreadable file now is (same folder). */
  movedTo: string;
  /** Why, in a few plain words: "it is not valid JSON (Unexpected token …)". */
  reason: string;
  /** One sentence for the banner. */
  message: string;
}

export interface Migration {
  from: number;
  to: number;
  /** A copy of the file as it was before the upgrade, or undefined when the copy could not be made. */
  backup: string | undefined;
}

export interface JsonStore<T extends Versioned> {
  readonly file: string;
  readonly label: string;
  /** The last data known to be on disk (or the defaults, before the first write). Deep-frozen: change it through change(). */
  readonly data: DeepReadonly<T>;
  /**
   * The way a store changes its data. Runs `mutator` on a copy of the current data when its turn comes
   * (one at a time, in call order). The mutator edits the draft and answers, or refuses (returns or
   * throws a Refusal): then nothing is written and change() resolves with the refusal's result. Otherwise
   * the draft is checked (validate), written atomically through the adapter, made current, and only then
   * are the change listeners told (once per write), and change() resolves with the mutator's answer.
   * Rejects with the mutator's own error, a StorageDataError (the draft is not valid) or a
   * StorageWriteError: in each case memory and disk stay as they were. The mutator must be synchronous.
   */
  change<R, F = never>(mutator: (draft: T) => R | Refusal<F>): Promise<R | F>;
  /**
   * Called with the new data after every saved change() and every reload() that brought new data (never
   * for update()). A listener that throws is logged; the others are still called. Returns the unsubscribe.
   */
  onChange(listener: (data: DeepReadonly<T>) => void): () => void;
  /**
   * Runs `mutator` on a copy of the current data when its turn comes (one at a time, in call order),
   * writes the copy atomically and only then makes it current. Resolves with the mutator's return value
   * once the data is on disk. Rejects with the mutator's own error (nothing changed), or a
   * StorageWriteError (nothing changed, on disk or in memory). The mutator must be synchronous.
   * Like change() without refusals and without telling the listeners: for writes no one needs to hear of
   * (an upgrade written back, a counter, a batch of device states).
   */
  update<R>(mutator: (draft: T) => R): Promise<R>;
  /** Resolves when every update asked so far is settled (batched ones are written now). */
  flush(): Promise<void>;
  /** Forgets the change listeners, flush(), then refuses further changes with StorageClosedError. */
  close(): Promise<void>;
  /** How many writes reached the adapter (successful or not). For diagnostics and tests. */
  readonly writeCount: number;
  /**
   * Reads the file again (someone edited it or copied another in), migrates and checks it like open()
   * does, and makes it current. Runs in turn with the updates, never during a write. `changed: false`
   * when the file holds what is already current (our own last write, for one). On any problem the
   * current data stays and the file is left exactly where it is (never moved aside while running):
   * `reason` says why in a few plain words. Never writes, not even an upgraded version.
   */
  reload(): Promise<ReloadResult>;
}

export type ReloadResult = { ok: true; changed: boolean } | { ok: false; reason: string };

interface OpenResult<T extends Versioned> {
  store: JsonStore<T>;
  /** Set when the file could not be used and was moved aside; the store starts from the defaults. */
  recovered?: Recovery;
  /** Set when the file was upgraded from an older schema version. */
  migrated?: Migration;
  /** True when there was no file yet. */
  created: boolean;
}

/** Adapts a zod schema to the store's shape check: the first issue becomes the reason ("webhooks.0.url: expected string"). */
export function zodValidator<S extends z.ZodType>(schema: S): Validate<z.output<S>> {
  return (data) => {
    const parsed = schema.safeParse(data);
    if (parsed.success) return { ok: true, value: parsed.data };
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ` : '';
    return { ok: false, reason: `${where}${issue?.message ?? 'unexpected contents'}` };
  };
}

export async function openJsonStore<T extends Versioned>(options: JsonStoreOptions<T>): Promise<OpenResult<T>> {
  const { file, version, logger } = options;
  const now = options.now ?? Date.now;
  const label = options.label ?? basename(file).replace(/\.json$/i, '');
  if (!Number.isInteger(version) || version < 1) throw new Error(`openJsonStore(${file}): version must be a whole number ≥ 1`);

  const freshDefaults = (): T => {
    const value = typeof options.defaults === 'function' ? (options.defaults as () => T)() : structuredClone(options.defaults);
    value.schemaVersion = version;
    return value;
  };

  try {
    await mkdir(dirname(file), { recursive: true });
  } catch (error) {
    throw new StorageReadError(`Could not open ${label}: could not create the folder ${dirname(file)}: ${describeOsError(error)}.`, file, errnoCode(error), {
      cause: error,
    });
  }

  // Temp file created 0600, fsynced, renamed into place, folder fsynced (lowdb's JSONFile does no fsync).
  const adapter = options.adapter ?? new DurableJsonFile<unknown>(file);

  let raw: unknown;
  let problem: { kind: RecoveryKind; reason: string } | undefined;
  try {
    // Straight through the adapter: Low.read() would keep the defaults for a file holding `null`.
    raw = await adapter.read();
  } catch (error) {
    if (error instanceof SyntaxError) {
      problem = (await isBlank(file)) ? { kind: 'empty', reason: 'it is empty' } : { kind: 'corrupt', reason: `it is not valid JSON (${error.message})` };
    } else {
      throw new StorageReadError(`Could not read ${label} at ${file}: ${describeOsError(error)}.`, file, errnoCode(error), { cause: error });
    }
  }

  let data: T | undefined;
  let migrated: Migration | undefined;
  if (!problem && raw === null && (await exists(file))) {
    // The adapter answers null both for a missing file and for a file holding the JSON value `null`.
    problem = { kind: 'invalid', reason: 'it holds no data (null)' };
  }
  const created = problem === undefined && raw === null;
  if (created) {
    data = freshDefaults();
  } else if (!problem) {
    const fileVersion = versionOf(raw);
    if (fileVersion === undefined) {
      problem = { kind: 'invalid', reason: 'it has no valid schemaVersion' };
    } else if (fileVersion > version) {
      // Never touch a newer file: the newer app that wrote it may still want it.
      throw new StorageVersionError(
        `${capitalize(label)} at ${file} was saved by a newer version of DeviceHooks (data version ${fileVersion}; this version reads up to ${version}). ` +
          'Update DeviceHooks to use it. The file was left untouched.',
        file,
        fileVersion,
        version,
      );
    } else {
      const upgraded = migrateAndValidate(raw, fileVersion, options);
      if (upgraded.ok) {
        data = upgraded.value;
        if (fileVersion < version) migrated = { from: fileVersion, to: version, backup: undefined };
      } else {
        problem = { kind: 'invalid', reason: upgraded.reason };
      }
    }
  }

  let recovered: Recovery | undefined;
  if (problem) {
    const movedTo = await moveAside(file, problem.kind, now(), label);
    recovered = {
      kind: problem.kind,
      movedTo,
      reason: problem.reason,
      message: `The ${label} file could not be used because ${problem.reason}, so DeviceHooks started with a fresh one. The old file was kept at ${movedTo}.`,
    };
    logger('warn', `storage: ${file} moved aside to ${movedTo}: ${problem.reason}`);
    data = freshDefaults();
  }

  const store = new Store<T>(adapter, data as T, { ...options, label });

  if (migrated) {
    // Keep a copy of the old version, then write the upgraded data so the file and the app agree.
    const backup = await backupName(file, `v${migrated.from}-backup`, now());
    try {
      await copyFile(file, backup);
      migrated.backup = backup;
    } catch (error) {
      logger('warn', `storage: could not copy ${file} to ${backup} before upgrading it: ${describeOsError(error)}`);
    }
    try {
      await store.update(() => undefined);
      logger('info', `storage: ${file} upgraded from version ${migrated.from} to ${migrated.to}`);
    } catch (error) {
      // The app still runs on the upgraded data in memory; the file is upgraded again next time.
      logger('warn', `storage: could not save the upgraded ${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  return { store, created, ...(recovered ? { recovered } : {}), ...(migrated ? { migrated } : {}) };
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
