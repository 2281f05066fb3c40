// A small file logger: one line per entry, ISO time, level, message. Plain Node; the composition root
// gives it the path (userData/logs/main.log). Rotates once at maxBytes so it never grows without bound.
import { appendFileSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type Logger = (level: LogLevel, message: string) => void;

export interface FileLoggerOptions {
  file: string;
  maxBytes?: number;
  /** Also write to stdout/stderr (the headless runner and development want this). */
  echo?: boolean;
  now?: () => Date;
}

export function createFileLogger({ file, maxBytes = 5 * 1024 * 1024, echo = false, now = () => new Date() }: FileLoggerOptions): Logger {
  mkdirSync(dirname(file), { recursive: true });
  let size = 0;
  try {
    size = statSync(file).size;
  } catch {
    size = 0;
  }
  return (level, message) => {
    const line = `${now().toISOString()} ${level.toUpperCase().padEnd(5)} ${message.replace(/\r?\n/g, '\n    ')}\n`;
    if (echo) (level === 'error' || level === 'warn' ? process.stderr : process.stdout).write(line);
    try {
      if (size + line.length > maxBytes) {
        renameSync(file, `${file}.1`);
        size = 0;
      }
      appendFileSync(file, line);
      size += Buffer.byteLength(line);
    } catch (error) {
      // Logging must never take the app down; say it once on stderr.
      process.stderr.write(`log write failed: ${String(error)}\n`);
    }
  };
}
