import * as Dialog from '@radix-ui/react-dialog';
import type { AppInfo } from '../../preload/contract';

export function AboutDialog({ info, error }: { info: AppInfo | null; error: string | null }) {
  return (
    <Dialog.Root>
      <Dialog.Trigger className="button ghost">About</Dialog.Trigger>
      <Dialog.Portal>
        <Dialog.Overlay className="overlay" />
        <Dialog.Content className="dialog" aria-describedby={undefined}>
          <Dialog.Title>About DeviceHooks</Dialog.Title>
          {error ? (
            <p role="alert" className="error">
              {error}
            </p>
          ) : !info ? (
            <p>Loading…</p>
          ) : (
            <dl className="facts">
              <dt>Version</dt>
              <dd data-testid="about-version">{info.version}</dd>
              <dt>Data folder</dt>
              <dd className="mono">{info.dataDir}</dd>
              <dt>Log file</dt>
              <dd className="mono">{info.logFile}</dd>
              <dt>Platform</dt>
              <dd>{info.platform}</dd>
            </dl>
          )}
          <div className="dialog-actions">
            <Dialog.Close className="button">Close</Dialog.Close>
          </div>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
