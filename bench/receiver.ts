// The bench's receiver, in its own process (forked by bench.ts) so that its CPU is not the bench's:
// a minimal node:http server on 127.0.0.1 that answers 200 at once, notes each request's arrival
// time on the shared clock, counts every (webhook, device, event) to prove nothing is lost or
// doubled, and checks the Standard Webhooks signature of a sample of the requests. It also hosts
// the fake adb server of the idle phase, for the same reason.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verify } from '../main/delivery/signing';
import { startFakeAdb } from '../test/fakes/adbServer';
import type { FakeAdb, FakeAdbDevice } from '../test/fakes/adbServer';
import { deliveryKey, sharedNow } from './lib/protocol';
import type { ReceiverReady, ReceiverReport, ReceiverRequest, ReceiverResponse } from './lib/protocol';

/** One request in this many has its signature checked (HMAC per request would load this core for nothing). */
const SIGNATURE_SAMPLE = 25;
const OK_BODY = Buffer.from('{"ok":true}');

let counts = new Map<string, number>();
let arrivals: Map<string, number> | undefined;
let total = 0;
let duplicates = 0;
let malformed = 0;
let signaturesChecked = 0;
let signaturesInvalid = 0;
let secrets: Record<string, string> = {};
let adb: FakeAdb | undefined;
let cpuAtReset = process.cpuUsage();

interface Body {
  webhookId?: unknown;
  deviceUdid?: unknown;
  eventActivity?: unknown;
}

const server = http.createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
  const parts: Buffer[] = [];
  req.on('data', (chunk: Buffer) => parts.push(chunk));
  req.on('end', () => {
    const at = sharedNow();
    total++;
    const text = parts.length === 1 ? (parts[0] as Buffer).toString('utf8') : Buffer.concat(parts).toString('utf8');
    let body: Body | undefined;
    try {
      body = JSON.parse(text) as Body;
    } catch {
      body = undefined;
    }
    if (!body || typeof body.deviceUdid !== 'string' || typeof body.webhookId !== 'number' || typeof body.eventActivity !== 'string') {
      malformed++;
    } else {
      const key = deliveryKey(body.webhookId, body.deviceUdid, body.eventActivity);
      const seen = counts.get(key) ?? 0;
      if (seen > 0) duplicates++;
      counts.set(key, seen + 1);
      if (arrivals && !arrivals.has(key)) arrivals.set(key, at);
      const secret = secrets[String(body.webhookId)];
      if (secret !== undefined && req.headers['webhook-signature'] !== undefined && total % SIGNATURE_SAMPLE === 0) {
        signaturesChecked++;
        if (!verify(req.headers, text, [secret]).ok) signaturesInvalid++;
      }
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': OK_BODY.length });
    res.end(OK_BODY);
  });
});

function report(): ReceiverReport {
  const cpu = process.cpuUsage(cpuAtReset);
  const r: ReceiverReport = { total, unique: counts.size, duplicates, malformed, signaturesChecked, signaturesInvalid, cpuUs: cpu.user + cpu.system };
  if (arrivals) r.arrivals = [...arrivals.entries()];
  return r;
}

function fakeDevices(n: number): FakeAdbDevice[] {
  return Array.from({ length: n }, (_, i) => ({
    serial: `IDLE${String(i).padStart(4, '0')}`,
    state: 'device',
    usb: `1-${i + 1}`,
    product: 'panther',
    model: 'Pixel 7',
    device: 'panther',
    props: { 'ro.product.model': 'Pixel 7' },
    settings: { global: { device_name: `Bench phone ${i}` } },
  }));
}

async function handle(msg: ReceiverRequest): Promise<ReceiverResponse> {
  switch (msg.type) {
    case 'reset':
      counts = new Map();
      arrivals = msg.record ? new Map() : undefined;
      total = duplicates = malformed = signaturesChecked = signaturesInvalid = 0;
      cpuAtReset = process.cpuUsage();
      return { id: msg.id, type: 'ok' };
    case 'report':
      return { id: msg.id, type: 'report', report: report() };
    case 'ping':
      return { id: msg.id, type: 'pong', t0: msg.t0, t1: sharedNow() };
    case 'secrets':
      secrets = { ...msg.secrets };
      return { id: msg.id, type: 'ok' };
    case 'adb-start':
      await adb?.close();
      adb = await startFakeAdb();
      adb.setDevices(fakeDevices(msg.devices));
      return { id: msg.id, type: 'adb', port: adb.port };
    case 'adb-stop':
      await adb?.close();
      adb = undefined;
      return { id: msg.id, type: 'ok' };
  }
}

process.on('message', (msg: ReceiverRequest) => {
  handle(msg).then(
    (answer) => process.send?.(answer),
    (error: unknown) => process.send?.({ id: msg.id, type: 'error', message: String(error) } satisfies ReceiverResponse),
  );
});
// The bench died or finished: never outlive it.
process.on('disconnect', () => {
  void adb?.close();
  server.closeAllConnections();
  server.close();
  process.exit(0);
});

server.listen(0, '127.0.0.1', () => {
  const ready: ReceiverReady = { type: 'ready', port: (server.address() as AddressInfo).port, pid: process.pid };
  process.send?.(ready);
});
