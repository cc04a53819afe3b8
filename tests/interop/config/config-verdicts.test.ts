// Test lane: shared (asserts outcomes, not timing: runs beside another such file, scripts/run-tests.js).
// keepalived 2.2.7's config test is the oracle for ours: on keepalived's own sample configs (Debian ships
// them), on tests/corpus and on a few tricky inputs, `keepalived-ts -t` must exit with keepalived's code and
// flag the lines keepalived flags (tests/helpers/config-verdicts.ts: where keepalived prints a message
// without a line, ours may name one). Both run in a namespace holding eth0, ifb0 and ifb1.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compareConfigTest,
  copySamples,
  CORPUS_DIR,
  corpusFiles,
  only24,
  SAMPLES_DIR,
  type VerdictComparison,
} from '../../helpers/config-verdicts.js';
import {
  closeConfigTestNamespace,
  keepalivedConfigTestSkipReason,
} from '../../helpers/keepalived-config-test.js';

const oracleMissing = keepalivedConfigTestSkipReason();

/**
 * Corpus files kept aside, with why: they use keepalived 2.4 keywords that 2.2.7 reports as unknown (so
 * keepalived fails them and ours, which reads 2.4's language, does not). Each carries the marker
 * `keepalived-2.4-only`; this list must name every such file.
 */
const ASIDE_24: Record<string, string> = {
  'lvs/15-keepalived-24-features.conf':
    'tls_compliant (SSL_GET/HTTP_GET url), dynamic (FILE_CHECK), the twos scheduler and a virtual server default weight are 2.4',
  'vrrp/20-auth-hmac.conf': 'auth_hmac (VRRP HMAC authentication) is 2.4',
};

/** The instance some cases end with, after what they are about. */
const PLAIN_INSTANCE = `vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  virtual_ipaddress {
    10.1.1.1/24
  }
}
`;

/** Inputs where keepalived's verdict is easy to get wrong, each named for what it holds. */
const TRICKY: Record<string, string> = {
  'inet6-first-in-virtual-routes': `vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  virtual_ipaddress {
    10.1.1.1/24
  }
  virtual_routes {
    2001:db8:5::/64 via 2001:db8::1 dev eth0 inet6
    inet6 2001:db8:6::/64 dev eth0
  }
}
`,
  'real-server-port-0': `virtual_server 10.2.2.2 80 {
  lvs_sched rr
  lvs_method DR
  protocol TCP
  real_server 10.2.2.10 0 {
    weight 1
  }
}
`,
  'unquoted-notify-arguments': `global_defs {
  enable_script_security
  script_user root
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  notify_master /bin/echo master now please
  virtual_ipaddress {
    10.1.1.1/24
  }
}
`,
  'interface-missing': `vrrp_instance VI_1 {
  state BACKUP
  interface eth9
  virtual_router_id 51
  priority 100
  virtual_ipaddress {
    10.1.1.1/24
  }
}
`,
  'one-vrid-two-instances-unicast': `vrrp_instance VI_A {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  unicast_src_ip 10.9.0.1
  unicast_peer {
    10.9.0.2
  }
  virtual_ipaddress {
    10.1.1.1/24
  }
}
vrrp_instance VI_B {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  unicast_src_ip 10.9.0.1
  unicast_peer {
    10.9.0.3
  }
  virtual_ipaddress {
    10.1.2.1/24
  }
}
`,
  'unicast-without-peers': `vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  unicast_src_ip 10.9.0.1
  virtual_ipaddress {
    10.1.1.1/24
  }
}
`,
  'scripts-without-script-security': `vrrp_script chk {
  script "/bin/true"
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  track_script {
    chk
  }
  virtual_ipaddress {
    10.1.1.1/24
  }
}
`,
  'include-matching-nothing': `include /nonexistent-kts/*.conf
include /nonexistent-kts/x.conf
include /tmp/*.kts-matches-nothing
global_defs {
  router_id a
}
`,
  'include-check-failing': `includew /tmp/*.kts-matches-nothing
global_defs {
  router_id a
}
`,
  'unicast-ttl-without-peers': `vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 5
  unicast_ttl 5
  virtual_ipaddress {
    10.0.0.1
  }
}
`,
  'notify-fifo-twice': `global_defs {
  notify_fifo /tmp/kts-fifo-a
  notify_fifo /tmp/kts-fifo-b
  vrrp_notify_fifo_script /bin/true
  vrrp_notify_fifo_script /bin/false
}
`,
  'vmac-prefix-twice': `global_defs {
  vmac_prefix kv
  vmac_prefix other
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  use_vmac
  virtual_router_id 5
  virtual_ipaddress {
    10.0.0.1
  }
}
`,
  'regex-parameters-keepalived-only-logs': `virtual_server 10.2.2.2 80 {
  lvs_sched rr
  lvs_method NAT
  protocol TCP
  real_server 10.2.2.10 80 {
    HTTP_GET {
      url {
        path /a
        regex "ok"
        regex_options caseless no_such_option
        regex_stack 10 5
        regex_min_offset 10
        regex_max_offset 5
      }
      url {
        path /b
        regex_no_match
        regex_min_offset x
      }
    }
  }
}
`,
  'smtp-server-name-not-resolving': `global_defs {
  smtp_server no-such-host.invalid 25
  smtp_connect_timeout 30
}
`,
  'track-script-not-defined': `vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 5
  track_script {
    nothere
  }
  virtual_ipaddress {
    10.0.0.1
  }
}
`,
  // A list keyword without its '{': keepalived reads the lines after it as the list (logging that) and
  // reports the instance's '}', now one too many as written.
  'value-list-without-brace': `vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  virtual_ipaddress
    10.1.1.1/24
  }
}
`,
  // real_server lines without blocks: the next one is read inside the first (an unknown keyword there),
  // and the next virtual_server is read inside this one, as keepalived's parser reads them.
  'real-servers-without-blocks': `virtual_server 10.0.0.1 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 192.168.1.2 80
  real_server 192.168.1.3 80
}
virtual_server 10.0.0.2 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 192.168.1.4 80 {
    weight 2
  }
}
`,
  // keepalived's processes that skip a block count its braces as written: a list without its '{' ends
  // their count early, and they report the rest of the block as unknown top-level keywords.
  'peer-list-without-brace': `vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  unicast_peer
    10.1.1.2
  }
  virtual_ipaddress { 10.1.1.1/24 }
}
`,
  'email-list-without-brace': `global_defs {
  notification_email
    a@example.com
  }
  router_id r1
}
${PLAIN_INSTANCE}`,
  'static-list-without-brace': `static_ipaddress
  10.9.9.9/32 dev eth0
}
${PLAIN_INSTANCE}`,
  // the loopback device: keepalived takes no interface ("cannot use a loopback interface")
  'interface-lo': `vrrp_instance VI_1 {
  state BACKUP
  interface lo
  virtual_router_id 51
  priority 100
  virtual_ipaddress {
    10.1.1.1/24
  }
}
`,
  // vrf: after `interface` refused on its line; a VRF device this host lacks is said at each instance
  'vrf-checks': `vrrp_instance VI_1 {
  state BACKUP
  virtual_router_id 51
  priority 100
  vrf vrfblue
  unicast_src_ip 10.77.0.1
  unicast_peer {
    10.77.0.2
  }
  virtual_ipaddress {
    10.77.0.100/24 dev eth0
  }
}
vrrp_instance VI_2 {
  interface eth0
  state BACKUP
  virtual_router_id 52
  priority 100
  vrf vrfblue
  virtual_ipaddress {
    10.77.0.101/24
  }
}
`,
  // use_ipvlan: an IPv4 one needs its address (keepalived names no line); one with it passes
  'ipvlan-without-address': `vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  use_ipvlan
  virtual_ipaddress {
    10.1.1.1/24
  }
}
vrrp_instance VI_2 {
  state BACKUP
  interface eth0
  virtual_router_id 52
  priority 100
  use_ipvlan vrrp.52 10.1.1.52/24 private
  virtual_ipaddress {
    10.1.1.2/24
  }
}
`,
  // keepalived checks a scheduler flag against the scheduler set so far
  'sh-flag-above-lvs-sched': `virtual_server 192.168.223.1 27015 {
  delay_loop 5
  sh-port
  lvs_sched sh
  sh-fallback
  lvs_method NAT
  protocol UDP
  real_server 10.50.0.11 27015 {
    weight 1
  }
}
`,
  // a second file (or weight) for a track_file: keepalived keeps the first
  'track-file-file-twice': `track_file maintenance {
  file /run/kts-maintenance
  file /run/kts-maintenance-2
  weight -50
  weight -20
}
`,
  // virtual_server_group without its '{': keepalived's checker parser stops (exit 2)
  'vsg-without-brace': `virtual_server_group WEB
  192.168.207.1-10 80
  fwmark 7
}
virtual_server group WEB {
  lvs_sched rr
  lvs_method DR
  protocol TCP
  real_server 10.0.0.2 80 {
    weight 1
  }
}
`,
  // a table number is strtoul's, cast to 32 bits: keepalived takes any number
  'rule-table-number-wraps': `static_rules {
  from 10.10.0.0/24 table 99999999999 priority 100
  from 10.10.1.0/24 table -1 priority 101
}
`,
  // no state: keepalived derives it from the priority (strict mode then has nothing to say)
  'strict-owner-without-state': `global_defs {
  vrrp_strict
}
vrrp_instance VI_OWNER {
  interface eth0
  virtual_router_id 110
  priority 255
  advert_int 1
  virtual_ipaddress {
    198.51.100.1/24
  }
}
`,
  'dns-check-name-twice': `virtual_server 2001:db8:53::1 53 {
  lvs_sched rr
  lvs_method DR
  protocol UDP
  real_server 2001:db8:53::11 53 {
    DNS_CHECK {
      type AAAA
      name www.example.com
      name www.example.org
    }
  }
}
`,
  // a '{' with no keyword before it: dropped, and the lines after it read where it stands
  'brace-without-keyword': `global_defs {
  router_id r1
}
{
  router_id r2
}
${PLAIN_INSTANCE}`,
  // vrrp_track_process numbers are read unchecked: a missing one stops keepalived's parser (exit 2)
  'track-process-delay-without-value': `vrrp_track_process nginx {
  process nginx
  delay
}
`,
  'script-interval-above-4294': `vrrp_script chk {
  script "/bin/true"
  interval 65536
}
`,
  'use-vmac-name-twice': `vrrp_instance VI_VMAC {
  state BACKUP
  interface eth0
  use_vmac vrrp.90
  use_vmac vrrp.91
  virtual_router_id 90
  priority 100
  virtual_ipaddress {
    10.1.1.1/24
  }
}
`,
  // two words after vrrp_instance / vrrp_sync_group: keepalived skips the block
  'instance-with-two-names': `vrrp_instance VI_1 VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  virtual_ipaddress {
    10.1.1.1/24
  }
}
`,
  'sync-group-with-two-names': `vrrp_sync_group G1 G1 {
  group {
    VI_1
  }
}
${PLAIN_INSTANCE}`,
  // script security without script_user, and no user keepalived_script here: keepalived says so once, at the
  // first script left to the default user, and drops every such script
  'notify-scripts-without-default-user': `global_defs {
  enable_script_security
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 91
  priority 100
  notify_master /bin/true
  notify_backup "/bin/echo backup"
  notify_fault /bin/true root
  virtual_ipaddress {
    192.168.91.10/24
  }
}
`,
  // keepalived's readers meet scripts in their own order (global_defs, then the checker's virtual servers,
  // then the VRRP process): the one error is at the virtual server's script, though the instance's is above
  'default-user-checker-reads-first': `global_defs {
  enable_script_security
}
${PLAIN_INSTANCE.replace('  priority 100\n', '  priority 100\n  notify_master /bin/true\n')}
virtual_server 10.1.1.1 80 {
  protocol TCP
  real_server 10.1.2.1 80 {
    notify_up /bin/true
  }
}
`,
  // enable_script_security below the instance still counts for its scripts (the parent read it first)
  'default-user-security-read-later': `${PLAIN_INSTANCE.replace('  priority 100\n', '  priority 100\n  notify_backup /bin/true\n')}
global_defs {
  enable_script_security
}
`,
  // a notify FIFO without a user settles the default user in the parent's read, before any instance
  'default-user-fifo-first': `global_defs {
  enable_script_security
  vrrp_notify_fifo /tmp/kts-verdicts-fifo
  startup_script /bin/true
}
${PLAIN_INSTANCE.replace('  priority 100\n', '  priority 100\n  notify_master /bin/true\n')}`,
  // a track group naming no instance there is: keepalived's VRRP process logs it as it starts (not a
  // configuration error), -t says nothing and exits 0
  'track-group-of-a-missing-instance': `track_group TG1 {
  group {
    VI_S
  }
}
static_ipaddress {
  10.20.1.1/24 dev eth0 track_group TG1
}
${PLAIN_INSTANCE}`,
  // an interface named twice for garp groups: reported where it is named again (the `interface` line,
  // the `}` of an `interfaces` list), and the first group keeps it
  'garp-group-interface-twice': `garp_group {
  garp_interval 0.01
  interfaces {
    eth0
    ifb0
  }
  interface eth0
}
garp_group {
  gna_interval 0.01
  interfaces {
    ifb0
  }
}
${PLAIN_INSTANCE}`,
  // linkbeat_interfaces: an interface this host does not have stops keepalived (fatal), a type it does not
  // know is reported (the interface polled all the same)
  'linkbeat-unknown-interface-and-type': `linkbeat_interfaces {
  eth0 0.5
  nosuch0
  ifb0 ETHTOOL extra
}
${PLAIN_INSTANCE}`,
  // a rule needs exactly one action (table, nop, goto, blackhole, prohibit, unreachable, l3mdev)
  'rules-without-or-with-two-actions': PLAIN_INSTANCE.replace(
    /}\n$/,
    `  virtual_rules {
    from 10.0.0.0/8 preference 100
    from 10.1.0.0/16 nop preference 101
    from 10.2.0.0/16 table 100 blackhole preference 102
    from 10.3.0.0/16 prohibit preference 103
  }
}
`,
  ),
  // a sync group tracking an interface this host does not have: reported at its line, as for an instance
  'sync-group-tracks-missing-interface': `vrrp_sync_group SG1 {
  group {
    VI_1
  }
  track_interface {
    eth0
    nosuch0
  }
}
${PLAIN_INSTANCE}`,
  // Words after a list keyword: reported, and left out of the list.
  'value-list-with-words': `vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  virtual_ipaddress 10.1.1.9/24 {
    10.1.1.1/24
  }
  track_interface
  {
    eth0
  }
}
`,
};

function explain(c: VerdictComparison): string {
  return `keepalived exit ${c.theirs.status}, lines ${c.theirs.lines.join(' ') || '-'}:\n${c.theirs.output}\nours exit ${c.ours.status}, lines ${c.ours.lines.join(' ') || '-'}:\n${c.ours.output}`;
}

function compareTest(name: string, file: string, skip?: string): void {
  const run = skip === undefined ? compareConfigTest(file) : undefined;
  void test(`keepalived-ts -t gives keepalived 2.2.7's verdict and lines on ${name}`, { skip }, async () => {
    const c = await (run as Promise<VerdictComparison>);
    assert.equal(c.ours.status, c.theirs.status, explain(c));
    assert.ok(c.sameLines, explain(c));
  });
}

const samples = oracleMissing === undefined ? copySamples() : [];
const samplesMissing =
  oracleMissing ??
  (samples.length === 0 ? `missing tool: ${SAMPLES_DIR} (Debian package keepalived)` : undefined);
void test('keepalived ships its sample configs', { skip: samplesMissing }, () => {
  assert.ok(samples.length >= 20, `${samples.length} samples in ${SAMPLES_DIR}`);
});
for (const file of samples) compareTest(`sample ${basename(file)}`, file);

const corpus = corpusFiles();
void test('every keepalived-2.4-only corpus file is listed with its reason, and only those', () => {
  const marked = corpus.filter(only24).map((f) => relative(CORPUS_DIR, f));
  assert.deepEqual(marked.sort(), Object.keys(ASIDE_24).sort());
});
for (const file of corpus) {
  const rel = relative(CORPUS_DIR, file);
  const aside = ASIDE_24[rel];
  compareTest(
    `corpus ${rel}`,
    file,
    oracleMissing ?? (aside && `not applicable: keepalived 2.4 only: ${aside}`),
  );
}

const trickyDir = mkdtempSync(join(tmpdir(), 'kts-verdicts-'));
for (const [name, text] of Object.entries(TRICKY)) {
  const file = join(trickyDir, `${name}.conf`);
  writeFileSync(file, text);
  compareTest(name, file, oracleMissing);
}

after(() => {
  rmSync(trickyDir, { recursive: true, force: true });
  if (samples[0] !== undefined) rmSync(samples[0].slice(0, samples[0].lastIndexOf('/')), { recursive: true });
  closeConfigTestNamespace();
});
