// The one lowdb helper for every data file: open (create the folder, read, migrate, check the shape,
// move a bad file aside), then serialized, atomic, all-or-nothing changes with optional batching, and
// change listeners. Stores change their data only through change() (a refusal answers without writing)
// and subscribe their views with onChange(); none keeps its own read-modify-validate-write-notify copy.
// One cohesive thing: a data file's whole life (open, change, reload, close) behind one queue.
//
// Traps this file exists to avoid:
// - JSONFilePreset silently goes in-memory under NODE_ENV=test: we hold a lowdb Adapter ourselves (no preset).
// - lowdb's write fails with ENOENT when the folder is missing: we create it on open.
// - lowdb's read throws the raw SyntaxError on a corrupt or empty file, and `Low.read()` keeps the
//   defaults when the file holds a falsy JSON value (`null`, `0`): we read through the adapter and
//   look at what is really there.
// - lowdb's JSONFile renames its temp file into place without fsync (a power cut can leave an empty
//   file): we write through DurableJsonFile (durableFile.ts), which fsyncs and creates files 0600.
// - `Low.update()` mutates `data` in place before writing, so a failed write leaves memory ahead of the
//   disk: we hold the adapter directly (no `Low`), mutate a copy and swap it in only once it is on disk.
import { chmod, copyFile, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Adapter } from 'lowdb';
import { DurableJsonFile } from './durableFile';
import type { z } from 'zod';
import { Listeners } from '../listeners';
import type { Logger } from '../log';
import {
  StorageClosedError,
  StorageDataError,
  StorageReadError,
  StorageVersionError,
  StorageWriteError,
  describeOsError,
  errnoCode,
} from './errors';

type DeepReadonly<T> = T extends (infer U)[]
  ? ReadonlyArray<DeepReadonly<U>>
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** Every data file carries its schema version at the top: `{ "schemaVersion": 3, … }`. */
interface Versioned {
  schemaVersion: number;
}

/**
 * A mutator's "no": change() answers `result` and writes nothing (edits made to the draft are dropped).
 * Return it (`return refuse({ ok: false, fieldErrors })`), or throw it from a helper deep in the mutator.
 */
export class Refusal<F> {
  constructor(readonly result: F) {}
}

export function refuse<F>(result: F): Refusal<F> {
  return new Refusal(result);
}

type ValidationResult<T> = { ok: true; value: T } | { ok: false; reason: string };
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

type RecoveryKind = 'corrupt' | 'empty' | 'invalid';

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

class MissingMigration extends Error {}

/**
 * Runs the migrations from `fileVersion` up to the store's version, then the shape check. Throws
 * MissingMigration (a bug in this build, not in the file); answers a reason for everything else.
 */
function migrateAndValidate<T extends Versioned>(raw: unknown, fileVersion: number, options: JsonStoreOptions<T>): ValidationResult<T> {
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

interface Pending<T> {
  /** A change; absent for a reload, which runs alone in its turn. */
  mutator?: (draft: T) => unknown;
  /** From change(): a Refusal is answered, and the listeners hear of the write. */
  notify?: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

class Store<T extends Versioned> implements JsonStore<T> {
  readonly file: string;
  readonly label: string;
  #committed: T;
  readonly #adapter: Adapter<unknown>;
  readonly #listeners: Listeners<DeepReadonly<T>>;
  readonly #options: JsonStoreOptions<T>;
  readonly #batchMs: number;
  #pending: Pending<T>[] = [];
  #running = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #idle: (() => void)[] = [];
  #closed = false;
  #writes = 0;

  constructor(adapter: Adapter<unknown>, initial: T, options: JsonStoreOptions<T> & { label: string }) {
    this.file = options.file;
    this.label = options.label;
    this.#adapter = adapter;
    this.#options = options;
    this.#batchMs = options.batchMs ?? 0;
    this.#committed = deepFreeze(initial);
    this.#listeners = new Listeners<DeepReadonly<T>>((error) =>
      options.logger('error', `${options.label}: a change listener failed: ${error instanceof Error ? error.message : String(error)}`),
    );
  }

  get data(): DeepReadonly<T> {
    return this.#committed as DeepReadonly<T>;
  }

  get writeCount(): number {
    return this.#writes;
  }

  update<R>(mutator: (draft: T) => R): Promise<R> {
    return this.#enqueue<R>(mutator, false);
  }

  change<R, F = never>(mutator: (draft: T) => R | Refusal<F>): Promise<R | F> {
    return this.#enqueue<R | F>(mutator, true);
  }

  onChange(listener: (data: DeepReadonly<T>) => void): () => void {
    // A wrapper per subscription: the same function subscribed twice is told twice and unsubscribed once each.
    return this.#listeners.add((data) => listener(data));
  }

  #enqueue<R>(mutator: (draft: T) => unknown, notify: boolean): Promise<R> {
    if (this.#closed) return Promise.reject(new StorageClosedError(`Could not save ${this.label}: the store is closed.`, this.file));
    return new Promise<R>((resolve, reject) => {
      this.#pending.push({ mutator, notify, resolve: resolve as (value: unknown) => void, reject });
      this.#schedule();
    });
  }

  #notify(): void {
    this.#listeners.emit(this.#committed as DeepReadonly<T>);
  }

  flush(): Promise<void> {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#kick();
    }
    if (!this.#running && this.#pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    await this.flush();
  }

  reload(): Promise<ReloadResult> {
    if (this.#closed) return Promise.resolve({ ok: false, reason: 'the store is closed' });
    return new Promise<ReloadResult>((resolve, reject) => {
      this.#pending.push({ resolve: resolve as (value: unknown) => void, reject });
      // Not batched: a reload waits for the writes queued before it, and runs at once after them.
      if (this.#timer !== undefined) {
        clearTimeout(this.#timer);
        this.#timer = undefined;
      }
      this.#kick();
    });
  }

  async #reread(): Promise<ReloadResult> {
    const { file, version } = this.#options;
    let raw: unknown;
    try {
      raw = await this.#adapter.read();
    } catch (error) {
      if (error instanceof SyntaxError) return { ok: false, reason: (await isBlank(file)) ? 'it is empty' : `it is not valid JSON (${error.message})` };
      return { ok: false, reason: `it could not be read: ${describeOsError(error)}` };
    }
    if (raw === null) return { ok: false, reason: (await exists(file)) ? 'it holds no data (null)' : 'it is not there (the next save writes it again)' };
    const fileVersion = versionOf(raw);
    if (fileVersion === undefined) return { ok: false, reason: 'it has no valid schemaVersion' };
    if (fileVersion > version) {
      return { ok: false, reason: `it was saved by a newer version of DeviceHooks (data version ${fileVersion}; this version reads up to ${version})` };
    }
    let checked: ValidationResult<T>;
    try {
      checked = migrateAndValidate(raw, fileVersion, this.#options);
    } catch (error) {
      return { ok: false, reason: error instanceof Error ? error.message : String(error) };
    }
    if (!checked.ok) return checked;
    // What we wrote ourselves reads back equal: nothing changes, nobody is told.
    // Compared as JSON (key order and undefined-valued keys do not count), which is what the file holds.
    if (isDeepStrictEqual(asJson(checked.value), asJson(this.#committed))) return { ok: true, changed: false };
    this.#committed = deepFreeze(checked.value);
    this.#notify();
    return { ok: true, changed: true };
  }

  #schedule(): void {
    if (this.#running) return; // the running drain picks it up
    if (this.#batchMs > 0) {
      this.#timer ??= setTimeout(() => {
        this.#timer = undefined;
        this.#kick();
      }, this.#batchMs);
    } else {
      this.#kick();
    }
  }

  #kick(): void {
    if (this.#running) return;
    this.#running = true;
    void this.#drain();
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const next = this.#pending[0] as Pending<T>;
        if (!next.mutator) {
          this.#pending.shift();
          await this.#reread().then(next.resolve, next.reject);
          continue;
        }
        // Unbatched: one update per write. Batched: everything queued so far (up to a reload) in one write.
        const reloadAt = this.#pending.findIndex((p) => !p.mutator);
        const upTo = reloadAt === -1 ? this.#pending.length : reloadAt;
        const group = this.#batchMs > 0 ? this.#pending.splice(0, upTo) : this.#pending.splice(0, 1);
        await this.#commit(group);
      }
    } finally {
      // No await between the loop's last check and here: an update() arriving now sees #running false.
      this.#running = false;
      const idle = this.#idle.splice(0);
      for (const resolve of idle) resolve();
    }
  }

  async #commit(group: Pending<T>[]): Promise<void> {
    let draft: T = this.#committed;
    const applied: { op: Pending<T>; result: unknown }[] = [];
    for (const op of group) {
      // A copy per mutator: one that throws or refuses half-way leaves no trace, and the others still apply.
      const copy = structuredClone(draft) as T;
      try {
        const result = (op.mutator as (draft: T) => unknown)(copy);
        if (result instanceof Promise) {
          void result.catch(() => undefined);
          throw new TypeError('JsonStore.update: the mutator must be synchronous');
        }
        if (op.notify && result instanceof Refusal) {
          op.resolve(result.result);
          continue;
        }
        draft = copy;
        applied.push({ op, result });
      } catch (error) {
        if (op.notify && error instanceof Refusal) op.resolve(error.result);
        else op.reject(error);
      }
    }
    if (applied.length === 0) return;
    draft.schemaVersion = this.#options.version;

    if (this.#options.validateOnWrite !== false) {
      const checked = this.#options.validate(draft);
      if (!checked.ok) {
        const error = new StorageDataError(`Could not save ${this.label}: the new data is not valid (${checked.reason}).`, this.file);
        this.#options.logger('error', `storage: refused to write ${this.file}: ${checked.reason}`);
        for (const { op } of applied) op.reject(error);
        return;
      }
      draft = checked.value;
      draft.schemaVersion = this.#options.version;
    }

    this.#writes++;
    try {
      await this.#adapter.write(draft);
    } catch (error) {
      // #committed is untouched: the draft becomes current only once it is on disk.
      const failure = new StorageWriteError(`Could not save ${this.label}: ${describeOsError(error)} at ${this.file}`, this.file, errnoCode(error), {
        cause: error,
      });
      this.#options.logger('error', `storage: ${failure.message}`);
      if (!this.#options.adapter) await removeTemp(this.file);
      for (const { op } of applied) op.reject(failure);
      return;
    }
    if (this.#options.fileMode !== undefined) {
      await chmod(this.file, this.#options.fileMode).catch((error: unknown) => {
        this.#options.logger('warn', `storage: could not set the permissions of ${this.file}: ${describeOsError(error)}`);
      });
    }
    this.#committed = deepFreeze(draft);
    // Told before the callers resume: whoever awaits a change() finds every view already refreshed.
    if (applied.some(({ op }) => op.notify)) this.#notify();
    for (const { op, result } of applied) op.resolve(result);
  }
}

function versionOf(raw: unknown): number | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const v = (raw as { schemaVersion?: unknown }).schemaVersion;
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 1 ? v : undefined;
}

async function isBlank(file: string): Promise<boolean> {
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

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** `webhooks.json.corrupt-2026-11-27T10-15-00Z.json`, then `…-2.json`, `…-3.json` if taken. */
async function backupName(file: string, tag: string, epochMs: number): Promise<string> {
  const base = `${file}.${tag}-${fileStamp(epochMs)}`;
  let candidate = `${base}.json`;
  for (let n = 2; await exists(candidate); n++) candidate = `${base}-${n}.json`;
  return candidate;
}

async function moveAside(file: string, kind: RecoveryKind, epochMs: number, label: string): Promise<string> {
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
async function removeTemp(file: string): Promise<void> {
  await rm(join(dirname(file), `.${basename(file)}.tmp`), { force: true, recursive: false }).catch(() => undefined);
}

function asJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

function deepFreeze<V>(value: V): V {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
