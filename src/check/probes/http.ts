// HTTP_GET and SSL_GET: every url block is fetched in turn; the server is healthy when each reply has an
// accepted status code, the expected MD5 digest of its body (when one is given) and a body matching the
// regex (or not matching it, with regex_no_match). A JS RegExp stands in for keepalived's PCRE2, with the
// regex_options mapped onto it (common/pcre2-regex.ts).
import type { SecureContext } from 'node:tls';
import type { CheckerSpec, HttpCheckOptions, HttpUrlSpec, ProbeResult } from '../schedule/spec.js';
import { compilePcre2, pcre2Matches, type CompiledPcre2 } from '../../common/pcre2-regex.js';
import { dialAddress, runProbe, type Probe } from './common.js';
import { httpGet, type HttpGetResult } from './http-client.js';

/** Compiled regexes by pattern and options (a probe runs every delay_loop; the pattern never changes). */
const compiled = new Map<string, CompiledPcre2>();

function compiledFor(url: HttpUrlSpec): CompiledPcre2 {
  const options = url.regexOptions ?? [];
  const key = `${options.join(' ')}\n${url.regex ?? ''}`;
  let c = compiled.get(key);
  if (c === undefined) {
    c = compilePcre2(url.regex ?? '', options);
    if (compiled.size > 1000) compiled.clear();
    compiled.set(key, c);
  }
  return c;
}

/** Whether the body has a match of url.regex starting within regex_min_offset..regex_max_offset (text
 * before the minimum is still seen by lookbehinds, as PCRE2's start offset lets it be). */
export function regexMatches(url: HttpUrlSpec, body: Buffer): boolean {
  const c = compiledFor(url);
  // with utf the offsets count characters, not bytes (PCRE2 counts code units either way: close enough)
  const text = body.toString(c.utf8 ? 'utf8' : 'latin1');
  return pcre2Matches(c, text, url.regexMinOffset ?? 0, url.regexMaxOffset);
}

/** Why a reply fails a url block, or undefined when it passes. */
export function judgeHttpReply(url: HttpUrlSpec, reply: HttpGetResult): string | undefined {
  const accepted = url.statusCodes.some(([lo, hi]) => reply.statusCode >= lo && reply.statusCode <= hi);
  if (!accepted) return `status code ${reply.statusCode} for ${url.path}`;
  if (url.digest !== undefined && url.digest.toLowerCase() !== reply.md5) {
    return `MD5 digest ${reply.md5} for ${url.path} differs from ${url.digest.toLowerCase()}`;
  }
  if (url.regex !== undefined) {
    const matched = regexMatches(url, reply.body);
    if (matched === (url.regexNoMatch ?? false)) {
      return `body of ${url.path} ${matched ? 'matches' : 'does not match'} regex ${url.regex}`;
    }
  }
  return undefined;
}

/** SSL_GET with the SSL block's client certificate, key and CA. */
export function sslProbeWith(secureContext: SecureContext): Probe {
  return (spec, signal) => httpProbe(spec, signal, secureContext);
}

export function httpProbe(
  spec: CheckerSpec,
  signal?: AbortSignal,
  secureContext?: SecureContext,
): Promise<ProbeResult> {
  const options = spec.options as HttpCheckOptions;
  // The whole probe gets one connect_timeout per url block.
  const deadline = spec.connect.timeoutMs * Math.max(1, options.urls.length);
  return runProbe(deadline, signal, async (ctx) => {
    const abort = new AbortController();
    ctx.onCleanup(() => abort.abort());
    for (const url of options.urls) {
      const outcome = await httpGet({
        address: dialAddress(spec),
        port: spec.connect.port,
        path: url.path,
        virtualhost: url.virtualhost ?? options.virtualhost,
        protocol: options.protocol,
        tls: options.kind === 'SSL_GET',
        sni: options.enableSni,
        tlsCompliant: url.tlsCompliant === true,
        ...(secureContext !== undefined && options.kind === 'SSL_GET' ? { secureContext } : {}),
        bindTo: spec.connect.bindTo,
        bindPort: spec.connect.bindPort,
        timeoutMs: spec.connect.timeoutMs,
        signal: abort.signal,
      });
      if (ctx.settled) return;
      if (!outcome.ok) return ctx.fail(`${url.path}: ${outcome.error}`);
      const why = judgeHttpReply(url, outcome.response);
      if (why !== undefined) return ctx.fail(why);
    }
    ctx.succeed(`${options.urls.length} url(s) ok`);
  });
}
