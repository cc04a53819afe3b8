// `genhash`: fetch a URL the way HTTP_GET / SSL_GET do and print the MD5 digest of its body, for
// pasting into a `digest` line. Non-verbose output is keepalived's: the lower-case hex digest and a
// newline; a failed connection prints "Connection failed". Verbose mode adds keepalived-style hex dumps.
import { httpGet, type HttpGetResult } from './http-client.js';
import type { HttpProtocol } from '../schedule/spec.js';

export interface GenhashOptions {
  server: string;
  port: number;
  url: string;
  ssl?: boolean;
  sni?: boolean;
  virtualhost?: string;
  protocol?: HttpProtocol;
  /** Seconds, like `-t`; keepalived's default connect timeout is 5 s. */
  timeoutSec?: number;
  verbose?: boolean;
}

export interface GenhashResult {
  /** The text genhash prints. */
  text: string;
  /** The digest when the fetch worked. */
  digest?: string;
}

const DELIM_BEGIN = '-----------------------[';
const DELIM_END = ']-----------------------\n';

function banner(title: string): string {
  return `${DELIM_BEGIN}${title}${DELIM_END}`;
}

/** keepalived's dump: "0000  48 54 ... - ... 0d   HTTP/1.0 200 OK." 16 bytes a row, offsets in decimal. */
export function hexDump(data: Uint8Array): string {
  let out = '';
  for (let offset = 0; offset < data.length; offset += 16) {
    const row = data.subarray(offset, offset + 16);
    let hex = '';
    let ascii = '';
    for (let i = 0; i < 16; i++) {
      const byte = row[i];
      if (i === 8) hex += '- ';
      hex += byte === undefined ? '   ' : `${byte.toString(16).padStart(2, '0')} `;
      ascii += byte === undefined ? ' ' : byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '.';
    }
    out += `${String(offset).padStart(4, '0')}  ${hex.trimEnd().padEnd(49)}   ${ascii}\n`;
  }
  return out;
}

function verboseReport(url: string, r: HttpGetResult): string {
  const digestBytes = Buffer.from(r.md5, 'hex');
  return (
    banner('    HTTP Header Buffer    ') +
    hexDump(r.header.length > 0 ? Buffer.concat([r.header, Buffer.from('\r\n\r\n')]) : r.header) +
    banner(' HTTP Header Ascii Buffer ') +
    `${r.header.toString('latin1')}\r\n\r\n\n` +
    banner('        HTML Buffer        ') +
    hexDump(r.body) +
    '\n' +
    banner('    HTML hash resulting    ') +
    hexDump(digestBytes) +
    banner(' HTML hash final resulting ') +
    `${r.md5}\n\n` +
    `Global response time for [${url}] = ${Math.round(r.elapsedMs * 1000)} usecs\n`
  );
}

export async function genhash(opts: GenhashOptions): Promise<GenhashResult> {
  const outcome = await httpGet({
    address: opts.server,
    port: opts.port,
    path: opts.url,
    virtualhost: opts.virtualhost,
    protocol: opts.protocol ?? '1.0',
    tls: opts.ssl ?? false,
    sni: opts.sni ?? false,
    timeoutMs: (opts.timeoutSec ?? 5) * 1000,
  });
  if (!outcome.ok) return { text: 'Connection failed\n' };
  const r = outcome.response;
  return { text: opts.verbose ? verboseReport(opts.url, r) : `${r.md5}\n`, digest: r.md5 };
}
