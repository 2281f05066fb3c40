// The USB source with the REAL node-usb, under umockdev: `umockdev-run -d test/fixtures/usb-phones.umockdev --
// node runner.mjs` shows node-usb (libusb with its udev backend) an emulated bus read from the fixture: a root
// hub, a Pixel 7 with an ADB interface at 1-4, a hub at 1-2 with an iPhone at 1-2.1, a keyboard at 1-3.
//
// - Strings: opening devices for string descriptors fails under umockdev (no usbfs behind /dev/bus/usb), but
//   the source reads serial and product from sysfs first, which umockdev emulates: that path is what runs here.
// - Plug/unplug: umockdev-run cannot send uevents by itself. umockdev's preload turns the program's udev
//   netlink socket into a Unix datagram socket `$UMOCKDEV_DIR/event<fd>`; the runner below sends libudev-format
//   messages there (the same bytes umockdev's own uevent sender writes), through `perl` because Node has no Unix
//   datagram sockets. libusb then reports detach/attach exactly as for a real device.
// - The source is TypeScript; the child runs plain Node, so the test transpiles the source and what it imports
//   (main/devices/{types,sourceKit,deviceText,usbClassify,usb}.ts, main/base/{clock,log,listeners}.ts) with the
//   TypeScript compiler into node_modules/.cache (so that `usb` resolves) and removes them afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import type { Observation } from '../../main/devices/types';
import { PIXEL_7_ON_USB } from '../support/observations';
import { until } from './recorder';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const fixture = join(repo, 'test/fixtures/usb-phones.umockdev');

const hasUmockdev = spawnSync('umockdev-run', ['--version'], { stdio: 'ignore' }).status === 0;
const hasPerl = spawnSync('perl', ['-MSocket', '-e', '1'], { stdio: 'ignore' }).status === 0;

const RUNNER = String.raw`
import { UsbSource } from './usb.mjs';
import { readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import readline from 'node:readline';

const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

// MurmurHash2 as in systemd/umockdev: libudev filters on these hashes of subsystem and devtype.
function murmur(str) {
  const data = Buffer.from(str);
  let len = data.length, h = len >>> 0, i = 0;
  const m = 0x5bd1e995;
  while (len >= 4) {
    let k = data.readUInt32LE(i);
    k = Math.imul(k, m) >>> 0; k ^= k >>> 24; k = Math.imul(k, m) >>> 0;
    h = Math.imul(h, m) >>> 0; h = (h ^ k) >>> 0; i += 4; len -= 4;
  }
  if (len === 3) h ^= data[i + 2] << 16;
  if (len >= 2) h ^= data[i + 1] << 8;
  if (len >= 1) { h ^= data[i]; h = Math.imul(h, m) >>> 0; }
  h ^= h >>> 13; h = Math.imul(h, m) >>> 0; h ^= h >>> 15;
  return h >>> 0;
}

let seq = 1;
function uevent(action, devpath, devname) {
  const props = Buffer.from(['ACTION=' + action, 'DEVPATH=' + devpath, 'SUBSYSTEM=usb', 'SEQNUM=' + seq++, 'DEVNAME=' + devname, 'DEVTYPE=usb_device'].map((s) => s + '\0').join(''));
  const header = Buffer.alloc(40);
  header.write('libudev\0', 0);
  header.writeUInt32BE(0xfeedcafe, 8);
  header.writeUInt32LE(40, 12);
  header.writeUInt32LE(40, 16);
  header.writeUInt32LE(props.length, 20);
  header.writeUInt32BE(murmur('usb'), 24);
  header.writeUInt32BE(murmur('usb_device'), 28);
  const hex = Buffer.concat([header, props]).toString('hex');
  const dir = process.env.UMOCKDEV_DIR;
  const env = { ...process.env };
  delete env.LD_PRELOAD;
  let sent = 0;
  for (const name of readdirSync(dir).filter((f) => /^event\d+$/.test(f))) {
    execFileSync('perl', ['-MSocket', '-e', 'socket(my $s, AF_UNIX, SOCK_DGRAM, 0) or die; connect($s, pack_sockaddr_un($ARGV[0])) or die; send($s, pack("H*", $ARGV[1]), 0) or die;', dir + '/' + name, hex], { env });
    sent++;
  }
  return sent;
}

const source = new UsbSource({ logger: (level, msg) => out({ log: level, msg }) });
source.onSnapshot((s) => out({ snapshot: s.devices }));
source.onHealth((h) => out({ health: h.state, message: h.message }));
source.start();

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', async (line) => {
  const cmd = JSON.parse(line);
  if (cmd.uevent) out({ sent: uevent(cmd.uevent.action, cmd.uevent.devpath, cmd.uevent.devname) });
  if (cmd.stop) {
    await source.stop();
    rl.close();
    process.stdin.destroy();
    out({ stopped: true });
    // No process.exit: the process must end by itself once the source let go of hotplug events.
  }
});
`;

interface Line {
  snapshot?: Observation[];
  health?: string;
  message?: string;
  sent?: number;
  stopped?: boolean;
  log?: string;
  msg?: string;
}

describe.skipIf(!hasUmockdev || !hasPerl)('UsbSource with real node-usb under umockdev (skipped: needs umockdev-run and perl)', () => {
  let dir = '';
  let child: ChildProcessWithoutNullStreams | undefined;
  const lines: Line[] = [];
  let stderr = '';
  let exit: { code: number | null; signal: string | null } | undefined;

  const snapshots = (): Observation[][] => lines.flatMap((l) => (l.snapshot ? [l.snapshot] : []));
  const send = (cmd: object): void => {
    child?.stdin.write(`${JSON.stringify(cmd)}\n`);
  };
  const pixel = { devpath: '/devices/pci0000:00/0000:00:14.0/usb1/1-4', devname: '/dev/bus/usb/001/007' };

  beforeAll(async () => {
    const cache = join(repo, 'node_modules', '.cache');
    await mkdir(cache, { recursive: true });
    dir = await mkdtemp(join(cache, 'devicehooks-umockdev-'));
    // The USB source and what it imports, under main/'s layout (devices/ and the shared pieces in base/).
    await mkdir(join(dir, 'devices'));
    await mkdir(join(dir, 'base'));
    for (const name of ['devices/types', 'devices/sourceKit', 'devices/deviceText', 'devices/usbClassify', 'devices/usb', 'base/clock', 'base/log', 'base/listeners']) {
      const source = await readFile(join(repo, 'main', `${name}.ts`), 'utf8');
      const js = ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
      }).outputText;
      await writeFile(join(dir, `${name}.mjs`), js.replace(/from '(\.\.?\/[^']+)'/g, "from '$1.mjs'"));
    }
    await writeFile(join(dir, 'devices', 'runner.mjs'), RUNNER);
    // Its own process group, so that a failed test can end umockdev-run and the node under it together.
    child = spawn('umockdev-run', ['-d', fixture, '--', process.execPath, join(dir, 'devices', 'runner.mjs')], { cwd: dir, detached: true });
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const p of parts) if (p.trim()) lines.push(JSON.parse(p) as Line);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
    });
  });

  afterAll(async () => {
    if (child?.pid && !exit) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('lists the emulated bus at start: phones recognised, serials from sysfs, hubs left out', async () => {
    await until(() => expect(snapshots().length, `child stderr: ${stderr}`).toBeGreaterThan(0), 15_000);
    const first = snapshots()[0] ?? [];
    const byUdid = new Map(first.map((d) => [d.udid, d]));
    expect([...byUdid.keys()].sort()).toEqual(['00008030-001A35E11A88002E', '28011FDH2000F5', 'usb:046d:c31c@1-3']);
    expect(byUdid.get('28011FDH2000F5')).toEqual(PIXEL_7_ON_USB);
    expect(byUdid.get('00008030-001A35E11A88002E')).toMatchObject({ platform: 'ios', isPhone: true, usbPath: '1-2.1', name: 'iPhone' });
    expect(byUdid.get('usb:046d:c31c@1-3')).toMatchObject({ platform: 'other', isPhone: false, usbPath: '1-3', name: 'USB Keyboard' });
    // Health may be reported just after the first list.
    await until(() => expect(lines).toContainEqual(expect.objectContaining({ health: 'ok' })));
  });

  it('sees an unplug and a plug through udev events', async () => {
    const count = snapshots().length;
    send({ uevent: { action: 'remove', ...pixel } });
    await until(() => expect(lines.filter((l) => l.sent !== undefined).at(-1)?.sent).toBeGreaterThan(0));
    await until(() => expect(snapshots().length).toBeGreaterThan(count), 10_000);
    expect((snapshots().at(-1) ?? []).map((d) => d.udid).sort()).toEqual(['00008030-001A35E11A88002E', 'usb:046d:c31c@1-3']);

    send({ uevent: { action: 'add', ...pixel } });
    await until(() => expect((snapshots().at(-1) ?? []).map((d) => d.udid)).toContain('28011FDH2000F5'), 10_000);
    expect((snapshots().at(-1) ?? []).find((d) => d.udid === '28011FDH2000F5')).toMatchObject({ usbPath: '1-4', isPhone: true });
  });

  it('lets the process exit by itself after stop()', async () => {
    send({ stop: true });
    await until(() => expect(lines).toContainEqual({ stopped: true }));
    await until(() => expect(exit, `still running; stderr: ${stderr}`).toBeDefined(), 10_000);
    expect(exit).toEqual({ code: 0, signal: null });
  });
});
