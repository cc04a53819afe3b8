// What a reload may not change. keepalived's parent reads global_defs again at each SIGHUP and, when one
// of these settings differs from the running one, logs "Cannot change ... at a reload - please restart
// keepalived" for each and keeps the running configuration: its children never hear of that reload
// (main.c reload_config and do_reload, 2.2.7 and 2.4.3 alike). Pure.
import type { GlobalDefs } from '../../config/model/global/global.js';

type Limited = Pick<
  GlobalDefs,
  | 'netNamespace'
  | 'netNamespaceIpvs'
  | 'instanceName'
  | 'nftables'
  | 'vrrpIptables'
  | 'nftablesIpvs'
  | 'tmpConfigDirectory'
  | 'disableLocalIgmp'
>;

/** The VRRP firewall's table as keepalived's parent holds it: `nftables [NAME]`, or `vrrp_iptables`
 * (which that build turns into nftables' default table). The table an instance implies is the VRRP
 * child's business and never the parent's. */
function vrrpTable(g: Limited): string | undefined {
  if (g.nftables !== undefined) return g.nftables === '' ? 'keepalived' : g.nftables;
  return g.vrrpIptables !== undefined ? 'keepalived' : undefined;
}

function ipvsTable(g: Limited): string | undefined {
  if (g.nftablesIpvs === undefined) return undefined;
  return g.nftablesIpvs === '' ? 'keepalived_ipvs' : g.nftablesIpvs;
}

/**
 * The settings a reload from `before` to `after` would change but cannot, in keepalived's words and
 * order; empty when the reload may go on. `-s NAME` on the command line fixes the namespace of both.
 */
export function unreloadableChanges(
  before: Limited,
  after: Limited,
  commandLineNamespace?: string,
): string[] {
  const namespace = (g: Limited): string | undefined => commandLineNamespace ?? g.netNamespace;
  const checks: [string, (g: Limited) => string | boolean | undefined][] = [
    ['network namespace', namespace],
    ['IPVS network namespace', (g) => g.netNamespaceIpvs],
    ['instance name', (g) => g.instanceName],
    ['nftables table name', vrrpTable],
    ['IPVS nftables table name', ipvsTable],
    ['config_directory', (g) => g.tmpConfigDirectory],
    ['disable_local_igmp', (g) => g.disableLocalIgmp],
  ];
  return checks.filter(([, value]) => value(before) !== value(after)).map(([what]) => what);
}
