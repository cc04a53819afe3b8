// The layer rules of docs/architecture.md, checked by `npm test` (npm run lint:layers) before the tests:
// a wrong import fails the run with the name of the rule it breaks. Type-only imports count too.
const PURE = '^src/(config|vrrp|bfd|check/schedule|lb/table|sim|common|api)/';
/** Node modules that do I/O, or schedule work: a pure layer takes time and events in, gives actions out. */
const IO_MODULES = [
  'child_process',
  'cluster',
  'dgram',
  'dns',
  'fs',
  'fs/promises',
  'http',
  'http2',
  'https',
  'inspector',
  'net',
  'os',
  'perf_hooks',
  'process',
  'readline',
  'timers',
  'timers/promises',
  'tls',
  'worker_threads',
];
const IO_PATH = `^(node:)?(${IO_MODULES.join('|')})$`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules import each other in a loop: move what both need into a file of its own.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'pure-layer-no-io-module',
      severity: 'error',
      comment:
        'config, vrrp, bfd, check/schedule, lb/table, sim, common and api import no I/O module (no sockets, ' +
        'files, processes, OS facts, timers): they take time and events in and give actions out.',
      from: { path: PURE },
      to: { dependencyTypes: ['core'], path: IO_PATH },
    },
    {
      name: 'pure-layer-no-io-room',
      severity: 'error',
      comment:
        'config, vrrp, bfd, check/schedule, lb/table, sim, common and api import nothing of the I/O rooms ' +
        '(net, system, check/probes, lb/ipvs, lb/nftables, snmp, daemon, cli).',
      from: { path: PURE },
      to: { path: '^src/(net|system|check/probes|lb/ipvs|lb/nftables|snmp|daemon|cli)/' },
    },
    {
      name: 'api-above-the-engines',
      severity: 'error',
      comment:
        'api/ (the status document, events, metrics as data) reads what the engines hold; nothing below the ' +
        'daemon imports it.',
      from: { path: '^src/(config|vrrp|bfd|check|lb|sim|common|net|system|snmp)/' },
      to: { path: '^src/api/' },
    },
    {
      name: 'net-knows-no-protocol',
      severity: 'error',
      comment:
        'net/ is protocol-agnostic kernel access: it imports nothing of VRRP, BFD, checks, load balancing, ' +
        'the configuration or the daemon; those hand it bytes.',
      from: { path: '^src/net/' },
      to: { path: '^src/(vrrp|bfd|check|lb|config|sim|system|daemon|cli)/' },
    },
    {
      name: 'system-knows-no-protocol',
      severity: 'error',
      comment: 'system/ (scripts, users, files of the host) imports nothing above it.',
      from: { path: '^src/system/' },
      to: { path: '^src/(vrrp|bfd|check|lb|sim|daemon|cli)/' },
    },
    {
      name: 'probes-below-the-daemon',
      severity: 'error',
      comment: 'check/probes does the checks I/O for the daemon; it imports nothing of daemon/ or cli/.',
      from: { path: '^src/check/probes/' },
      to: { path: '^src/(daemon|cli)/' },
    },
    {
      name: 'nothing-below-cli-imports-cli',
      severity: 'error',
      comment: 'cli/ sits on top: it parses arguments into what the daemon takes; nothing imports it.',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that resolves to no file.',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
