// keepalived-ts's status listener block (keepalived 2.2.7 warns about every line of it and skips it):
//   status_http {
//     listen 127.0.0.1 9650      (one line per address, IPv4 or IPv6)
//     token STRING               (then every request needs `Authorization: Bearer STRING`)
//     tls_certificate FILE       (both or neither: HTTPS instead of HTTP)
//     tls_key FILE
//   }
import type { ConfigNode, SourceLocation } from '../../types.js';
import { quoteWord } from '../shared/table.js';
import { type BuildContext, arg, blockChildren, int, ipAddress, walk } from '../shared/values.js';

export interface StatusListen {
  location: SourceLocation;
  /** Canonical address text (IPv6 compressed, no brackets). */
  address: string;
  family: 4 | 6;
  port: number;
}

export interface StatusHttpConfig {
  location: SourceLocation;
  listen: StatusListen[];
  /** A secret: never printed in a response or a log line. */
  token?: string;
  tlsCertificate?: string;
  tlsKey?: string;
}

/** Reads the block; undefined when it has no usable `listen` line (an error says so). */
export function readStatusHttp(node: ConfigNode, ctx: BuildContext): StatusHttpConfig | undefined {
  const cfg: StatusHttpConfig = { location: { file: node.file, line: node.line }, listen: [] };
  walk(
    blockChildren(node, ctx),
    ctx,
    {
      listen: (n) => {
        const ip = ipAddress(n, ctx, 0);
        const port = n.args[1] === undefined ? undefined : int(n, ctx, 1, 65535, 1);
        if (n.args[1] === undefined) ctx.diags.error(n, n.keyword, 'missing port (listen ADDRESS PORT)');
        if (n.args.length > 2) ctx.diags.error(n, n.keyword, `unexpected '${n.args[2]}'`);
        if (ip === undefined || port === undefined) return;
        const dup = cfg.listen.find((l) => l.address === ip.address && l.port === port);
        if (dup !== undefined) {
          ctx.diags.error(
            n,
            n.keyword,
            `${ip.address} ${port} is already listed at ${dup.location.file}:${dup.location.line}`,
          );
          return;
        }
        cfg.listen.push({
          location: { file: n.file, line: n.line },
          address: ip.address,
          family: ip.family,
          port,
        });
      },
      token: (n) => {
        const t = arg(n, ctx);
        if (t === undefined) return;
        if (n.args.length > 1) ctx.diags.error(n, n.keyword, 'expects one word (quote a token with spaces)');
        else if (!/^[\x20\x21\x23-\x7e]+$/.test(t))
          ctx.diags.error(
            n,
            n.keyword,
            "a token is printable ASCII without '\"' (it travels in an HTTP header)",
          );
        else if (t.trim() !== t)
          ctx.diags.error(n, n.keyword, 'a token cannot start or end with a space (HTTP trims them)');
        else cfg.token = t;
      },
      tls_certificate: (n) => {
        const f = arg(n, ctx);
        if (f !== undefined) cfg.tlsCertificate = f;
      },
      tls_key: (n) => {
        const f = arg(n, ctx);
        if (f !== undefined) cfg.tlsKey = f;
      },
    },
    'status_http',
  );
  if ((cfg.tlsCertificate === undefined) !== (cfg.tlsKey === undefined)) {
    ctx.diags.error(node, node.keyword, 'tls_certificate and tls_key go together: give both or neither');
    delete cfg.tlsCertificate;
    delete cfg.tlsKey;
  }
  if (cfg.listen.length === 0) {
    ctx.diags.error(node, node.keyword, 'no listen ADDRESS PORT line: the status listener stays off');
    return undefined;
  }
  return cfg;
}

/** The block as text (what --dump-config's round trip reads back). */
export function printStatusHttp(cfg: StatusHttpConfig): string[] {
  const lines = cfg.listen.map((l) => `listen ${l.address} ${l.port}`);
  if (cfg.token !== undefined) lines.push(`token ${quoteWord(cfg.token)}`);
  if (cfg.tlsCertificate !== undefined) lines.push(`tls_certificate ${quoteWord(cfg.tlsCertificate)}`);
  if (cfg.tlsKey !== undefined) lines.push(`tls_key ${quoteWord(cfg.tlsKey)}`);
  return ['status_http {', ...lines.map((l) => `  ${l}`), '}'];
}
