// The packets the injector sends to keepalived for a fixture's received adverts: the fixture's advert
// (source, priority, interval, version, auth type, TTL / hop limit) as the other router would send it, and
// the malformed packets behind `advert-dropped` events (wrong length, bad checksum, wrong type).
// IPv4 packets are whole (the injector sends them with IP_HDRINCL, so any source and TTL); IPv6 ones are the
// VRRP payload with its checksum (the injector gives the source and hop limit to the kernel).
import { buildIpv4Packet, encodeAdvert } from '../../src/vrrp/wire/packet.js';
import type { Advert, IpFamily } from '../../src/vrrp/advert.js';
import type { EngineSpec, InstanceSpec } from '../../src/vrrp/engine/spec.js';
import { shorthandAdvert, type Json } from './vrrp-fixture.js';

/** One packet for the injector agent. */
export interface InjectedPacket {
  ifname: string;
  family: IpFamily;
  /** IPv4: the whole IP packet; IPv6: the VRRP payload. */
  bytes: Uint8Array;
  destination: string;
  /** IPv6 only (IPv4 carries it in its header). */
  source?: string;
  hopLimit?: number;
  /** What the packet is, for the evidence. */
  summary: string;
}

const GROUP = { 4: '224.0.0.18', 6: 'ff02::12' } as const;

/** Unicast instances hear adverts sent to their own address; the others on the multicast group. */
function destinationFor(inst: InstanceSpec): string {
  if (inst.unicastPeers.length) {
    if (!inst.sourceAddress) throw new Error(`${inst.name}: unicast without sourceAddress`);
    return inst.sourceAddress;
  }
  return GROUP[inst.family];
}

function build(
  advert: Advert,
  inst: InstanceSpec,
  source: string,
  ttl: number,
  tamper?: (pdu: Uint8Array) => Uint8Array,
): Pick<InjectedPacket, 'bytes' | 'destination' | 'source' | 'hopLimit'> {
  const destination = destinationFor(inst);
  if (inst.family === 4) {
    if (advert.authType === 'ah') throw new Error('injecting AH adverts is not supported');
    const whole = buildIpv4Packet(advert, { source, destination, ttl, authPass: inst.authPass ?? 'secret' });
    if (!tamper) return { bytes: whole, destination };
    const pdu = tamper(whole.subarray(20));
    const bytes = new Uint8Array(20 + pdu.length);
    bytes.set(whole.subarray(0, 20));
    bytes.set(pdu, 20);
    bytes[2] = bytes.length >> 8; // total length follows the tampered payload
    bytes[3] = bytes.length & 0xff;
    bytes[10] = 0; // the kernel fills the header checksum for IP_HDRINCL
    bytes[11] = 0;
    return { bytes, destination };
  }
  const pdu = encodeAdvert(advert, { family: 6, source, destination, authPass: inst.authPass });
  return { bytes: tamper ? tamper(pdu) : pdu, destination, source, hopLimit: ttl };
}

/** The packet for a fixture `advert` event (the shorthand, expanded as the replay does). */
export function advertPacket(raw: Json, spec: EngineSpec): InjectedPacket {
  const { instance: inst, advert: a, source, ttl, ifname } = shorthandAdvert(raw, spec);
  return {
    ifname,
    family: inst.family,
    ...build(a, inst, source, ttl),
    summary:
      `v${a.version} vrid ${a.vrid} prio ${a.priority} int ${a.intervalCs}cs auth ${a.authType} ` +
      `from ${source} ttl ${ttl}`,
  };
}

/** Adds `delta` to the 16-bit word at `offset` (one's complement), keeping a checksum valid after an edit. */
function adjustChecksum(pdu: Uint8Array, wordDelta: number): void {
  let sum = ((pdu[6] as number) << 8) | (pdu[7] as number);
  sum = (~sum & 0xffff) + wordDelta;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  while (sum < 0) sum += 0xffff;
  const check = ~sum & 0xffff;
  pdu[6] = check >> 8;
  pdu[7] = check & 0xff;
}

/** The malformed packet for a fixture `advert-dropped` event, sent from `source` (an injector address). */
export function droppedPacket(raw: Json, spec: EngineSpec, source: string): InjectedPacket {
  const family = raw.family as IpFamily;
  const inst = spec.instances.find(
    (i) =>
      i.interface === raw.ifname && i.family === family && (raw.vrid === undefined || i.vrid === raw.vrid),
  );
  if (!inst) throw new Error(`advert-dropped: no instance on ${String(raw.ifname)}`);
  const advert: Advert = {
    version: inst.version,
    vrid: inst.vrid,
    priority: 150,
    intervalCs: inst.advertIntervalCs,
    addresses: inst.addresses.map((a) => a.address),
    authType: inst.authType,
  };
  const reason = raw.reason as string;
  let tamper: (pdu: Uint8Array) => Uint8Array;
  if (reason === 'packet_len_err') {
    // four bytes more than the header's address count allows
    tamper = (pdu) => {
      const longer = new Uint8Array(pdu.length + 4);
      longer.set(pdu);
      return longer;
    };
  } else if (reason === 'checksum_err') {
    tamper = (pdu) => {
      const copy = Uint8Array.from(pdu);
      copy[7] = (copy[7] as number) ^ 0x5a;
      return copy;
    };
  } else if (reason === 'invalid_type_rcvd') {
    // type 2 with a checksum that still verifies: only the type is wrong
    tamper = (pdu) => {
      const copy = Uint8Array.from(pdu);
      const before = ((copy[0] as number) << 8) | (copy[1] as number);
      copy[0] = ((copy[0] as number) & 0xf0) | 2;
      const after = ((copy[0] as number) << 8) | (copy[1] as number);
      adjustChecksum(copy, after - before);
      return copy;
    };
  } else throw new Error(`advert-dropped reason ${reason}: no malformed packet for it`);
  return {
    ifname: inst.interface,
    family,
    ...build(advert, inst, source, 255, tamper),
    summary: `malformed for ${reason}: v${advert.version} vrid ${advert.vrid} from ${source}`,
  };
}
