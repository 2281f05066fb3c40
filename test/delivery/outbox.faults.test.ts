// Disk full and I/O errors at every write point of the outbox (an fs shim injected through
// OutboxOptions.fs), torn and damaged records, and the format written before framing.
import { existsSync } from 'node:fs';
import { cp, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeStorageFs } from '../../main/delivery/files';
import type { AppendHandle, StorageFs } from '../../main/delivery/files';
import { decodeLine, frameRecord } from '../../main/delivery/framing';
import { SNAPSHOT_FILE, describeSaveProblem, journalFile, openOutbox } from '../../main/delivery/outbox';
import type { Delivery, EnqueueInput, Outbox, SaveProblem } from '../../main/delivery/outbox';
import { tempDir } from '../support/delivery';

const input = (i: number): EnqueueInput => ({
  webhookId: 1,
  udid: `dev-${i % 3}`,
  seq: i,
  body: JSON.stringify({ eventType: 'DEVICE', i, pad: 'x'.repeat(200) }),
  createdAt: 1_000 + i,
});

function osError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated`), { code });
}

/**
 * node:fs/promises with a fault: from the `failFrom`-th write point on (counting from 1) every write
 * point fails with `code` until clear(). A failing write first writes half its bytes (a short write,
 * as a filling disk gives). Write points: opening a file that may create it or cut it, write, datasync, fsync
 * (files and folders), rename, copyFile. Truncating (which frees space), unlink and mkdir of an
 * existing folder do not fail with ENOSPC on a real disk and are not faulted.
 */
function faultyFs(failFrom: number, code: string, once = false) {
  let calls = 0;
  let cleared = false;
  const points: string[] = [];
  const hit = (what: string): boolean => {
    calls++;
    points.push(what);
    return !cleared && (once ? calls === failFrom : calls >= failFrom);
  };
  const wrap = (h: AppendHandle, path: string): AppendHandle => ({
    write: async (buffer, offset, length) => {
      if (hit(`write ${path}`)) {
        const half = Math.floor(length / 2);
        if (half > 0) await h.write(buffer, offset, half);
        throw osError(code);
      }
      return h.write(buffer, offset, length);
    },
    datasync: async () => {
      if (hit(`datasync ${path}`)) throw osError(code);
      await h.datasync();
    },
    sync: async () => {
      if (hit(`fsync ${path}`)) throw osError(code);
      await h.sync();
    },
    truncate: (len) => h.truncate(len),
    close: () => h.close(),
  });
  const fs: StorageFs = {
    open: async (path, flags, mode) => {
      // Opening an existing file to append to it needs no space; creating one may.
      const creates = flags !== 'r' && !(flags === 'a' && existsSync(path));
      if (creates && hit(`open ${path} ${flags}`)) throw osError(code);
      return wrap(await nodeStorageFs.open(path, flags, mode), path);
    },
    rename: async (from, to) => {
      if (hit(`rename ${from}`)) throw osError(code);
      await nodeStorageFs.rename(from, to);
    },
    copyFile: async (from, to) => {
      if (hit(`copy ${from}`)) throw osError(code);
      await nodeStorageFs.copyFile(from, to);
    },
    unlink: (path) => nodeStorageFs.unlink(path),
    mkdir: (path) => nodeStorageFs.mkdir(path),
  };
  return {
    fs,
    get calls() {
      return calls;
    },
    points,
    clear() {
      cleared = true;
    },
  };
}

async function ids(dir: string): Promise<{ ids: string[]; badLines: number; tornTail: boolean }> {
  const outbox = await openOutbox({ dir });
  const result = { ids: outbox.list().map((d) => d.id), badLines: outbox.openReport.badLines, tornTail: outbox.openReport.tornTail };
  await outbox.close();
  return result;
}

/** The first phase, without faults: three callbacks on disk. */
async function seed(dir: string): Promise<Delivery[]> {
  const outbox = await openOutbox({ dir });
  const seeded = [];
  for (let i = 0; i < 3; i++) seeded.push(await outbox.enqueue(input(i)));
  await outbox.close();
  return seeded;
}

/** The second phase, faulted: open, settle one, enqueue five (small compaction threshold, so compactions run too). */
async function storm(dir: string, fs: StorageFs, seeded: Delivery[], problems: (SaveProblem | undefined)[]) {
  const outbox = await openOutbox({ dir, fs, retryMs: 600_000, compactMinBytes: 1_500, onSaveProblem: (p) => problems.push(p) });
  const acked = new Set<string>();
  const settle = outbox.update((seeded[0] as Delivery).id, { state: 'succeeded' });
  const added: { id: string; done: Promise<void> }[] = [];
  for (let i = 10; i < 15; i++) {
    const promise = outbox.enqueue(input(i));
    const id = (outbox.list().at(-1) as Delivery).id;
    added.push({ id, done: promise.then(() => void acked.add(id)) });
  }
  return { outbox, acked, added, settle };
}

/** Waits until every write landed or the outbox reported that it cannot save; then lets it reach its retry wait. */
async function settleDown(outbox: Outbox, done: Promise<unknown>): Promise<void> {
  await Promise.race([
    done.then(() => outbox.flush()).catch(() => undefined),
    (async () => {
      while (!outbox.saveProblem) await new Promise((resolve) => setTimeout(resolve, 2));
    })(),
  ]);
  for (let j = 0; j < 20; j++) await new Promise((resolve) => setImmediate(resolve));
}

/** The write points of one storm without faults (the fs shim counts its calls). */
async function countWritePoints(code: string): Promise<number> {
  const probeDir = await tempDir();
  const probeSeed = await seed(probeDir);
  const probe = faultyFs(Number.POSITIVE_INFINITY, code);
  const run = await storm(probeDir, probe.fs, probeSeed, []);
  await Promise.all(run.added.map((a) => a.done));
  await run.settle;
  await run.outbox.flush();
  const total = probe.calls;
  await run.outbox.close();
  return total;
}

describe('outbox: disk full or I/O error at every write point', () => {
  for (const code of ['ENOSPC', 'EIO']) {
    it(`${code}: opens, never acknowledges what is not whole on disk, keeps it in memory, saves it once the disk recovers`, { timeout: 120_000 }, async () => {
      // Count the write points of a run without faults.
      const total = await countWritePoints(code);
      expect(total).toBeGreaterThan(10);

      let stuck = 0;
      let openedOnFault = 0;
      for (let k = 1; k <= total; k++) {
        const dir = await tempDir();
        const seeded = await seed(dir);
        const fault = faultyFs(k, code);
        const problems: (SaveProblem | undefined)[] = [];
        // Opening on a full disk (or one giving I/O errors) works.
        const { outbox, acked, added, settle } = await storm(dir, fault.fs, seeded, problems);
        await settleDown(outbox, Promise.all([...added.map((a) => a.done), settle]));
        const at = `fault at write point ${k} (${fault.points[k - 1] ?? '?'})`;

        const problem = outbox.saveProblem;
        if (outbox.openReport.openedWithoutCompaction) openedOnFault++;
        if (problem) {
          stuck++;
          expect(problem.code, at).toBe(code);
          const unacked = added.filter((a) => !acked.has(a.id));
          expect(problem.unsaved, at).toBe(unacked.length);
          // Kept in memory, not lost.
          for (const a of unacked) expect(outbox.get(a.id), at).toBeDefined();
          expect(outbox.isDurable(unacked[0]?.id ?? seeded[1]!.id), at).toBe(unacked.length === 0);
          expect(problems.at(-1)?.unsaved, at).toBe(unacked.length);
          await expect(outbox.flush(), at).rejects.toMatchObject({ code: 'OUTBOX_SAVE' });
        }

        // A crash right now: a copy of the folder must hold every acknowledged callback, whole.
        const copy = await tempDir();
        await cp(dir, copy, { recursive: true });
        const crashed = await ids(copy);
        for (const id of acked) expect(crashed.ids, at).toContain(id);
        expect(crashed.ids, at).toContain(seeded[1]!.id);
        expect(crashed.ids, at).toContain(seeded[2]!.id);
        expect(crashed.badLines, at).toBe(0);

        // Space comes back: everything is saved, and the problem is cleared.
        fault.clear();
        outbox.retrySave();
        await Promise.all(added.map((a) => a.done));
        await settle;
        await outbox.flush();
        expect(outbox.saveProblem, at).toBeUndefined();
        if (problem) expect(problems.at(-1), at).toBeUndefined();
        await outbox.close();
        const after = await ids(dir);
        expect(after.ids.sort(), at).toEqual([seeded[1]!.id, seeded[2]!.id, ...added.map((a) => a.id)].sort());
        expect(after.badLines, at).toBe(0);
      }
      // The sweep did reach both: faults at open, and appends that could not be saved.
      expect(openedOnFault).toBeGreaterThan(0);
      expect(stuck).toBeGreaterThan(0);
    });
  }

  it('a single failure at any write point (the disk recovers at once) loses nothing acknowledged, even in a crash right after', { timeout: 120_000 }, async () => {
    const total = await countWritePoints('EIO');

    for (let k = 1; k <= total; k++) {
      const dir = await tempDir();
      const seeded = await seed(dir);
      const fault = faultyFs(k, 'EIO', true);
      const { outbox, added, settle } = await storm(dir, fault.fs, seeded, []);
      const at = `one fault at write point ${k}`;
      // The retry comes at once here (retrySave), as it would after retryMs.
      const kick = setInterval(() => outbox.retrySave(), 1);
      await Promise.all(added.map((a) => a.done));
      await settle;
      await outbox.flush();
      // More changes after the fault, then a crash (no close).
      const later = await outbox.enqueue(input(40));
      await outbox.update(later.id, { attempts: 1, state: 'in_flight' });
      clearInterval(kick);
      const copy = await tempDir();
      await cp(dir, copy, { recursive: true });
      const crashed = await ids(copy);
      expect(crashed.ids.sort(), at).toEqual([seeded[1]!.id, seeded[2]!.id, ...added.map((a) => a.id), later.id].sort());
      expect(crashed.badLines, at).toBe(0);
      await outbox.close();
    }
  });

  it('a folder fsync that keeps failing after the snapshot rename never strands later changes in an ignored journal', async () => {
    const dir = await tempDir();
    const seeded = await seed(dir);
    let failDirSync = false;
    const fs: StorageFs = {
      ...nodeStorageFs,
      open: async (path, flags, mode) => {
        const h = await nodeStorageFs.open(path, flags, mode);
        return path === dir ? { ...h, sync: () => (failDirSync ? Promise.reject(osError('EIO')) : h.sync()) } : h;
      },
    };
    const outbox = await openOutbox({ dir, fs, compactMinBytes: 600 });
    failDirSync = true;
    const after: string[] = [];
    for (let i = 20; i < 30; i++) after.push((await outbox.enqueue(input(i))).id);
    const copy = await tempDir();
    await cp(dir, copy, { recursive: true });
    expect((await ids(copy)).ids.sort()).toEqual([...seeded.map((d) => d.id), ...after].sort());
    await outbox.close();
  });

  it('counts status changes, not callbacks: one change for two webhooks is one change not yet saved', async () => {
    const dir = await tempDir();
    await seed(dir);
    const fault = faultyFs(1, 'ENOSPC');
    const outbox = await openOutbox({ dir, fs: fault.fs, retryMs: 600_000 });
    const a = outbox.enqueue({ ...input(60), webhookId: 1 });
    const b = outbox.enqueue({ ...input(60), webhookId: 2 });
    await settleDown(outbox, Promise.all([a, b]));
    expect(outbox.saveProblem).toMatchObject({ unsaved: 1, unsavedCallbacks: 2 });
    expect(describeSaveProblem(outbox.saveProblem!)).toMatch(/^Disk full: 1 status change not yet saved/);
    fault.clear();
    outbox.retrySave();
    await Promise.all([a, b]);
    await outbox.close();
  });

  it('a folder fsync failing after the snapshot rename, then snapshot writes failing: later changes still count at the next open', async () => {
    const dir = await tempDir();
    const seeded = await seed(dir);
    let dirSyncFailures = 0;
    let failSnapshotWrites = false;
    const fs: StorageFs = {
      ...nodeStorageFs,
      open: async (path, flags, mode) => {
        const h = await nodeStorageFs.open(path, flags, mode);
        if (path === dir) {
          return {
            ...h,
            sync: async () => {
              if (dirSyncFailures++ === 0) {
                failSnapshotWrites = true;
                throw osError('EIO');
              }
              await h.sync();
            },
          };
        }
        if (path.endsWith('.tmp')) return { ...h, write: (...args) => (failSnapshotWrites ? Promise.reject(osError('ENOSPC')) : h.write(...args)) };
        return h;
      },
    };
    // Open without faults, then the next compaction hits the folder fsync, and every later one the full disk.
    let armed = false;
    const guarded: StorageFs = { ...fs, open: (path, flags, mode) => (armed ? fs.open(path, flags, mode) : nodeStorageFs.open(path, flags, mode)) };
    const outbox = await openOutbox({ dir, fs: guarded, compactMinBytes: 600 });
    armed = true;
    const after: string[] = [];
    for (let i = 20; i < 30; i++) after.push((await outbox.enqueue(input(i))).id);
    expect(dirSyncFailures).toBeGreaterThan(0);
    const copy = await tempDir();
    await cp(dir, copy, { recursive: true });
    expect((await ids(copy)).ids.sort()).toEqual([...seeded.map((d) => d.id), ...after].sort());
    await outbox.close();
  });

  it('says it the way the banner does', () => {
    const p: SaveProblem = { code: 'ENOSPC', message: 'ENOSPC: no space left on device', unsaved: 37, unsavedCallbacks: 74, pendingWrites: 40, since: 0 };
    expect(describeSaveProblem(p)).toMatch(/^Disk full: 37 status changes not yet saved — free space/);
    expect(describeSaveProblem({ ...p, code: 'EIO', unsaved: 1 })).toMatch(/^Disk error \(EIO\): 1 status change not yet saved/);
  });

  it('closing while the disk is still full loses only what was never acknowledged, and says how many', async () => {
    const dir = await tempDir();
    const seeded = await seed(dir);
    const fault = faultyFs(1, 'ENOSPC');
    const lines: string[] = [];
    const outbox = await openOutbox({ dir, fs: fault.fs, retryMs: 600_000, logger: (_l, m) => lines.push(m) });
    const lost = outbox.enqueue(input(50));
    lost.catch(() => undefined);
    await settleDown(outbox, lost);
    expect(outbox.saveProblem?.unsaved).toBe(1);
    await outbox.close();
    await expect(lost).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(lines.some((l) => /closed with 1 callback\(s\) that could not be saved/.test(l))).toBe(true);
    expect((await ids(dir)).ids.sort()).toEqual(seeded.map((d) => d.id).sort());
  });
});

describe('outbox records are self-delimiting and checked', () => {
  it('a record torn mid-write and glued to the next batch costs only itself', async () => {
    const dir = await tempDir();
    const outbox = await openOutbox({ dir });
    const a = await outbox.enqueue(input(1));
    const gen = outbox.stats().gen;
    await outbox.close();
    const journal = join(dir, journalFile(gen));
    // A torn record (no newline), then a whole one appended straight after it.
    const b = { ...a, id: 'dlv_b', n: a.n + 1 };
    const c = { ...a, id: 'dlv_c', n: a.n + 2 };
    const torn = frameRecord({ t: 'enq', d: b });
    await writeFile(journal, `${await readFile(journal, 'utf8')}${torn.slice(0, torn.length - 30)}${frameRecord({ t: 'enq', d: c })}`);
    const reopened = await openOutbox({ dir });
    expect(reopened.list().map((d) => d.id)).toEqual([a.id, 'dlv_c']);
    expect(reopened.openReport.badLines).toBe(1);
    await reopened.close();
  });

  it('a record whose bytes changed but still parse as JSON is rejected by its checksum', async () => {
    const dir = await tempDir();
    const outbox = await openOutbox({ dir });
    const a = await outbox.enqueue(input(1));
    await outbox.enqueue(input(2));
    const gen = outbox.stats().gen;
    await outbox.close();
    const journal = join(dir, journalFile(gen));
    const text = await readFile(journal, 'utf8');
    await writeFile(journal, text.replace('"seq":2', '"seq":7'));
    const reopened = await openOutbox({ dir });
    expect(reopened.list().map((d) => d.id)).toEqual([a.id]);
    expect(reopened.openReport.badLines).toBe(1);
    await reopened.close();
  });

  it('every line it writes is one framed record', async () => {
    const dir = await tempDir();
    const outbox = await openOutbox({ dir, compactMinBytes: 1 });
    await outbox.enqueue(input(1));
    await outbox.enqueue(input(2));
    await outbox.close();
    for (const name of await readdir(dir)) {
      const lines = (await readFile(join(dir, name))).toString('latin1').split('\n').filter(Boolean);
      for (const line of lines) {
        expect(line.charCodeAt(0)).toBe(0x1e);
        const decoded = decodeLine(Buffer.from(line, 'latin1'));
        expect(decoded.bad).toBe(0);
        expect(decoded.records).toHaveLength(1);
      }
    }
  });

  it('reads the format written before framing (plain JSON lines) and rewrites it framed', async () => {
    const dir = await tempDir();
    const d = (id: string, n: number) => ({ id, messageId: `msg_${id}`, webhookId: 1, udid: 'dev-1', seq: n, body: '{}', createdAt: 1, attempts: 0, nextAttemptAt: 1, state: 'pending', n });
    await writeFile(
      join(dir, SNAPSHOT_FILE),
      [JSON.stringify({ kind: 'outbox-snapshot', version: 1, gen: 4, nextN: 3, paused: [], count: 2 }), JSON.stringify(d('old1', 1)), JSON.stringify(d('old2', 2)), JSON.stringify({ end: true, count: 2 }), ''].join('\n'),
    );
    await writeFile(join(dir, journalFile(4)), `${JSON.stringify({ t: 'enq', d: d('old3', 3) })}\n${JSON.stringify({ t: 'upd', id: 'old1', p: { state: 'succeeded' } })}\n{"t":"enq","d":{"id":"to`);
    const outbox = await openOutbox({ dir });
    expect(outbox.list().map((x) => x.id)).toEqual(['old2', 'old3']);
    expect(outbox.openReport).toMatchObject({ badLines: 0, tornTail: true, unreadableRecords: 0 });
    await outbox.close();
    expect((await readFile(join(dir, SNAPSHOT_FILE)))[0]).toBe(0x1e);
    expect(await readdir(dir)).not.toContain(journalFile(4));
  });
});
