// Runs a real command-line tool for a test and answers what it printed and its exit code (never rejects).
import { execFile } from 'node:child_process';
import type { ExecFileOptions } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ToolResult {
  stdout: string;
  stderr: string;
  /** The exit code; -1 when it did not exit by itself (not found, killed, timed out). */
  code: number;
}

export async function runTool(command: string, args: string[], options: ExecFileOptions = {}): Promise<ToolResult> {
  try {
    const { stdout, stderr } = await run(command, args, { timeout: 15_000, encoding: 'utf8', ...options });
    return { stdout: String(stdout), stderr: String(stderr), code: 0 };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: number };
    return { stdout: e.stdout ?? '', stderr: e.stderr ?? '', code: typeof e.code === 'number' ? e.code : -1 };
  }
}
