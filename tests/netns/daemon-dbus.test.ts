// Test lane: shared (asserts outcomes, not timing: runs beside another such file, scripts/run-tests.js).
// The daemon on DBus, against keepalived 2.2.7 (Debian's build has DBus): a private dbus-daemon (a bus
// config that allows everything, a unix socket in the lab's directory) runs inside the test's namespace,
// and each daemon finds it through DBUS_SYSTEM_BUS_ADDRESS, as GLib does for keepalived. keepalived 2.2.7
// runs a config with enable_dbus and two instances (IPv4 and IPv6) until both are MASTER, then our daemon
// runs the same config in the same namespace. For each, the test (a dbus-next client, and gdbus for the
// introspection) records: the signals from its start (VrrpStarted, each instance's VrrpStatusChange), the
// introspection XML of every node of the tree, the Name and State properties (Get and GetAll), the answers
// of PrintData, PrintStats, PrintStatsClear, SendGarp and of calls that must fail, the signals of a
// failover it causes (eth0 down: FAULT; up: BACKUP, then MASTER), of ReloadConfig (VrrpReloaded) and of the
// stop (STOP, VrrpStopped). Ours must give the same, GDBus's version comment aside.
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Message, MessageType, sessionBus, type MessageBus } from 'dbus-next';
import { gated, missingTools, firstReason } from '../helpers/requirements.js';
import { exec } from '../helpers/netns.js';
import {
  daemonUnderTest,
  globalDefs,
  instanceConfig,
  keepalivedSkipReason,
  sleep,
  waitUntil,
  withLab,
  type VrrpDaemon,
  type VrrpLab,
} from '../helpers/vrrp-lab.js';

const skip = firstReason(
  // the oracle tier would run the same comparison a second time
  daemonUnderTest() === 'keepalived'
    ? 'not applicable: this test runs keepalived 2.2.7 beside ours itself (kernel tier)'
    : undefined,
  keepalivedSkipReason(),
  missingTools('dbusDaemon', 'gdbus'),
);
const { describe, test } = gated(skip);

const SERVICE = 'org.keepalived.Vrrp1';
const VRRP_PATH = '/org/keepalived/Vrrp1/Vrrp';
const V4 = '/org/keepalived/Vrrp1/Instance/eth0/51/IPv4';
const V6 = '/org/keepalived/Vrrp1/Instance/eth0/52/IPv6';
/** Every node of the tree, objects and the nodes between them. */
const TREE = [
  '/',
  '/org',
  '/org/keepalived',
  '/org/keepalived/Vrrp1',
  VRRP_PATH,
  '/org/keepalived/Vrrp1/Instance',
  '/org/keepalived/Vrrp1/Instance/eth0',
  '/org/keepalived/Vrrp1/Instance/eth0/51',
  V4,
  '/org/keepalived/Vrrp1/Instance/eth0/52',
  V6,
];

const CONFIG =
  globalDefs('r1', ['enable_dbus']) +
  instanceConfig({ name: 'VI_1', vrid: 51, priority: 100, vips: ['10.9.0.100/24'] }) +
  instanceConfig({ name: 'VI_6', vrid: 52, priority: 100, vips: ['2001:db8::100/64'] });

/** The policy the Debian package installs (the test runs as root, whom it lets own and call the name). */
const BUS_POLICY = fileURLToPath(new URL('../../../packaging/dbus/keepalived-ts.conf', import.meta.url));

/** A private bus that lets everyone own and call anything, with the package's policy read too. */
function busConfig(socket: string): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
  <include>${BUS_POLICY}</include>
</busconfig>
`;
}

async function startBus(lab: VrrpLab, ns: string): Promise<string> {
  const socket = join(lab.dir, 'bus.sock');
  const conf = lab.writeFile('bus.conf', busConfig(socket));
  const bus = lab.spawnOther(ns, ['dbus-daemon', `--config-file=${conf}`, '--nofork', '--print-address']);
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dbus-daemon did not start: ${out}`)), 10_000);
    const seen = (c: string): void => {
      out += c;
      if (out.includes('unix:path=')) {
        clearTimeout(timer);
        resolve();
      }
    };
    bus.stdout?.on('data', seen);
    bus.stderr?.on('data', (c: string) => (out += c));
    bus.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`dbus-daemon exited (${code}): ${out}`));
    });
  });
  return `unix:path=${socket}`;
}

interface Signal {
  path: string;
  member: string;
  body: unknown[];
}

/** A client on the private bus: every signal from the keepalived tree, and raw calls. */
class Client {
  readonly signals: Signal[] = [];
  private constructor(readonly bus: MessageBus) {
    bus.on('message', (m: Message) => {
      if (m.type === MessageType.SIGNAL && m.path.startsWith('/org/keepalived/'))
        this.signals.push({ path: m.path, member: m.member, body: plain(m.body) as unknown[] });
    });
  }

  static async connect(address: string): Promise<Client> {
    const bus = sessionBus({ busAddress: address });
    const client = new Client(bus);
    await client.raw('/org/freedesktop/DBus', 'org.freedesktop.DBus', 'AddMatch', 's', [
      "type='signal',path_namespace='/org/keepalived'",
    ]);
    return client;
  }

  /** A call's reply, or its error, as comparable text. */
  async call(
    path: string,
    iface: string,
    member: string,
    signature = '',
    body: unknown[] = [],
  ): Promise<string> {
    try {
      const reply = await this.raw(path, iface, member, signature, body, SERVICE);
      return `${reply?.signature ?? ''} ${JSON.stringify(plain(reply?.body ?? []))}`;
    } catch (e) {
      const err = e as { type?: string; text?: string };
      return `error ${err.type ?? ''}: ${err.text ?? String(e)}`;
    }
  }

  raw(
    path: string,
    iface: string,
    member: string,
    signature: string,
    body: unknown[],
    destination = 'org.freedesktop.DBus',
  ): Promise<Message | null> {
    return this.bus.call(new Message({ destination, path, interface: iface, member, signature, body }));
  }

  since(mark: number): Signal[] {
    return this.signals.slice(mark);
  }

  close(): void {
    this.bus.disconnect();
  }
}

/** dbus-next's variants as plain values: { signature, value } becomes [signature, value]. */
function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ('signature' in o && 'value' in o && Object.keys(o).length === 2)
      return [o['signature'], plain(o['value'])];
    return Object.fromEntries(
      Object.entries(o)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, x]) => [k, plain(x)]),
    );
  }
  return v;
}

/** gdbus's introspection of `path`, GDBus's version comment left out (ours says keepalived-ts). */
function introspect(address: string, path: string): string {
  const r = exec(
    ['gdbus', 'introspect', '--address', address, '--dest', SERVICE, '--object-path', path, '--xml'],
    { timeoutMs: 5000 },
  );
  if (r.status !== 0) return `error: ${r.stderr.trim()}`;
  return r.stdout
    .split('\n')
    .filter((l) => !/^<!-- (GDBus [\d.]+|keepalived-ts) -->$/.test(l))
    .join('\n');
}

/** Signals as comparable lines. */
const lines = (s: Signal[]): string[] => s.map((x) => `${x.path} ${x.member} ${JSON.stringify(x.body)}`);

interface DbusRecord {
  start: string[];
  tree: string[];
  properties: string[];
  methods: string[];
  failover: string[];
  reload: string[];
  stop: string[];
  dumps: string[];
}

async function waitForSignals(c: Client, mark: number, wanted: string[], timeoutMs: number): Promise<void> {
  await waitUntil(
    () => wanted.every((w) => lines(c.since(mark)).includes(w)),
    () => `signals ${wanted.join(', ')}; got ${lines(c.since(mark)).join(' | ')}`,
    timeoutMs,
  );
}

const SIGNAL_RECORDS: (keyof DbusRecord)[] = ['start', 'failover', 'reload', 'stop'];
/** Signal lines grouped by object path, each object's own order kept (the sort is stable). */
const byObject = (l: string[]): string[] =>
  [...l].sort((a, b) => (a.split(' ')[0] as string).localeCompare(b.split(' ')[0] as string));

const status = (path: string, code: number): string => `${path} VrrpStatusChange [${code}]`;

async function runOne(
  lab: VrrpLab,
  member: { ns: string },
  address: string,
  impl: 'keepalived' | 'ours',
): Promise<DbusRecord> {
  const c = await Client.connect(address);
  try {
    const d: VrrpDaemon = lab.start(impl, member, impl, CONFIG);
    await d.waitForState('VI_1', 'MASTER', 20_000);
    await d.waitForState('VI_6', 'MASTER', 20_000);
    await waitForSignals(c, 0, [status(V4, 2), status(V6, 2)], 5000);
    const start = lines(c.since(0));

    const tree = TREE.map((p) => `${p}\n${introspect(address, p)}`);
    const properties: string[] = [];
    for (const path of [V4, V6]) {
      for (const name of ['Name', 'State', 'Nothing'])
        properties.push(
          await c.call(path, 'org.freedesktop.DBus.Properties', 'Get', 'ss', [
            'org.keepalived.Vrrp1.Instance',
            name,
          ]),
        );
      properties.push(
        await c.call(path, 'org.freedesktop.DBus.Properties', 'GetAll', 's', [
          'org.keepalived.Vrrp1.Instance',
        ]),
      );
    }
    properties.push(
      await c.call(V4, 'org.freedesktop.DBus.Properties', 'Get', 'ss', ['org.keepalived.Vrrp1.Vrrp', 'Name']),
    );

    const methods: string[] = [];
    const dumps: string[] = [];
    for (const [m, file] of [
      ['PrintData', 'keepalived.data'],
      ['PrintStats', 'keepalived.stats'],
      ['PrintStatsClear', 'keepalived.stats'],
    ] as const) {
      methods.push(await c.call(VRRP_PATH, 'org.keepalived.Vrrp1.Vrrp', m));
      // the file is there when the reply arrives
      dumps.push(`${m}: ${file} ${existsSync(join(d.files.tmpDir, file)) ? 'written' : 'missing'}`);
      rmSync(join(d.files.tmpDir, file), { force: true });
    }
    const garpMark = d.mark();
    methods.push(await c.call(V4, 'org.keepalived.Vrrp1.Instance', 'SendGarp'));
    await d.waitForLog(/Sending garps on VI_1 on DBus request/, 5000, garpMark);
    await d.waitForLog(
      /\(VI_1\) Sending\/queueing gratuitous ARPs on eth0 for 10\.9\.0\.100/,
      5000,
      garpMark,
    );
    methods.push(
      await c.call(VRRP_PATH, 'org.keepalived.Vrrp1.Vrrp', 'CreateInstance', 'ssuu', ['VI_9', 'eth0', 9, 4]),
      await c.call(VRRP_PATH, 'org.keepalived.Vrrp1.Vrrp', 'PrintData', 's', ['x']),
      await c.call(V4, 'org.keepalived.Vrrp1.Vrrp', 'PrintData'),
      await c.call(
        '/org/keepalived/Vrrp1/Instance/eth0/53/IPv4',
        'org.keepalived.Vrrp1.Instance',
        'SendGarp',
      ),
      await c.call(V6, 'org.freedesktop.DBus.Peer', 'Ping'),
    );

    // A failover: eth0 down (both FAULT), up again (BACKUP, then MASTER by the master-down timer).
    let mark = c.signals.length;
    lab.setLink({ ns: member.ns }, 'eth0', false);
    await waitForSignals(c, mark, [status(V4, 3), status(V6, 3)], 5000);
    lab.setLink({ ns: member.ns }, 'eth0', true);
    await waitForSignals(c, mark, [status(V4, 2), status(V6, 2)], 15_000);
    const failover = lines(c.since(mark));

    mark = c.signals.length;
    const reloadReply = await c.call(VRRP_PATH, 'org.keepalived.Vrrp1.Vrrp', 'ReloadConfig');
    await waitForSignals(c, mark, [`${VRRP_PATH} VrrpReloaded []`], 10_000);
    await sleep(1000); // any state signal a reload would send
    const reload = [reloadReply, ...lines(c.since(mark))];

    mark = c.signals.length;
    await d.stop('SIGTERM', 15_000);
    await waitForSignals(c, mark, [`${VRRP_PATH} VrrpStopped []`], 3000).catch(() => undefined);
    const stop = lines(c.since(mark));
    return { start, tree, properties, methods, failover, reload, stop, dumps };
  } finally {
    c.close();
  }
}

describe('the daemon on DBus (dbus-daemon, gdbus)', () => {
  test('org.keepalived.Vrrp1: the objects, properties, methods and signals of keepalived 2.2.7', () =>
    withLab('dbus', async (lab) => {
      const [a] = lab.lan(['a']);
      assert.ok(a);
      lab.addAddress(a, '10.9.0.1/24');
      lab.addAddress(a, '2001:db8::1/64');
      const address = await startBus(lab, a.ns);
      const saved = process.env['DBUS_SYSTEM_BUS_ADDRESS'];
      process.env['DBUS_SYSTEM_BUS_ADDRESS'] = address;
      try {
        const theirs = await runOne(lab, a, address, 'keepalived');
        // The record is what keepalived does, in its own right (the test can fail on it alone).
        assert.deepEqual(theirs.start.slice(0, 3), [
          `${VRRP_PATH} VrrpStarted []`,
          status(V4, 1),
          status(V6, 1),
        ]);
        assert.deepEqual(theirs.stop.slice(-1), [`${VRRP_PATH} VrrpStopped []`]);
        assert.ok(
          theirs.dumps.every((l) => l.endsWith(' written')),
          theirs.dumps.join(', '),
        );
        const ours = await runOne(lab, a, address, 'ours');
        for (const key of Object.keys(theirs) as (keyof DbusRecord)[]) {
          // Two instances' signals of one moment may leave in either order: each object's own order counts.
          const order = SIGNAL_RECORDS.includes(key) ? byObject : (l: string[]) => l;
          assert.deepEqual(order(ours[key]), order(theirs[key]), `${key} differs from keepalived 2.2.7's`);
        }
      } finally {
        if (saved === undefined) delete process.env['DBUS_SYSTEM_BUS_ADDRESS'];
        else process.env['DBUS_SYSTEM_BUS_ADDRESS'] = saved;
      }
    }));
});
