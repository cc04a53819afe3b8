// `keepalived-ts status` (the listener's /status as tables, coloured on a terminal, or --json) and
// `keepalived-ts events` (its events as JSON lines: the history, or with --follow everything from then on).
import type { StatusDocument } from '../api/status.js';
import { getText, parseClientArgs, readEvents } from './status-client.js';

const STATUS_USAGE = `usage: keepalived-ts status [--url URL] [--token TOKEN] [-f CONFIG] [--ca FILE] [--insecure] [--json]
  reads the status listener (status_http): by default the first listen line and the token of CONFIG
  (${'/etc/keepalived/keepalived.conf'}); KEEPALIVED_TS_TOKEN also gives the token
`;
const EVENTS_USAGE = `usage: keepalived-ts events [--url URL] [--token TOKEN] [-f CONFIG] [--since N] [--follow]
  prints the listener's events as JSON lines: the recent history (after event N with --since), and with
  --follow every new one until interrupted
`;

const COLOURS: Record<string, string> = { MASTER: '32', BACKUP: '33', FAULT: '31', STOP: '90', INIT: '90' };

function table(rows: string[][], colour: (row: number, col: number, text: string) => string): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows
    .map((r, ri) =>
      r
        .map((c, ci) => colour(ri, ci, ci === r.length - 1 ? c : c.padEnd(widths[ci] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The document as terminal tables: instances, sync groups, BFD sessions, real servers, last transitions. */
export function formatStatus(doc: StatusDocument, tty: boolean): string {
  const paint = (code: string | undefined, text: string): string =>
    tty && code !== undefined ? `\x1b[${code}m${text}\x1b[0m` : text;
  const bold = (ri: number, _ci: number, t: string): string => (ri === 0 ? paint('1', t) : t);
  const out: string[] = [];
  const header = `keepalived-ts ${doc.daemon.version} pid ${doc.daemon.pid}${doc.daemon.routerId !== undefined ? ` router ${doc.daemon.routerId}` : ''}, up since ${doc.daemon.startedAt}`;
  out.push(header, '');
  const rows = [['INSTANCE', 'STATE', 'PRIO', 'VRID', 'IF', 'MASTER', 'VIPS', 'LAST CHANGE']];
  for (const i of doc.instances) {
    const prio =
      i.priority.effective === i.priority.base
        ? `${i.priority.base}`
        : `${i.priority.effective}/${i.priority.base}`;
    const master = i.master.self
      ? 'self'
      : `${i.master.address ?? '-'}${i.master.priority !== undefined ? ` (${i.master.priority})` : ''}`;
    const last = i.lastTransition
      ? `${i.lastTransition.from}->${i.lastTransition.to}: ${i.lastTransition.reason}`
      : '-';
    rows.push([
      i.name,
      i.state,
      prio,
      String(i.vrid),
      i.interface,
      master,
      i.vips.map((v) => v.address).join(',') || '-',
      last,
    ]);
  }
  out.push(table(rows, (ri, ci, t) => (ri > 0 && ci === 1 ? paint(COLOURS[t.trim()], t) : bold(ri, ci, t))));
  const weighted = doc.instances.flatMap((i) =>
    i.priority.trackers
      .filter((t) => t.contribution !== 0 || t.fault)
      .map((t) => [i.name, `${t.kind}:${t.name}`, t.status, t.fault ? 'FAULT' : String(t.contribution)]),
  );
  if (weighted.length > 0)
    out.push('', table([['INSTANCE', 'TRACKER', 'STATUS', 'EFFECT'], ...weighted], bold));
  if (doc.syncGroups.length > 0)
    out.push(
      '',
      table(
        [
          ['SYNC GROUP', 'STATE', 'MEMBERS'],
          ...doc.syncGroups.map((g) => [g.name, g.state, g.members.join(',')]),
        ],
        (ri, ci, t) => (ri > 0 && ci === 1 ? paint(COLOURS[t.trim()], t) : bold(ri, ci, t)),
      ),
    );
  if (doc.bfd.length > 0)
    out.push(
      '',
      table([['BFD SESSION', 'STATE'], ...doc.bfd.map((b) => [b.name, b.up ? 'Up' : 'Down'])], bold),
    );
  const servers = doc.virtualServers.flatMap((vs) =>
    vs.realServers.map((rs) => {
      const last = rs.checkers
        .map((c) => (c.last ? `${c.kind}: ${c.last.detail} (${c.last.durationMs} ms)` : `${c.kind}: -`))
        .join('; ');
      const address = rs.address.includes(':') ? `[${rs.address}]:${rs.port}` : `${rs.address}:${rs.port}`;
      return [vs.name, address, rs.up ? 'UP' : 'DOWN', String(rs.weight), last || '-'];
    }),
  );
  if (servers.length > 0)
    out.push(
      '',
      table([['VIRTUAL SERVER', 'REAL SERVER', 'HEALTH', 'WEIGHT', 'LAST CHECK'], ...servers], (ri, ci, t) =>
        ri > 0 && ci === 2 ? paint(t.trim() === 'UP' ? '32' : '31', t) : bold(ri, ci, t),
      ),
    );
  if (doc.transitions.length > 0) {
    out.push('', 'Recent transitions:');
    for (const t of doc.transitions.slice(-10))
      out.push(`  #${t.seq} ${t.at} ${t.instance} ${t.from} -> ${t.to}: ${t.reason}`);
  }
  return out.join('\n') + '\n';
}

export async function runStatus(args: string[]): Promise<number> {
  if (args.includes('-h') || args.includes('--help')) {
    process.stdout.write(STATUS_USAGE);
    return 0;
  }
  const o = parseClientArgs(args, process.env);
  if (typeof o === 'string') {
    process.stderr.write(`keepalived-ts status: ${o}\n${STATUS_USAGE}`);
    return 2;
  }
  try {
    const body = await getText(o, '/status');
    if (o.json) process.stdout.write(body.endsWith('\n') ? body : body + '\n');
    else process.stdout.write(formatStatus(JSON.parse(body) as StatusDocument, process.stdout.isTTY));
    return 0;
  } catch (e) {
    process.stderr.write(`keepalived-ts status: ${o.url}: ${(e as Error).message}\n`);
    return 1;
  }
}

export async function runEvents(args: string[]): Promise<number> {
  if (args.includes('-h') || args.includes('--help')) {
    process.stdout.write(EVENTS_USAGE);
    return 0;
  }
  const o = parseClientArgs(args, process.env);
  if (typeof o === 'string') {
    process.stderr.write(`keepalived-ts events: ${o}\n${EVENTS_USAGE}`);
    return 2;
  }
  let last = o.since ?? 0;
  // a dropped stream is picked up again where it stopped (Last-Event-ID), as a browser's EventSource does
  for (;;) {
    try {
      await readEvents(
        o,
        o.follow ? '/events' : '/events?follow=0',
        { 'last-event-id': String(last) },
        (m) => {
          if (m.id !== undefined && /^\d+$/.test(m.id)) last = Number(m.id);
          const line =
            m.event === 'gap' ? JSON.stringify({ type: 'gap', ...(JSON.parse(m.data) as object) }) : m.data;
          process.stdout.write(line + '\n');
        },
      );
      if (!o.follow) return 0;
    } catch (e) {
      process.stderr.write(`keepalived-ts events: ${o.url}: ${(e as Error).message}\n`);
      if (!o.follow) return 1;
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
}
