// Real temporary folders for tests that touch the disk. Call makeTempDir() inside a test: the folder
// is removed when that test finishes (pass or fail). Outside a test, remove it yourself with cleanup().
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';

export interface TempDir {
  path: string;
  /** Removes the folder and everything in it; safe to call twice. */
  cleanup(): Promise<void>;
}

export async function makeTempDirHandle(prefix = 'devicehooks-test-'): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

/** A fresh, empty folder under the OS temp dir, removed when the current test finishes. */
export async function makeTempDir(prefix?: string): Promise<string> {
  const dir = await makeTempDirHandle(prefix);
  onTestFinished(() => dir.cleanup());
  return dir.path;
}
