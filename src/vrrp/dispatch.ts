// Which instance an advert is for when several run the same VRID on one interface: keepalived allows it
// for unicast instances whose peers differ, and tells them apart by the advert's source (2.2.7,
// vrrp_dispatcher_read): first the instance that last heard from that address, then the first whose
// unicast peers include it; an advert from anyone else is for none of them. The engine and the wire side
// both dispatch with this one rule.

/** What the rule looks at in a candidate instance. */
export interface DispatchView {
  unicastPeers: readonly string[];
  /** Source of the last advert dispatched to it (keepalived's pkt_saddr). */
  lastSource: string | undefined;
}

/** The instance among `candidates` (same interface, family and VRID) an advert from `source` is for. */
export function dispatchBySource<T>(
  candidates: readonly T[],
  source: string | undefined,
  view: (candidate: T) => DispatchView,
): T | undefined {
  if (candidates.length <= 1 || source === undefined) return candidates[0];
  return (
    candidates.find((c) => view(c).lastSource === source) ??
    candidates.find((c) => view(c).unicastPeers.includes(source))
  );
}
