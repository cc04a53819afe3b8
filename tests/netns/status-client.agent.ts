// The status listener's client in the status_http kernel test, run inside a router's namespace. It uses
// the CLI's own client (src/cli/status-client.ts), so the test covers `keepalived-ts status` and
// `events` as well:
//   get URL PATH [TOKEN]      → one JSON line { status, contentType, body }
//   table URL TOKEN           → the `keepalived-ts status` table, as text
//   events URL TOKEN LASTID TIMEOUT_MS [follow|history] [STOP]
//        → one JSON line per message { id, event, data } until the stream ends, TIMEOUT_MS pass, or a
//          message whose data contains STOP arrives
import { refuseOutsideSuiteNamespace } from '../helpers/namespace-guard.js';
import { open, readEvents, type Target } from '../../src/cli/status-client.js';
import { formatStatus } from '../../src/cli/status-command.js';
import type { StatusDocument } from '../../src/api/status.js';

refuseOutsideSuiteNamespace('status-client.agent.js');

const [mode, url = '', a, b, c, d, e] = process.argv.slice(2);

async function main(): Promise<void> {
  if (mode === 'get') {
    const target: Target = { url, insecure: false, ...(b !== undefined ? { token: b } : {}) };
    const res = await open(target, a ?? '/');
    res.setEncoding('utf8');
    let body = '';
    for await (const chunk of res) body += chunk as string;
    process.stdout.write(
      JSON.stringify({ status: res.statusCode, contentType: res.headers['content-type'], body }) + '\n',
    );
  } else if (mode === 'table') {
    const res = await open({ url, insecure: false, token: a ?? '' }, '/status');
    res.setEncoding('utf8');
    let body = '';
    for await (const chunk of res) body += chunk as string;
    process.stdout.write(formatStatus(JSON.parse(body) as StatusDocument, false));
  } else if (mode === 'events') {
    const target: Target = { url, insecure: false, token: a ?? '' };
    const timeout = setTimeout(() => process.exit(0), Number(c ?? '10000'));
    await readEvents(
      target,
      d === 'history' ? '/events?follow=0' : '/events',
      { 'last-event-id': b ?? '0' },
      (m) => {
        process.stdout.write(JSON.stringify(m) + '\n');
        return e !== undefined && m.data.includes(e);
      },
    );
    clearTimeout(timeout);
  } else throw new Error(`unknown mode ${mode ?? ''}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  },
);
