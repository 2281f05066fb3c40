// The bench side of the receiver child: fork it, wait for its port, and talk to it over IPC.
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { sharedNow } from './protocol';
import type { ReceiverReady, ReceiverReport, ReceiverRequest, ReceiverResponse } from './protocol';

type Omitted<T> = T extends unknown ? Omit<T, 'id'> : never;

export interface ClockCheck {
  /** receiver clock − bench clock, estimated from the IPC round trip with the smallest delay */
  offsetMs: number;
  /** ± this much: half that round trip */
  uncertaintyMs: number;
}

export class ReceiverProcess {
  private nextId = 1;
  private readonly waiting = new Map<number, (r: ReceiverResponse) => void>();

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.on('message', (msg: ReceiverResponse) => {
      const done = this.waiting.get(msg.id);
      if (!done) return;
      this.waiting.delete(msg.id);
      done(msg);
    });
  }

  static async start(script: string): Promise<ReceiverProcess> {
    const child = fork(script, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
    const port = await new Promise<number>((resolve, reject) => {
      const onExit = (code: number | null): void => reject(new Error(`receiver exited early (code ${code})`));
      child.once('exit', onExit);
      child.once('error', reject);
      child.once('message', (msg: ReceiverReady) => {
        child.off('exit', onExit);
        if (msg.type === 'ready') resolve(msg.port);
        else reject(new Error(`unexpected first message from the receiver: ${JSON.stringify(msg)}`));
      });
    });
    return new ReceiverProcess(child, port);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  request(msg: Omitted<ReceiverRequest>): Promise<ReceiverResponse> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, (r) => (r.type === 'error' ? reject(new Error(`receiver: ${r.message}`)) : resolve(r)));
      this.child.send({ ...msg, id } as ReceiverRequest);
    });
  }

  async reset(record = false): Promise<void> {
    await this.request({ type: 'reset', record });
  }

  async report(): Promise<ReceiverReport> {
    const r = await this.request({ type: 'report' });
    if (r.type !== 'report') throw new Error(`receiver answered ${r.type} to report`);
    return r.report;
  }

  async setSecrets(secrets: Record<string, string>): Promise<void> {
    await this.request({ type: 'secrets', secrets });
  }

  async startAdb(devices: number): Promise<number> {
    const r = await this.request({ type: 'adb-start', devices });
    if (r.type !== 'adb') throw new Error(`receiver answered ${r.type} to adb-start`);
    return r.port;
  }

  async stopAdb(): Promise<void> {
    await this.request({ type: 'adb-stop' });
  }

  /** Checks that both processes read the same shared clock (the latency figures rely on it). */
  async checkClock(rounds = 30): Promise<ClockCheck> {
    let best: ClockCheck = { offsetMs: Number.NaN, uncertaintyMs: Number.POSITIVE_INFINITY };
    for (let i = 0; i < rounds; i++) {
      const t0 = sharedNow();
      const r = await this.request({ type: 'ping', t0 });
      const t2 = sharedNow();
      if (r.type !== 'pong') continue;
      const half = (t2 - t0) / 2;
      if (half < best.uncertaintyMs) best = { offsetMs: r.t1 - (t0 + half), uncertaintyMs: half };
    }
    return best;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}
