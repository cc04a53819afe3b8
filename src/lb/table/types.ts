// The load-balancing table, as a data plane is asked to hold it: virtual services, each with its real
// servers ("destinations", the kernel's word). Pure data: lb/table computes it from the configuration and
// the checkers' verdicts and diffs two of them; lb/ipvs and lb/nftables realise the changes in the kernel.
// Names follow IPVS (linux/ip_vs.h) because keepalived's semantics are IPVS's; nftables maps onto them.
import type {
  LvsMethod,
  LvsProtocol,
  LvsScheduler,
  LvsSchedFlag,
  TunnelOptions,
} from '../../config/model/lvs/types.js';

export type LbFamily = 'inet' | 'inet6';

/** What identifies a virtual service in the kernel: protocol + address + port, or a firewall mark. */
export type ServiceKey =
  | { kind: 'address'; family: LbFamily; protocol: LvsProtocol; address: string; port: number }
  | { kind: 'fwmark'; family: LbFamily; fwmark: number };

/** A virtual service's own attributes (everything but its destinations). */
export interface ServiceAttributes {
  key: ServiceKey;
  scheduler: LvsScheduler;
  /** Scheduler flags as keepalived writes them (flag-1..3, sh-port, sh-fallback, mh-port, mh-fallback). */
  schedFlags: readonly LvsSchedFlag[];
  /** Present when the service is persistent. */
  persistence?: {
    timeoutS: number;
    /** IPv4: a netmask ('255.255.255.255'); IPv6: a prefix length (128). */
    granularity: string;
  };
  /** `persistence_engine` (IPVS: e.g. 'sip'). */
  persistenceEngine?: string;
  /** `ops`: one-packet scheduling (UDP). */
  onePacket: boolean;
}

/** A real server of a service, as the kernel holds it. */
export interface Destination {
  family: LbFamily;
  address: string;
  /** For fwmark services: the port packets are sent to (0: the packet's own). */
  port: number;
  method: LvsMethod;
  /** TUN only. */
  tunnel?: TunnelOptions;
  /** 0 keeps the destination but sends it no new connections (inhibit_on_failure, sorry server inhibit). */
  weight: number;
  /** Connection thresholds, 0 for none. */
  upperThreshold: number;
  lowerThreshold: number;
}

export interface Service extends ServiceAttributes {
  destinations: readonly Destination[];
}

/** The whole table. Services and destinations are in a stable order (configuration order). */
export interface LbTable {
  services: readonly Service[];
}

/** One step from one table to the next, in the order a data plane must apply them. */
export type LbChange =
  | { op: 'add-service'; service: ServiceAttributes }
  | { op: 'edit-service'; service: ServiceAttributes }
  | { op: 'delete-service'; key: ServiceKey }
  | { op: 'add-destination'; service: ServiceKey; destination: Destination }
  | { op: 'edit-destination'; service: ServiceKey; destination: Destination }
  | {
      op: 'delete-destination';
      service: ServiceKey;
      destination: Pick<Destination, 'family' | 'address' | 'port'>;
    };

/**
 * A kernel data plane (IPVS or nftables). `apply` realises `changes`, which lead from the table it holds
 * to `next`, as one transaction where the kernel allows it; it never disturbs what the changes do not
 * name. A failed apply rejects with an Error saying which change failed and why.
 */
export interface DataPlane {
  readonly name: 'ipvs' | 'nftables';
  apply(changes: readonly LbChange[], next: LbTable): Promise<void>;
  /** Removes every service this plane holds (lvs_flush at start, lvs_flush_onstop at stop). */
  flush(): Promise<void>;
  close(): void;
}
