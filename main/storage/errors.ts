// Typed storage errors. Every message is a plain sentence a person can act on; `code` keeps the
// operating-system error code (ENOSPC, EACCES…) for logs and tests. `kind` survives structured clone
// and IPC, where the class does not.

type StorageErrorKind = 'read' | 'write' | 'newer_version' | 'closed' | 'invalid_data';

export class StorageError extends Error {
  readonly kind: StorageErrorKind;
  /** The data file concerned. */
  readonly file: string;
  /** OS error code when there was one (ENOSPC, EACCES, EISDIR…). */
  readonly code: string | undefined;

  constructor(kind: StorageErrorKind, message: string, file: string, code?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageError';
    this.kind = kind;
    this.file = file;
    this.code = code;
  }
}

/** The data could not be saved; memory and disk both stayed at the last good state. */
export class StorageWriteError extends StorageError {
  constructor(message: string, file: string, code?: string, options?: { cause?: unknown }) {
    super('write', message, file, code, options);
    this.name = 'StorageWriteError';
  }
}

/** The file exists but could not be read (permissions, a folder in its place…), or could not be moved aside. */
export class StorageReadError extends StorageError {
  constructor(message: string, file: string, code?: string, options?: { cause?: unknown }) {
    super('read', message, file, code, options);
    this.name = 'StorageReadError';
  }
}

/** The file was written by a newer DeviceHooks. It is left exactly as it is. */
export class StorageVersionError extends StorageError {
  readonly fileVersion: number;
  readonly supportedVersion: number;

  constructor(message: string, file: string, fileVersion: number, supportedVersion: number) {
    super('newer_version', message, file);
    this.name = 'StorageVersionError';
    this.fileVersion = fileVersion;
    this.supportedVersion = supportedVersion;
  }
}

/** An update was asked of a store after close(). */
export class StorageClosedError extends StorageError {
  constructor(message: string, file: string) {
    super('closed', message, file);
    this.name = 'StorageClosedError';
  }
}

/** A mutation produced data that fails the store's own shape check: a programming error, nothing was written. */
export class StorageDataError extends StorageError {
  constructor(message: string, file: string) {
    super('invalid_data', message, file);
    this.name = 'StorageDataError';
  }
}

const REASONS: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EACCES: 'permission was denied',
  EPERM: 'the operating system did not allow it',
  EROFS: 'the disk is read-only',
  EISDIR: 'a folder is in the way',
  ENOTDIR: 'part of the path is not a folder',
  ENOENT: 'its folder does not exist',
  EBUSY: 'the file is in use by another program',
  EMFILE: 'too many files are open',
  ENFILE: 'too many files are open',
  EIO: 'the disk reported an input/output error',
  ENAMETOOLONG: 'the path is too long',
};

export function errnoCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof (error as { code: unknown }).code === 'string') {
    return (error as { code: string }).code;
  }
  return undefined;
}

/** "the disk is full (ENOSPC)" — or the error's own message when the code is not a familiar one. */
export function describeOsError(error: unknown): string {
  const code = errnoCode(error);
  const reason = code ? REASONS[code] : undefined;
  if (reason && code) return `${reason} (${code})`;
  const message = error instanceof Error ? error.message : String(error);
  return code ? `${message} (${code})` : message;
}
