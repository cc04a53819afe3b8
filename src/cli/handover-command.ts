// `keepalived-ts handover INSTANCE [--to ADDRESS] [--hold SECONDS] [--wait]` and `--release`: a POST to the
// local daemon's status listener (found like `keepalived-ts status` finds it: --url, else the
// configuration's status_http block, whose token it also uses).
import { splitLongOption } from './long-option.js';
import type { StatusDocument } from '../api/status.js';
import { getText, parseClientArgs, postJson, type Target } from './status-client.js';

const USAGE = `usage: keepalived-ts handover INSTANCE [--to ADDRESS] [--hold SECONDS] [--wait]
       keepalived-ts handover --release INSTANCE
       (with [--url URL] [--token TOKEN] [-f CONFIG] [--ca FILE] [--insecure])
  moves the VIPs of a MASTER instance (and its sync group) to the best backup, or with --to to that unicast
  peer: priority 0 goes out, the VIPs stay until the new master advertises; this router then stays BACKUP
  without preempting until --release, a reload, or --hold SECONDS. --wait: until the VIPs moved.
  The status_http block must have a token.
`;

export interface HandoverArgs {
  instance: string;
  release: boolean;
  wait: boolean;
  to?: string;
  holdSeconds?: number;
  /** The listener options, for parseClientArgs. */
  rest: string[];
}

/** Splits our options from the listener's; an error message for a usage error. */
export function parseHandoverArgs(args: readonly string[]): HandoverArgs | string {
  let instance: string | undefined;
  const out: Omit<HandoverArgs, 'instance'> = { release: false, wait: false, rest: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    const [name, attached] = splitLongOption(a);
    const value = (): string | undefined => attached ?? args[++i];
    if (name === '--to') {
      out.to = value();
      if (out.to === undefined) return '--to needs an address';
    } else if (name === '--hold') {
      const v = value();
      if (v === undefined || !/^\d+(\.\d+)?$/.test(v) || Number(v) <= 0)
        return '--hold needs a number of seconds';
      out.holdSeconds = Number(v);
    } else if (name === '--release') out.release = true;
    else if (name === '--wait') out.wait = true;
    else if (['--url', '--token', '--ca', '-f', '--use-file'].includes(name)) {
      out.rest.push(name);
      const v = value();
      if (v !== undefined) out.rest.push(v);
    } else if (name === '--insecure') out.rest.push(name);
    else if (!a.startsWith('-') && instance === undefined) instance = a;
    else return `unknown argument '${a}'`;
  }
  if (instance === undefined) return 'which instance?';
  if (out.release && (out.to !== undefined || out.holdSeconds !== undefined))
    return '--release takes no --to or --hold';
  return { instance, ...out };
}

/** The handover as /status shows it now (absent: none). */
async function handoverState(
  target: Target,
  instance: string,
): Promise<{ state: string; phase?: string; newMaster?: string }> {
  const doc = JSON.parse(await getText(target, '/status')) as StatusDocument;
  const i = doc.instances.find((x) => x.name === instance);
  return {
    state: i?.state ?? '?',
    ...(i?.handover !== undefined ? { phase: i.handover.phase } : {}),
    ...(i?.handover?.newMaster !== undefined ? { newMaster: i.handover.newMaster } : {}),
  };
}

export async function runHandover(args: string[]): Promise<number> {
  if (args.includes('-h') || args.includes('--help')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const h = parseHandoverArgs(args);
  if (typeof h === 'string') {
    process.stderr.write(`keepalived-ts handover: ${h}\n${USAGE}`);
    return 2;
  }
  const o = parseClientArgs(h.rest, process.env);
  if (typeof o === 'string') {
    process.stderr.write(`keepalived-ts handover: ${o}\n${USAGE}`);
    return 2;
  }
  const path = `/instances/${encodeURIComponent(h.instance)}/${h.release ? 'release' : 'handover'}`;
  const body = h.release
    ? ''
    : JSON.stringify({
        ...(h.to !== undefined ? { to: h.to } : {}),
        ...(h.holdSeconds !== undefined ? { holdSeconds: h.holdSeconds } : {}),
      });
  try {
    const r = await postJson(o, path, body);
    if (r.code < 200 || r.code > 299) {
      let why = r.body.trim();
      try {
        why = String((JSON.parse(why) as { error?: unknown }).error ?? why);
      } catch {
        // not JSON: shown as it is
      }
      process.stderr.write(`keepalived-ts handover: ${h.instance}: HTTP ${r.code}: ${why}\n`);
      return 1;
    }
    if (h.release) {
      process.stdout.write(`${h.instance}: hold released\n`);
      return 0;
    }
    const answer = JSON.parse(r.body) as { deadlineInMs?: number; syncGroup?: string };
    process.stdout.write(
      `${h.instance}${answer.syncGroup !== undefined ? ` (sync group ${answer.syncGroup})` : ''}: handover started; the VIPs stay until the new master advertises (at most ${answer.deadlineInMs ?? '?'} ms)\n`,
    );
    if (!h.wait) return 0;
    const until = Date.now() + (answer.deadlineInMs ?? 10_000) + 5_000;
    while (Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const s = await handoverState(o, h.instance);
      if (s.phase === 'releasing') continue;
      if (s.phase === 'held') {
        process.stdout.write(
          s.newMaster !== undefined
            ? `${h.instance}: handed over to ${s.newMaster}; holding BACKUP\n`
            : `${h.instance}: no new master advertised in time; VIPs dropped, holding BACKUP\n`,
        );
        return s.newMaster !== undefined ? 0 : 1;
      }
      process.stderr.write(`keepalived-ts handover: ${h.instance}: handover ended (${s.state})\n`);
      return 1;
    }
    process.stderr.write(`keepalived-ts handover: ${h.instance}: still releasing\n`);
    return 1;
  } catch (e) {
    process.stderr.write(`keepalived-ts handover: ${o.url}: ${(e as Error).message}\n`);
    return 1;
  }
}
