// Model -> keepalived.conf text for the global and VRRP side. Reading the text back gives the same
// model (the round-trip property test holds us to it), so it also serves --dump-config.
import { printBfdInstance } from './bfd/bfd-instance.js';
import { inheritedInstanceDefaults } from './vrrp/finalize.js';
import { printGlobalDefs, printTopLevelGlobals } from './global/global.js';
import { printInterfaceGroups } from './global/interface-groups.js';
import { printStatusHttp } from './global/status-http.js';
import { printSsl, printVirtualServers } from './lvs/print.js';
import type { Model } from './index.js';
import { formatAddressLine } from './static/addresses.js';
import { formatRouteLine } from './static/routes.js';
import { formatRuleLine } from './static/rules.js';
import { printSyncGroup } from './vrrp/sync-group.js';
import { printVrrpInstance } from './vrrp/instance.js';
import { printTrackFile, printTrackProcess, printVrrpScript } from './vrrp/script.js';

function block(keyword: string, lines: string[]): string[] {
  return [`${keyword} {`, ...lines.map((l) => `  ${l}`), '}'];
}

/** Every block of the global and VRRP side, in keepalived's customary order. */
export function printVrrpSide(m: Model): string[] {
  const out: string[] = [];
  out.push(...printTopLevelGlobals(m.global));
  const global = printGlobalDefs(m.global);
  if (global.length > 0) out.push(...block('global_defs', global));
  out.push(...printInterfaceGroups(m));
  if (m.statusHttp !== undefined) out.push(...printStatusHttp(m.statusHttp));
  if (m.staticAddresses.length > 0)
    out.push(...block('static_ipaddress', m.staticAddresses.map(formatAddressLine)));
  if (m.staticRoutes.length > 0) out.push(...block('static_routes', m.staticRoutes.map(formatRouteLine)));
  if (m.staticRules.length > 0) out.push(...block('static_rules', m.staticRules.map(formatRuleLine)));
  for (const s of m.vrrpScripts) out.push(...printVrrpScript(s));
  for (const f of m.trackFiles) out.push(...printTrackFile(f));
  for (const p of m.trackProcesses) out.push(...printTrackProcess(p));
  for (const b of m.bfd) out.push(...printBfdInstance(b));
  const inherited = inheritedInstanceDefaults(m.global);
  for (const i of m.instances) out.push(...printVrrpInstance(i, inherited));
  for (const g of m.syncGroups) out.push(...printSyncGroup(g));
  return out;
}

/** The whole config text: global and VRRP side, then the LVS side (lvs/print.ts). */
export function printModel(m: Model): string {
  const vrrp = printVrrpSide(m);
  const ssl = m.ssl ? printSsl(m.ssl) : '';
  return (
    (vrrp.length > 0 ? vrrp.join('\n') + '\n' : '') +
    ssl +
    printVirtualServers(m.virtualServerGroups, m.virtualServers)
  );
}
