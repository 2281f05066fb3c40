// The messages between the bench process and its receiver child (child_process.fork IPC).
// Every request carries an id; the child answers with the same id.

export type ReceiverRequest =
  | { id: number; type: 'reset'; /** keep each request's arrival time (latency phase) */ record: boolean }
  | { id: number; type: 'report' }
  | { id: number; type: 'ping'; t0: number }
  | { id: number; type: 'secrets'; /** webhookId → secret, for the sampled signature check */ secrets: Record<string, string> }
  | { id: number; type: 'adb-start'; devices: number }
  | { id: number; type: 'adb-stop' };

export interface ReceiverReport {
  /** requests read completely since the last reset */
  total: number;
  /** distinct (webhookId, deviceUdid, eventActivity) keys */
  unique: number;
  /** requests whose key had been seen before since the last reset */
  duplicates: number;
  /** requests whose body was not the JSON callback body */
  malformed: number;
  signaturesChecked: number;
  signaturesInvalid: number;
  /** the receiver process's CPU time (user + system, µs) since the last reset */
  cpuUs: number;
  /** key → arrival time (performance.timeOrigin + performance.now(), ms), when recording */
  arrivals?: [string, number][];
}

export type ReceiverResponse =
  | { id: number; type: 'ok' }
  | { id: number; type: 'report'; report: ReceiverReport }
  | { id: number; type: 'pong'; t0: number; t1: number }
  | { id: number; type: 'adb'; port: number }
  | { id: number; type: 'error'; message: string };

/** The first message the child sends, once its HTTP server listens. */
export interface ReceiverReady {
  type: 'ready';
  port: number;
  pid: number;
}

/** The key a delivery is counted under, on both sides. */
export function deliveryKey(webhookId: number | string, udid: string, activity: string): string {
  return `${webhookId}|${udid}|${activity}`;
}

/** One clock for both processes (same machine): wall-clock origin of the process + monotonic time since. */
export function sharedNow(): number {
  return performance.timeOrigin + performance.now();
}
