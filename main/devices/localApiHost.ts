// Runs the local reservation API with the port and token from devices.json, and restarts it when an
// admin changes either. A port that is taken is reported in words, not thrown.
import type { LocalApiInfo } from '../../preload/contract';
import { startLocalApi } from './localApi';
import type { LocalApi, LocalApiDevices, LocalApiReservations } from './localApi';
import type { LocalApiSettings } from './deviceState';
import type { LoggerLike } from '../base/log';
import { Listeners } from '../base/listeners';

interface LocalApiHostOptions {
  devices: LocalApiDevices;
  reservations: LocalApiReservations;
  logger: LoggerLike;
  settings: () => LocalApiSettings;
  saveSettings: (settings: LocalApiSettings) => Promise<void>;
}

export class LocalApiHost {
  private api: LocalApi | null = null;
  private error: string | null = null;
  private readonly listeners = new Listeners<Omit<LocalApiInfo, 'canManage'>>();

  constructor(private readonly options: LocalApiHostOptions) {}

  info(): Omit<LocalApiInfo, 'canManage'> {
    const { port, token } = this.options.settings();
    return { running: this.api !== null, url: this.api?.url ?? null, port: this.api?.port ?? 0, configuredPort: port, token, error: this.error };
  }

  onChange(listener: (info: Omit<LocalApiInfo, 'canManage'>) => void): () => void {
    return this.listeners.add(listener);
  }

  async start(): Promise<void> {
    const { port, token } = this.options.settings();
    try {
      this.api = await startLocalApi({ port, token, devices: this.options.devices, reservations: this.options.reservations, logger: this.options.logger });
      this.error = null;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      this.error =
        code === 'EADDRINUSE'
          ? `Port ${port} on 127.0.0.1 is already in use by another program: choose another port.`
          : `The local API could not start: ${(error as Error).message}`;
      this.api = null;
    }
    this.emit();
  }

  async stop(): Promise<void> {
    const api = this.api;
    this.api = null;
    await api?.close();
  }

  async update(change: Partial<LocalApiSettings>): Promise<Omit<LocalApiInfo, 'canManage'>> {
    await this.options.saveSettings({ ...this.options.settings(), ...change });
    await this.stop();
    await this.start();
    return this.info();
  }

  private emit(): void {
    this.listeners.emit(this.info());
  }
}
