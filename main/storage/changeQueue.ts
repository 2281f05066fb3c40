// The store's change queue: the one class behind every open data file (jsonStore.ts opens it). Changes,
// reloads and closes run one at a time; a change mutates a copy, and the copy replaces the data only once
// it is on disk (a Refusal answers without writing); change listeners are told after the write.
import { Listeners } from '../base/listeners';
import { chmod } from 'node:fs/promises';
import { isDeepStrictEqual } from 'node:util';
import type { Adapter } from 'lowdb';
import { StorageClosedError, StorageDataError, StorageWriteError, describeOsError, errnoCode } from './errors';
import type { DeepReadonly, JsonStore, JsonStoreOptions, ReloadResult, ValidationResult, Versioned } from './jsonStore';
import { exists, isBlank, migrateAndValidate, removeTemp, versionOf } from './dataFile';

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

interface Pending<T> {
  /** A change; absent for a reload, which runs alone in its turn. */
  mutator?: (draft: T) => unknown;
  /** From change(): a Refusal is answered, and the listeners hear of the write. */
  notify?: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export class Store<T extends Versioned> implements JsonStore<T> {
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
