// Runs inside a test namespace (`ip netns exec NS node rtnetlink.agent.js`) and drives the rtnetlink client
// there. Reads one JSON command per stdin line ({ id, op, args }) and answers one JSON line per command:
// { id, ok: true, result } or { id, ok: false, code, message }. After `subscribe`, every notification is
// printed as { event }. Exits when stdin closes, or after a safety timeout.
import { createInterface } from 'node:readline';
import { Rtnetlink, subscribe, type Subscription } from '../../src/net/netlink/rtnetlink.js';
import { applyInterfaceSettings, vmacSettings } from '../../src/net/sysctl.js';
import { refuseOutsideSuiteNamespace } from '../helpers/namespace-guard.js';

refuseOutsideSuiteNamespace('rtnetlink.agent.js');
const say = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value)}\n`);
const giveUp = setTimeout(() => process.exit(3), 60_000);
const client = Rtnetlink.open();
let subscription: Subscription | undefined;

// Every command's args are passed straight to the client method of the same name.
const ops: Record<string, (args: never) => Promise<unknown>> = {
  listLinks: () => client.listLinks(),
  listAddresses: () => client.listAddresses(),
  listRoutes: () => client.listRoutes(),
  listRules: () => client.listRules(),
  getLink: (a: { dev: string }) => client.getLink(a.dev),
  addAddress: (a: Parameters<Rtnetlink['addAddress']>[0]) => client.addAddress(a),
  deleteAddress: (a: Parameters<Rtnetlink['deleteAddress']>[0]) => client.deleteAddress(a),
  addRoute: (a: Parameters<Rtnetlink['addRoute']>[0]) => client.addRoute(a),
  deleteRoute: (a: Parameters<Rtnetlink['deleteRoute']>[0]) => client.deleteRoute(a),
  addRule: (a: Parameters<Rtnetlink['addRule']>[0]) => client.addRule(a),
  deleteRule: (a: Parameters<Rtnetlink['deleteRule']>[0]) => client.deleteRule(a),
  createMacvlan: (a: Parameters<Rtnetlink['createMacvlan']>[0]) => client.createMacvlan(a),
  deleteLink: (a: { dev: string }) => client.deleteLink(a.dev),
  setLinkUp: (a: { dev: string; up: boolean }) => client.setLinkUp(a.dev, a.up),
  vmacSysctls: (a: { vmac: string; parent: string }) =>
    applyInterfaceSettings(vmacSettings(a.vmac, a.parent)),
  subscribe: async () => {
    subscription ??= subscribe((event) => say({ event }), { keepAlive: false });
    return true;
  },
};

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const { id, op, args } = JSON.parse(line) as { id: number; op: string; args?: unknown };
  const fn = ops[op];
  if (!fn) {
    say({ id, ok: false, code: 'EBADOP', message: op });
    return;
  }
  inFlight++;
  fn(args as never)
    .finally(() => {
      inFlight--;
      if (inFlight === 0 && inputClosed) shutDown();
    })
    .then(
      (result) => say({ id, ok: true, result: result ?? null }),
      (error: Error & { code?: string }) =>
        say({ id, ok: false, code: error.code ?? 'ERROR', message: error.message }),
    );
});
// Answers still owed when stdin closes are sent before shutting down.
let inFlight = 0;
let inputClosed = false;
const shutDown = (): void => {
  subscription?.close();
  client.close();
  clearTimeout(giveUp);
};
lines.on('close', () => {
  inputClosed = true;
  if (inFlight === 0) shutDown();
});
say('ready');
