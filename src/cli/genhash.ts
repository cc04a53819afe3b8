// `keepalived-ts genhash` (and `-T`): keepalived's genhash options, printing what keepalived's prints.
import { genhash } from '../check/probes/genhash.js';
import type { HttpProtocol } from '../check/schedule/spec.js';

const USAGE = `Usage: keepalived-ts genhash -s server-address -p port -u url [OPTIONS]
  -S, --use-ssl            Use SSL connection to remote server
  -I, --use-sni            Use SNI during SSL handshake (uses virtualhost setting)
  -s, --server             Use the specified remote server address
  -p, --port               Use the specified remote server port
  -u, --url                Use the specified remote server url
  -V, --use-virtualhost    Use the specified virtualhost in GET query
  -P, --protocol           Use the specified HTTP protocol - '1.0', '1.0c', '1.1'
  -t, --timeout            Timeout in seconds
  -v, --verbose            Use verbose mode output
  -h, --help               Display this help
`;

const FLAGS: Record<string, string> = {
  '-S': 'ssl',
  '--use-ssl': 'ssl',
  '-I': 'sni',
  '--use-sni': 'sni',
  '-v': 'verbose',
  '--verbose': 'verbose',
  '-h': 'help',
  '--help': 'help',
};
const VALUES: Record<string, string> = {
  '-s': 'server',
  '--server': 'server',
  '-p': 'port',
  '--port': 'port',
  '-u': 'url',
  '--url': 'url',
  '-V': 'virtualhost',
  '--use-virtualhost': 'virtualhost',
  '-P': 'protocol',
  '--protocol': 'protocol',
  '-t': 'timeout',
  '--timeout': 'timeout',
};

export async function runGenhash(argv: string[]): Promise<number> {
  const flags = new Set<string>();
  const values: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string;
    const eq = word.startsWith('--') ? word.indexOf('=') : -1;
    const name = eq > 0 ? word.slice(0, eq) : word;
    const flag = FLAGS[name];
    const valueKey = VALUES[name];
    if (flag !== undefined) flags.add(flag);
    else if (valueKey !== undefined) {
      const v = eq > 0 ? word.slice(eq + 1) : argv[++i];
      if (v === undefined) return usage(`option ${name} needs a value`);
      values[valueKey] = v;
    } else return usage(`unknown option '${word}'`);
  }
  if (flags.has('help')) return usage(undefined);
  const { server, port, url } = values;
  if (server === undefined || port === undefined || url === undefined)
    return usage('-s, -p and -u are required');
  const portNumber = Number(port);
  if (!Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65535)
    return usage(`invalid port '${port}'`);
  const protocol = values.protocol?.toUpperCase();
  if (protocol !== undefined && !['1.0', '1.0C', '1.1'].includes(protocol))
    return usage(`invalid protocol '${values.protocol}'`);
  const timeout = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeout !== undefined && !(timeout > 0)) return usage(`invalid timeout '${values.timeout}'`);
  const result = await genhash({
    server,
    port: portNumber,
    url,
    ssl: flags.has('ssl'),
    sni: flags.has('sni'),
    ...(values.virtualhost !== undefined ? { virtualhost: values.virtualhost } : {}),
    ...(protocol !== undefined ? { protocol: protocol as HttpProtocol } : {}),
    ...(timeout !== undefined ? { timeoutSec: timeout } : {}),
    verbose: flags.has('verbose'),
  });
  process.stdout.write(result.text);
  // keepalived's genhash exits 0 even when the connection fails; scripts rely on its output.
  return 0;
}

function usage(error: string | undefined): number {
  if (error !== undefined) process.stderr.write(`keepalived-ts genhash: ${error}\n`);
  (error === undefined ? process.stdout : process.stderr).write(USAGE);
  return error === undefined ? 0 : 2;
}
