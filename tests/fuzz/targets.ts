// The fuzz targets: each decoder that reads bytes or text from outside (the wire, the kernel, a server,
// a config file), with the invariant it must keep: it never throws, and what it returns is well-formed.
// Seeds are well-formed messages built by our own encoders (and the config corpus); the kept corpus
// (tests/fuzz/corpus/<target>/) holds what earlier runs found that covers more.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { decodeControl, encodeControl, BfdState } from '../../src/bfd/packet.js';
import { decodeDnsHeader, encodeDnsQuery } from '../../src/check/probes/dns-message.js';
import { HttpResponseReader } from '../../src/check/probes/http-response.js';
import { loadModel } from '../../src/config/index.js';
import { decodeIpvsReply } from '../../src/lb/ipvs/messages.js';
import {
  decodeAck,
  decodeMessages,
  encodeMessage,
  encodeAttrs,
  NLMSG_ERROR,
} from '../../src/net/netlink/codec.js';
import { decodeFamily, decodeGenlMessage, encodeGenlHeader } from '../../src/net/netlink/genetlink.js';
import {
  addAddressRequest,
  addRouteRequest,
  addRuleRequest,
  createMacvlanRequest,
  decodeRtnlMessage,
  RTM_NEWADDR,
  RTM_NEWLINK,
  RTM_NEWROUTE,
  RTM_NEWRULE,
} from '../../src/net/netlink/rtnl-messages.js';
import { DROP_COUNTER } from '../../src/vrrp/engine/stats.js';
import { instanceSpec, type InstanceSpec } from '../../src/vrrp/engine/spec.js';
import type { HmacConfig } from '../../src/vrrp/wire/auth-hmac.js';
import { newHmacSendState } from '../../src/vrrp/wire/auth-hmac.js';
import { assembleAdvert, defaultWireSettings } from '../../src/vrrp/wire/datagram.js';
import { AdvertEndpoint } from '../../src/vrrp/wire/endpoint.js';
import { MemoryHost } from '../unit/config/memory-host.js';
import type { FuzzTarget } from './engine.js';

/** The repository's tests/ directory (this file runs from dist/tests/fuzz/). */
const TESTS_DIR = new URL('../../../tests/', import.meta.url).pathname;

function bug(message: string): never {
  throw new Error(`invariant broken: ${message}`);
}

// ---- VRRP -------------------------------------------------------------------------------------------

const HMAC: HmacConfig = {
  keys: [{ id: 1, key: new TextEncoder().encode('kts-fuzz-hmac-key-0123456789abcdef') }],
  activeKeyId: 1,
  antiReplay: 'time',
  timeWindowS: 5,
  mode: 'enforce',
};
const NOW_MS = 1_800_000_000_000;

/** Instances covering each receive path: v2 PASS and AH, v3 with auth_hmac, unicast, IPv6. */
const VRRP_INSTANCES: { spec: InstanceSpec; hmac?: HmacConfig }[] = [
  {
    spec: instanceSpec({
      name: 'V2_PASS',
      vrid: 1,
      authType: 'pass',
      authPass: 'secret',
      addresses: [{ address: '10.0.0.100', prefix: 24 }],
    }),
  },
  {
    spec: instanceSpec({
      name: 'V2_AH',
      vrid: 2,
      authType: 'ah',
      authPass: 'ahkey',
      addresses: [{ address: '10.0.0.101', prefix: 24 }],
    }),
  },
  {
    spec: instanceSpec({
      name: 'V3_HMAC',
      vrid: 3,
      version: 3,
      addresses: [{ address: '10.0.0.102', prefix: 24 }],
    }),
    hmac: HMAC,
  },
  {
    spec: instanceSpec({
      name: 'V3_UNICAST',
      vrid: 4,
      version: 3,
      unicastPeers: ['10.0.0.2'],
      addresses: [
        { address: '10.0.0.103', prefix: 24 },
        { address: '10.0.0.104', prefix: 24 },
      ],
    }),
  },
  {
    spec: instanceSpec({
      name: 'V3_6',
      vrid: 5,
      version: 3,
      family: 6,
      addresses: [
        { address: 'fe80::100', prefix: 64 },
        { address: '2001:db8::100', prefix: 64 },
      ],
    }),
  },
  {
    spec: instanceSpec({
      name: 'V3_6_HMAC',
      vrid: 3,
      version: 3,
      family: 6,
      addresses: [{ address: '2001:db8::102', prefix: 64 }],
    }),
    hmac: HMAC,
  },
];

function vrrpEndpoint(): AdvertEndpoint {
  const e = new AdvertEndpoint();
  e.configure(
    VRRP_INSTANCES.map(({ spec, hmac }) => ({
      spec,
      settings: defaultWireSettings(spec.family),
      receiveOn: [spec.interface],
      ...(hmac ? { hmac } : {}),
    })),
    (family) => (family === 4 ? ['10.0.0.1'] : ['fe80::1']),
  );
  return e;
}

function vrrpSeeds(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const { spec, hmac } of VRRP_INSTANCES) {
    const unicast = spec.unicastPeers.length > 0;
    for (const priority of [0, 100, 255]) {
      const d = assembleAdvert(
        {
          version: spec.version,
          vrid: spec.vrid,
          priority,
          intervalCs: spec.advertIntervalCs,
          addresses: spec.addresses.map((a) => a.address),
          authType: spec.authType,
        },
        {
          family: spec.family,
          source: spec.family === 4 ? '10.0.0.2' : 'fe80::2',
          destination: unicast ? '10.0.0.1' : spec.family === 4 ? '224.0.0.18' : 'ff02::12',
          unicast,
          settings: defaultWireSettings(spec.family),
          ...(spec.authPass !== undefined ? { authPass: spec.authPass } : {}),
          ipId: 1,
          ...(spec.authType === 'ah' ? { ahSequence: priority + 1 } : {}),
          ...(hmac ? { hmac: { config: hmac, state: newHmacSendState(), nowRealtimeMs: NOW_MS } } : {}),
        },
      );
      out.push(d.bytes);
    }
  }
  return out;
}

const KNOWN_REASONS = new Set(Object.keys(DROP_COUNTER));

/** Each input goes in as an IPv4 packet and as an IPv6 payload, to a router running every kind of instance. */
function runVrrp(data: Uint8Array): void {
  const e = vrrpEndpoint();
  const events = [
    ...e.receive({ ifname: 'eth0', family: 4, data }, NOW_MS),
    ...e.receive(
      { ifname: 'eth0', family: 6, data, source: 'fe80::2', destination: 'ff02::12', hopLimit: 255 },
      NOW_MS,
    ),
  ];
  for (const ev of events) {
    if (ev.type === 'advert-dropped') {
      if (!KNOWN_REASONS.has(ev.reason)) bug(`unknown drop reason ${ev.reason}`);
    } else if (ev.type === 'advert') {
      const a = ev.received.advert;
      if (!VRRP_INSTANCES.some((i) => i.spec.vrid === a.vrid && i.spec.family === ev.received.family))
        bug(`accepted an advert for vrid ${a.vrid}, which no instance runs`);
      if (a.priority < 0 || a.priority > 255) bug(`priority ${a.priority}`);
    } else bug(`unexpected event ${ev.type}`);
  }
}

// ---- BFD --------------------------------------------------------------------------------------------

function bfdSeeds(): Uint8Array[] {
  const base = {
    version: 1,
    diag: 0,
    state: BfdState.Up,
    poll: false,
    final: false,
    controlPlaneIndependent: false,
    authPresent: false,
    demand: false,
    multipoint: false,
    detectMult: 3,
    myDiscriminator: 1,
    yourDiscriminator: 2,
    desiredMinTxUs: 1_000_000,
    requiredMinRxUs: 1_000_000,
    requiredMinEchoRxUs: 0,
  };
  return [
    encodeControl(base),
    encodeControl({ ...base, state: BfdState.Down, yourDiscriminator: 0 }),
    encodeControl({ ...base, poll: true }),
    encodeControl({ ...base, authPresent: true, auth: Uint8Array.from([1, 6, 1, 0x61, 0x62, 0x63]) }),
  ];
}

function runBfd(data: Uint8Array): void {
  const r = decodeControl(data);
  if (!r.ok) return;
  // What decodes must encode back to the same header bytes.
  const again = encodeControl(r.packet);
  const decodedAgain = decodeControl(again);
  if (!decodedAgain.ok) bug(`re-encoded packet does not decode: ${decodedAgain.reason}`);
  // (Without authentication the Length field may exceed 24; the encoder writes 24.)
  for (let i = 0; i < 24; i++)
    if (again[i] !== data[i] && (i !== 3 || r.packet.authPresent))
      bug(`byte ${i} differs after a round trip`);
}

// ---- DNS --------------------------------------------------------------------------------------------

function runDns(data: Uint8Array): void {
  const h = decodeDnsHeader(data);
  if (h !== undefined && (h.rcode < 0 || h.rcode > 15 || h.id > 0xffff || h.answers > 0xffff))
    bug('header field out of range');
  // The query name comes from the config: any text either encodes or is refused with an Error.
  const name = Buffer.from(data).toString('latin1');
  try {
    const q = encodeDnsQuery(h?.id ?? 0, name, 'A');
    if (q.length > 12 + name.length + 2 + 4) bug('query longer than its name allows');
  } catch (e) {
    if (!(e instanceof Error) || !/label too long/.test(e.message)) throw e;
  }
}

// ---- HTTP -------------------------------------------------------------------------------------------

/** The first byte picks how the rest arrives in chunks (1 to 256 bytes each) and the body limit. */
function runHttp(data: Uint8Array): void {
  if (data.length === 0) return;
  const chunkSize = data[0]! + 1;
  const maxBody = 1 + (data[0]! & 0x3f) * 16;
  const reader = new HttpResponseReader(maxBody);
  const reply = Buffer.from(data.subarray(1));
  let outcome;
  for (let at = 0; at < reply.length && outcome === undefined; at += chunkSize)
    outcome = reader.push(reply.subarray(at, at + chunkSize));
  outcome ??= reader.end();
  if (outcome.ok) {
    const { statusCode, body } = outcome.reply;
    if (!(statusCode >= 0 && statusCode <= 999)) bug(`status ${statusCode}`);
    if (body.length > reply.length) bug('body longer than the reply');
  } else if (typeof outcome.error !== 'string' || outcome.error === '') bug('failure without a reason');
}

function httpSeeds(): Uint8Array[] {
  const replies = [
    'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello',
    'HTTP/1.0 404 Not Found\r\nServer: x\r\n\r\nnot here',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
    'HTTP/1.1 301 Moved\r\nLocation: /x\r\ncontent-length:0\r\n\r\n',
  ];
  return replies.flatMap((r) =>
    [0, 3, 200].map((first) => Buffer.concat([Buffer.from([first]), Buffer.from(r)])),
  );
}

// ---- netlink ----------------------------------------------------------------------------------------

function netlinkSeeds(): Uint8Array[] {
  const requests = [
    createMacvlanRequest({ name: 'vrrp.1', parentIndex: 2, mac: '00:00:5e:00:01:01', mode: 'private' }),
    addAddressRequest({ ifindex: 2, address: '10.0.0.100/24', label: 'eth0:vip', broadcast: '10.0.0.255' }),
    addAddressRequest({ ifindex: 2, address: '2001:db8::1/64', flags: 2, preferredLft: 0, validLft: 100 }),
    addRouteRequest({ dst: '10.1.0.0/16', gateway: '10.0.0.254', oif: 2, table: 100, metrics: { 2: 1400 } }),
    addRouteRequest({
      dst: '2001:db8:1::/64',
      nexthops: [{ gateway: 'fe80::1', oif: 2, weight: 2 }, { oif: 3 }],
    }),
    addRuleRequest({
      from: '10.0.0.0/8',
      table: 100,
      priority: 10,
      iif: 'eth0',
      sport: { start: 1, end: 2 },
    }),
  ];
  const typeOf = [RTM_NEWLINK, RTM_NEWADDR, RTM_NEWADDR, RTM_NEWROUTE, RTM_NEWROUTE, RTM_NEWRULE];
  const out: Uint8Array[] = requests.map((r, i) =>
    encodeMessage({ type: typeOf[i]!, flags: 0, seq: 1, pid: 0, payload: r.payload }),
  );
  // A generic netlink family answer and an error ack.
  const genl = Buffer.concat([
    encodeGenlHeader({ cmd: 1, version: 2 }),
    encodeAttrs([
      { type: 1, value: Buffer.from([0x20, 0]) },
      { type: 2, value: Buffer.from('IPVS\0') },
    ]),
  ]);
  out.push(encodeMessage({ type: 0x10, flags: 0, seq: 2, pid: 0, payload: genl }));
  const ack = Buffer.alloc(20);
  ack.writeInt32LE(-17, 0);
  out.push(encodeMessage({ type: NLMSG_ERROR, flags: 0, seq: 3, pid: 0, payload: ack }));
  out.push(Buffer.concat(out.slice(0, 3)));
  return out;
}

function runNetlink(data: Uint8Array): void {
  const r = decodeMessages(Buffer.from(data));
  if (!r.ok) return;
  for (const msg of r.value) {
    decodeRtnlMessage(msg);
    if (msg.type === NLMSG_ERROR) decodeAck(msg);
    const g = decodeGenlMessage(msg);
    if (g.ok) {
      decodeFamily(g.value);
      decodeIpvsReply(g.value);
      decodeIpvsReply(g.value, 10);
    }
  }
}

// ---- config -----------------------------------------------------------------------------------------

const MAIN_CONF = '/etc/keepalived/keepalived.conf';

function configSeeds(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const dir of ['corpus/vrrp', 'corpus/lvs']) {
    const abs = join(TESTS_DIR, dir);
    for (const name of readdirSync(abs).sort()) {
      const p = join(abs, name);
      if (statSync(p).isFile() && name.endsWith('.conf')) out.push(readFileSync(p));
    }
  }
  return out;
}

/** The input is the main config; an include file and a few environment variables are there to be found. */
function runConfig(data: Uint8Array): void {
  const host = new MemoryHost(
    {
      [MAIN_CONF]: Buffer.from(data).toString('utf8'),
      '/etc/keepalived/inc.conf': 'vrrp_instance INC {\n  interface eth0\n  virtual_router_id 9\n}\n',
    },
    { env: { KTS: 'eth0' } },
  );
  const { diagnostics } = loadModel(MAIN_CONF, host, {
    hostFacts: { interfaces: new Set(['eth0', 'eth1']) },
  });
  for (const d of diagnostics) {
    if (typeof d.file !== 'string' || d.file === '') bug(`diagnostic without a file: ${d.message}`);
    if (!Number.isInteger(d.line) || d.line < 0)
      bug(`diagnostic without a line: ${d.file}:${d.line} ${d.message}`);
  }
}

const CONFIG_WORDS = [
  'vrrp_instance X {\n',
  'virtual_server 10.0.0.1 80 {\n',
  'real_server 10.0.0.2 80 {\n',
  'HTTP_GET {\n',
  'url {\n',
  'global_defs {\n',
  'virtual_ipaddress {\n',
  'vrrp_sync_group G {\n',
  '}\n',
  '{',
  '}',
  '\n',
  ' ',
  '"',
  '#',
  '!',
  '\\\n',
  'include /etc/keepalived/inc.conf\n',
  'include /etc/keepalived/*.conf\n',
  'include /etc/keepalived/keepalived.conf\n',
  '$X=1\n',
  '$X',
  '${KTS}',
  '${_ENV KTS}',
  '${_RANDOM 1 9}',
  '@^',
  '@',
  '~SEQ(i,1,3)',
  '~SEQ(i,1,100000000)',
  '~LST(i,a,b)',
  '$i',
  'interface eth0\n',
  'virtual_router_id 51\n',
  'priority 255\n',
  'state MASTER\n',
  'authentication {\n',
  'auth_type AH\n',
  'auth_hmac {\n',
  'track_script {\n',
  'vrrp_script S {\n',
  'unicast_peer {\n',
  'advert_int 0.001\n',
  '10.0.0.1/24',
  'fe80::1/64',
  '4294967296',
  '-1',
  '0x',
  'ffffffff',
];

// ---- registry ---------------------------------------------------------------------------------------

export const TARGETS: readonly FuzzTarget[] = [
  {
    name: 'vrrp',
    maxLength: 1600,
    seeds: vrrpSeeds,
    run: runVrrp,
  },
  { name: 'bfd', maxLength: 128, seeds: bfdSeeds, run: runBfd },
  {
    name: 'dns',
    maxLength: 600,
    dictionary: ['.', '..', 'a'.repeat(63), 'a'.repeat(64)],
    seeds: () => [encodeDnsQuery(7, 'example.test', 'A'), Buffer.from('www.example.test.')],
    run: runDns,
  },
  {
    name: 'http',
    maxLength: 4096,
    dictionary: ['\r\n', '\r\n\r\n', 'Content-Length: ', 'content-length:', '4294967296', 'HTTP/1.1 ', '200'],
    seeds: httpSeeds,
    run: runHttp,
  },
  { name: 'netlink', maxLength: 2048, seeds: netlinkSeeds, run: runNetlink },
  { name: 'config', maxLength: 8192, dictionary: CONFIG_WORDS, seeds: configSeeds, run: runConfig },
];

export function targetNamed(name: string): FuzzTarget {
  const t = TARGETS.find((x) => x.name === name);
  if (!t) throw new Error(`no fuzz target ${name}; targets: ${TARGETS.map((x) => x.name).join(', ')}`);
  return t;
}

/** tests/fuzz/corpus/<target>/: inputs earlier runs found, one file each (named by their SHA-1). */
export function corpusDir(target: string): string {
  return join(TESTS_DIR, 'fuzz', 'corpus', target);
}

export function readCorpus(target: string): Uint8Array[] {
  let names: string[];
  try {
    names = readdirSync(corpusDir(target)).sort();
  } catch {
    return [];
  }
  return names.map((n) => readFileSync(join(corpusDir(target), n)));
}
