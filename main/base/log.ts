// A small file logger: one line per entry, ISO time, level, message. Plain Node; the composition root
// gives it the path (userData/logs/main.log). Rotates once at maxBytes so it never grows without bound.
import { appendFileSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type Logger = (level: LogLevel, message: string) => void;

interface FileLoggerOptions {
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

/** Logs nothing: the default where a caller gives no logger. */
export const silentLogger: Logger = () => {};

/** The method form some modules log through (`console` fits); `asLogMethods` turns a Logger into it. */
export interface LogMethods {
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}
const silentLogMethods: LogMethods = { info: () => {}, warn: () => {}, error: () => {} };
/** Either form: a module that logs through methods accepts the app's Logger too. */
export type LoggerLike = LogMethods | Logger;

export function asLogMethods(logger: LoggerLike | undefined): LogMethods {
  if (logger === undefined) return silentLogMethods;
  if (typeof logger !== 'function') return logger;
  const line = (message: string, meta?: Record<string, unknown>): string => {
    if (!meta) return message;
    try {
      return `${message} ${JSON.stringify(meta)}`;
    } catch {
      return message;
    }
  };
  return {
    info: (m, meta) => logger('info', line(m, meta)),
    warn: (m, meta) => logger('warn', line(m, meta)),
    error: (m, meta) => logger('error', line(m, meta)),
  };
}
