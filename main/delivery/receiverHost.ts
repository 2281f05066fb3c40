// The built-in test receiver as the app runs it: started and stopped on request, on 127.0.0.1, with
// the answer (status, delay) a tester chose, checking signatures with every webhook's secret.
import { Listeners } from '../base/listeners';
import type { ReceiverInfo } from '../../preload/contract';
import { startReceiver } from './receiver';
import type { ReceivedRequest, Receiver } from './receiver';

const DEFAULT_RECEIVER_PORT = 47_616;

type ReceiverHostInfo = ReceiverInfo;

export class ReceiverHost {
  private receiver: Receiver | null = null;
  private configuredPort = DEFAULT_RECEIVER_PORT;
  private reply = { status: 200, delayMs: 0 };
  private error: string | null = null;
  private kept: ReceivedRequest[] = [];
  private readonly changeListeners = new Listeners<ReceiverHostInfo>();
  private readonly requestListeners = new Listeners<ReceivedRequest>();

  /** `secrets()` is asked at start and on refreshSecrets(): every signing secret the app knows. */
  constructor(private readonly secrets: () => string[]) {}

  info(): ReceiverHostInfo {
    return {
      running: this.receiver !== null,
      url: this.receiver?.url ?? null,
      port: this.receiver?.port ?? 0,
      configuredPort: this.configuredPort,
      reply: { ...this.reply },
      error: this.error,
    };
  }

  requests(): ReceivedRequest[] {
    return this.receiver ? this.receiver.requests() : [...this.kept];
  }

  onChange(listener: (info: ReceiverHostInfo) => void): () => void {
    return this.changeListeners.add(listener);
  }

  onRequest(listener: (request: ReceivedRequest) => void): () => void {
    return this.requestListeners.add(listener);
  }

  async start(port: number): Promise<ReceiverHostInfo> {
    await this.stop();
    this.configuredPort = port;
    try {
      this.receiver = await startReceiver({
        port,
        secrets: this.secrets(),
        reply: { status: this.reply.status, delayMs: this.reply.delayMs, body: JSON.stringify({ ok: this.reply.status < 300 }) },
      });
      this.receiver.onRequest((request) => this.requestListeners.emit(request));
      this.error = null;
    } catch (error) {
      this.receiver = null;
      this.error =
        (error as NodeJS.ErrnoException).code === 'EADDRINUSE'
          ? `Port ${port} on 127.0.0.1 is already in use by another program: choose another port.`
          : `The test receiver could not start: ${(error as Error).message}`;
    }
    this.emit();
    return this.info();
  }

  async stop(): Promise<ReceiverHostInfo> {
    const receiver = this.receiver;
    if (receiver) {
      this.kept = receiver.requests();
      this.receiver = null;
      await receiver.close();
      this.emit();
    }
    return this.info();
  }

  setReply(reply: { status: number; delayMs: number }): ReceiverHostInfo {
    this.reply = { ...reply };
    this.receiver?.setReply({ status: reply.status, delayMs: reply.delayMs, body: JSON.stringify({ ok: reply.status < 300 }) });
    this.emit();
    return this.info();
  }

  refreshSecrets(): void {
    this.receiver?.setSecrets(this.secrets());
  }

  clear(): void {
    this.kept = [];
    this.receiver?.clear();
    this.emit();
  }

  private emit(): void {
    this.changeListeners.emit(this.info());
  }
}
