// The name of each instance's VMAC when `use_vmac` gives none, as keepalived 2.2.7/2.4.3 picks it
// (vrrp.c create_vmac_name): `PREFIX.VRID` (vmac_prefix, default "vrrp"), the prefix cut so the name fits
// IFNAMSIZ (15 characters); when that name is taken by another instance's VMAC or by an interface the
// configuration names, `PREFIXn.VRID` with n = 1, 2, ... (IPv6 instances try 6 first, then 1, 2, ...,
// skipping 6). Instances are named in configuration order, after every name use_vmac gives. Pure.

/** Longest interface name the kernel takes (IFNAMSIZ less the NUL). */
const MAX_IFNAME = 15;

/** `prefix` + `num` + `.vrid`, the prefix shortened as keepalived does when the whole is too long. */
function candidate(prefix: string, num: number | undefined, vrid: number): string {
  const tail = `${num ?? ''}.${vrid}`;
  const keep = Math.max(0, MAX_IFNAME - tail.length);
  return prefix.slice(0, keep) + tail;
}

/** The numbers keepalived appends, in order, after the plain name is taken. */
function* suffixes(family: 4 | 6): Generator<number> {
  if (family === 6) yield 6;
  for (let n = 1; n < 1000; n++) if (family === 4 || n !== 6) yield n;
}

export interface VmacRequest {
  /** The name use_vmac gives, if any. */
  name?: string;
  vrid: number;
  family: 4 | 6;
}

/** Hands out names in keepalived's order: each new name is taken from then on. */
export class VmacNamer {
  private readonly used: Set<string>;

  /** `taken`: interface names the configuration uses and the names use_vmac gives. */
  constructor(taken: Iterable<string> = []) {
    this.used = new Set(taken);
  }

  /** The first free `PREFIX.VRID`, else `PREFIXn.VRID` (create_vmac_name). */
  next(prefix: string, vrid: number, family: 4 | 6): string {
    let name = candidate(prefix, undefined, vrid);
    if (this.used.has(name)) {
      for (const n of suffixes(family)) {
        name = candidate(prefix, n, vrid);
        if (!this.used.has(name)) break;
      }
    }
    this.used.add(name);
    return name;
  }
}

/**
 * One name per request (undefined entries stay undefined: no VMAC). `taken` holds interface names the
 * configuration already uses (instance and tracked interfaces), which keepalived knows before naming.
 */
export function assignVmacNames(
  requests: readonly (VmacRequest | undefined)[],
  prefix: string,
  taken: Iterable<string> = [],
): (string | undefined)[] {
  const namer = new VmacNamer([
    ...taken,
    ...requests.flatMap((r) => (r?.name !== undefined ? [r.name] : [])),
  ]);
  return requests.map((r) =>
    r === undefined ? undefined : (r.name ?? namer.next(prefix, r.vrid, r.family)),
  );
}
