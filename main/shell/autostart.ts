// "Start at login" on Linux: a freedesktop autostart entry (Electron's login item settings cover
// macOS and Windows only). Plain Node.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

export function autostartFile(env: NodeJS.ProcessEnv = process.env, home = homedir()): string {
  return join(env['XDG_CONFIG_HOME'] || join(home, '.config'), 'autostart', 'devicehooks.desktop');
}

/** `exec` is the command as the desktop would run it; quoted per the Desktop Entry spec. */
export function desktopEntry(exec: string[], hidden: boolean): string {
  const quote = (arg: string) => (/[\s"'\\$`]/.test(arg) ? `"${arg.replace(/(["\\$`])/g, '\\$1')}"` : arg);
  const args = hidden ? [...exec, '--hidden'] : exec;
  return ['[Desktop Entry]', 'Type=Application', 'Name=DeviceHooks', 'Comment=Webhooks from the status of USB test phones', `Exec=${args.map(quote).join(' ')}`, 'X-GNOME-Autostart-enabled=true', 'Terminal=false', ''].join('\n');
}

export async function setLinuxAutostart(enabled: boolean, exec: string[], hidden: boolean, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const file = autostartFile(env);
  if (!enabled) {
    await rm(file, { force: true });
    return file;
  }
  await mkdir(join(file, '..'), { recursive: true });
  await writeFile(file, desktopEntry(exec, hidden), 'utf8');
  return file;
}
