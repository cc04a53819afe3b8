// The status listener's web page (GET /): one self-contained HTML document, in the spirit of HAProxy's
// stats page. It loads /status once, then follows /events and updates the tables in place: instances
// (state, priority and each tracker's part), virtual and real servers with their health, and a timeline of
// the events with their reasons. Nothing external: inline style and script only (the listener sends a
// Content-Security-Policy that allows exactly these, by hash).
//
// /events is read with fetch() and a stream reader, not EventSource: EventSource cannot send an
// Authorization header, and a token in the URL would end up in histories and proxies' logs. With a token
// configured the page asks for it once (kept in the tab's sessionStorage, sent as a Bearer header); the
// page itself holds no secret. Every text from the daemon goes in through textContent, never as HTML.

/** The page's style sheet (the listener hashes it for its Content-Security-Policy). */
export const STATUS_PAGE_STYLE = `
:root { --bg:#f4f5f7; --fg:#1d2330; --muted:#667085; --line:#d0d5dd; --head:#2b3a55; --master:#2f9e44;
  --backup:#1971c2; --fault:#e03131; --init:#868e96; --up:#d3f9d8; --down:#ffc9c9; }
* { box-sizing: border-box; }
body { margin:0; font:13px/1.4 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif;
  background:var(--bg); color:var(--fg); }
header { display:flex; align-items:baseline; gap:16px; padding:10px 16px; background:var(--head); color:#fff; }
header h1 { margin:0; font-size:18px; font-weight:600; }
header .meta { color:#c5cee0; }
header .conn { margin-left:auto; font-weight:600; }
.conn::before { content:"\\25CF "; }
.conn.live { color:#8ce99a; } .conn.down { color:#ffa8a8; } .conn.wait { color:#ffe066; }
main { padding:12px 16px; display:grid; gap:14px; }
section h2 { margin:0 0 6px; font-size:14px; text-transform:uppercase; letter-spacing:.04em; color:var(--head); }
table { border-collapse:collapse; width:100%; background:#fff; border:1px solid var(--line); }
th, td { padding:4px 8px; border-bottom:1px solid var(--line); text-align:left; vertical-align:top; }
th { background:#e9ecf2; font-weight:600; white-space:nowrap; }
td.num { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
th .muted { font-weight:400; }
.state { font-weight:700; color:#fff; text-align:center; border-radius:3px; padding:1px 6px; display:inline-block;
  min-width:64px; }
.s-MASTER { background:var(--master); } .s-BACKUP { background:var(--backup); } .s-FAULT { background:var(--fault); }
.s-INIT, .s-STOP { background:var(--init); }
tr.up td { background:var(--up); } tr.down td { background:var(--down); }
tr.vs th { background:#dbe4ff; }
.tracker { display:inline-block; margin:0 6px 2px 0; padding:0 5px; border:1px solid var(--line); border-radius:3px;
  background:#f8f9fa; white-space:nowrap; }
.tracker.fault { border-color:var(--fault); color:var(--fault); }
.plus { color:var(--master); } .minus { color:var(--fault); }
.muted { color:var(--muted); }
.reason { font-family:ui-monospace, "DejaVu Sans Mono", monospace; font-size:12px; }
@keyframes flash { from { box-shadow:inset 0 0 0 9999px #fff3bf; } to { box-shadow:none; } }
tr.changed td { animation:flash 2.5s ease-out; }
#token { display:none; padding:12px 16px; background:#fff3bf; }
#token.shown { display:block; }
#timeline td:first-child { white-space:nowrap; }
`;

/** The page's script (hashed like the style). */
export const STATUS_PAGE_SCRIPT = `
'use strict';
const TOKEN_KEY = 'keepalived-ts-token';
const TIMELINE_MAX = 200;
let doc = null;
let lastSeq = 0;
let streaming = false;
const timeline = [];
const seen = new Set();
const changed = new Set();

const $ = (id) => document.getElementById(id);
function el(tag, props, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (k === 'class') e.className = v; else if (k === 'text') e.textContent = v; else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}
function authHeaders(extra) {
  const h = Object.assign({}, extra);
  const t = sessionStorage.getItem(TOKEN_KEY);
  if (t) h.authorization = 'Bearer ' + t;
  return h;
}
function connection(text, cls) { const c = $('conn'); c.textContent = text; c.className = 'conn ' + cls; }
function askToken() {
  sessionStorage.removeItem(TOKEN_KEY);
  connection('token needed', 'down');
  $('token').className = 'shown';
  $('token-input').focus();
}
function ago(iso) {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 90) return s + ' s ago';
  if (s < 5400) return Math.round(s / 60) + ' min ago';
  if (s < 172800) return Math.round(s / 3600) + ' h ago';
  return Math.round(s / 86400) + ' d ago';
}
function clock(iso) { return new Date(iso).toLocaleTimeString([], { hour12: false }); }
function stateCell(state) { return el('span', { class: 'state s-' + state, text: state }); }

function renderHeader() {
  const d = doc.daemon;
  $('router').textContent = d.routerId ? d.routerId : '';
  $('meta').textContent = d.implementation + ' ' + d.version + ' \\u00b7 pid ' + d.pid + ' \\u00b7 up since ' +
    new Date(d.startedAt).toLocaleString([], { hour12: false });
  $('seq').textContent = lastSeq ? 'event #' + lastSeq : '';
}

function trackerChip(t) {
  const sign = t.contribution > 0 ? 'plus' : t.contribution < 0 ? 'minus' : 'muted';
  const part = t.fault ? 'FAULT' : (t.contribution > 0 ? '+' : '') + t.contribution;
  return el('span', { class: 'tracker' + (t.fault ? ' fault' : ''), title: 'weight ' + t.weight +
    (t.reverse ? ' reverse' : '') + (t.note ? ' \\u00b7 ' + t.note : '') },
    t.kind + ':' + t.name + ' ', el('span', { class: 'muted', text: t.status }), ' ',
    el('b', { class: sign, text: part }));
}

function renderInstances() {
  const body = $('instances').tBodies[0];
  body.replaceChildren();
  for (const i of doc.instances) {
    const master = i.master.self ? 'self' : i.master.address
      ? i.master.address + (i.master.priority !== undefined ? ' (' + i.master.priority + ')' : '') : '\\u2014';
    const last = i.lastTransition;
    const tr = el('tr', { 'data-instance': i.name, class: changed.has('i:' + i.name) ? 'changed' : '' },
      el('td', {}, el('b', { text: i.name }), i.syncGroup ? el('div', { class: 'muted', text: 'group ' + i.syncGroup }) : null),
      el('td', { class: 'st' }, stateCell(i.state)),
      el('td', { class: 'num prio' }, el('b', { text: i.priority.effective }),
        i.priority.effective !== i.priority.base ? el('span', { class: 'muted', text: ' / ' + i.priority.base }) : null),
      el('td', {}, ...(i.priority.trackers.length ? i.priority.trackers.map(trackerChip) : [el('span', { class: 'muted', text: '\\u2014' })]),
        ...i.faults.filter((f) => !i.priority.trackers.some((t) => t.fault && t.kind + ':' + t.name === f))
          .map((f) => el('span', { class: 'tracker fault', text: f + ' FAULT' }))),
      el('td', { class: 'num', text: i.vrid }),
      el('td', { text: i.interface + ' \\u00b7 v' + i.version }),
      el('td', { class: 'master', text: master }),
      el('td', { text: i.vips.map((v) => v.address + '/' + v.prefix).join(' ') }),
      el('td', {}, last ? el('div', { class: 'reason', text: last.from + '\\u2192' + last.to + ': ' + last.reason }) : null,
        last ? el('div', { class: 'muted ago', 'data-at': last.at, text: ago(last.at) }) : null),
      el('td', { class: 'num', text: i.counters.advert_rcvd + ' / ' + i.counters.advert_sent }));
    body.append(tr);
  }
  if (doc.instances.length === 0) body.append(el('tr', {}, el('td', { colspan: '10', class: 'muted', text: 'no VRRP instance' })));
}

function renderGroups() {
  $('groups-section').hidden = doc.syncGroups.length === 0;
  $('groups').tBodies[0].replaceChildren(...doc.syncGroups.map((g) =>
    el('tr', {}, el('td', { text: g.name }), el('td', {}, stateCell(g.state)), el('td', { text: g.members.join(', ') }))));
}

function renderServers() {
  $('servers-section').hidden = doc.virtualServers.length === 0;
  const body = $('servers').tBodies[0];
  body.replaceChildren();
  for (const vs of doc.virtualServers) {
    const up = vs.realServers.filter((r) => r.up).length;
    body.append(el('tr', { class: 'vs' }, el('th', { colspan: '2', text: vs.name }),
      el('th', { colspan: '3', text: up + ' of ' + vs.realServers.length + ' up' })));
    for (const r of vs.realServers) {
      const key = 'r:' + vs.name + '|' + r.address + ':' + r.port;
      // the verdict's own words once one arrived live, else each checker's last result at load
      const checks = r.note ? [r.note] : r.checkers.map((c) => c.kind + ' ' + (c.up ? 'up' : 'down') +
        (c.last ? ': ' + (c.last.ok ? 'ok' : c.last.detail) + ' (' + c.last.durationMs + ' ms)' : ''));
      body.append(el('tr', { class: (r.up ? 'up' : 'down') + (changed.has(key) ? ' changed' : ''), 'data-server': r.address + ':' + r.port },
        el('td', { text: r.address + ':' + r.port }), el('td', {}, el('b', { text: r.up ? 'UP' : 'DOWN' })),
        el('td', { class: 'num', text: r.weight }), el('td', { class: 'reason', text: checks.join('; ') }),
        el('td', { class: 'muted', text: r.checkers.length + ' checker' + (r.checkers.length === 1 ? '' : 's') })));
    }
  }
}

function renderBfd() {
  $('bfd-section').hidden = doc.bfd.length === 0;
  $('bfd').tBodies[0].replaceChildren(...doc.bfd.map((b) =>
    el('tr', { class: b.up ? 'up' : 'down' }, el('td', { text: b.name }), el('td', {}, el('b', { text: b.up ? 'Up' : 'Down' })))));
}

function describe(e) {
  switch (e.type) {
    case 'state-change': return [e.instance, el('span', {}, stateCell(e.from), ' \\u2192 ', stateCell(e.to), ' prio ' + e.priority), e.reason];
    case 'tracker': return [e.tracker, e.effects.map((x) => x.instance + ' ' + x.priorityFrom + '\\u2192' + x.priorityTo +
      (x.faultTo !== x.faultFrom ? (x.faultTo ? ' FAULT' : ' fault cleared') : '')).join(', ') || 'no effect', e.reason];
    case 'checker': return [e.realServer, (e.up ? 'UP' : 'DOWN') + ' in ' + e.virtualServer + ' (weight ' + e.weight + ')', e.reason];
    case 'bfd': return [e.session, 'BFD ' + (e.up ? 'Up' : 'Down'), ''];
    case 'takeover': {
      const t = e.timing, since = t.sinceLastAdvertMs, d = t.sinceDecisionMs;
      return [e.instance, 'MASTER in ' + (since && since.vipsInstalled !== undefined ? since.vipsInstalled + ' ms after the last advert'
        : d.vipsInstalled !== undefined ? d.vipsInstalled + ' ms after the decision' : '?'), t.reason];
    }
    case 'split-brain': return [e.instance, 'split brain with ' + e.other.address + ' prio ' + e.other.priority, e.cause];
    case 'split-brain-healed': return [e.instance, 'split brain over after ' + Math.round(e.durationMs) + ' ms', e.reason];
    case 'handover': return [e.instance, 'handover ' + e.outcome + (e.newMaster ? ' to ' + e.newMaster.address + ' prio ' +
      e.newMaster.priority : e.to ? ' to ' + e.to : '') + (e.durationMs !== undefined ? ' in ' + e.durationMs + ' ms' : ''), e.reason];
    default: return [e.type, '', ''];
  }
}

function renderTimeline() {
  const body = $('timeline').tBodies[0];
  body.replaceChildren();
  for (let k = timeline.length - 1; k >= 0; k--) {
    const e = timeline[k];
    const [what, change, reason] = describe(e);
    body.append(el('tr', { 'data-seq': e.seq, class: 'ev-' + e.type },
      el('td', {}, clock(e.at), el('div', { class: 'muted ago', 'data-at': e.at, text: ago(e.at) })),
      el('td', { class: 'num muted', text: '#' + e.seq }), el('td', { text: e.type }), el('td', { text: what }),
      el('td', {}, change), el('td', { class: 'reason', text: reason })));
  }
  if (timeline.length === 0) body.append(el('tr', {}, el('td', { colspan: '6', class: 'muted', text: 'nothing happened yet' })));
}

function render() {
  if (doc === null) return;
  renderHeader(); renderInstances(); renderGroups(); renderServers(); renderBfd(); renderTimeline();
  changed.clear();
}

// Events change the document in place; each sets values (never adds to them), so that one seen twice (the
// history replayed after /status) leaves the same page.
function apply(e) {
  if (e.seq > lastSeq) lastSeq = e.seq;
  if (seen.has(e.seq)) return;
  seen.add(e.seq);
  timeline.push(e);
  timeline.sort((a, b) => a.seq - b.seq);
  while (timeline.length > TIMELINE_MAX) seen.delete(timeline.shift().seq);
  const inst = (name) => doc.instances.find((i) => i.name === name);
  if (e.type === 'state-change') {
    const i = inst(e.instance);
    if (!i) return;
    if (i.seq !== undefined && e.seq < i.seq) return;
    i.seq = e.seq;
    i.state = e.to;
    i.priority.effective = e.priority;
    i.lastTransition = { at: e.at, from: e.from, to: e.to, reason: e.reason };
    const heard = /advert from (\\S+) priority (\\d+)/.exec(e.reason);
    if (e.to === 'MASTER') i.master = { self: true, priority: e.priority };
    else if (heard) i.master = { self: false, address: heard[1], priority: Number(heard[2]) };
    else if (e.from === 'MASTER' || i.master.self) i.master = { self: false };
    changed.add('i:' + i.name);
  } else if (e.type === 'tracker') {
    for (const x of e.effects) {
      const i = inst(x.instance);
      if (!i) continue;
      i.priority.effective = x.priorityTo;
      const t = i.priority.trackers.find((t) => t.kind + ':' + t.name === e.tracker);
      if (t) {
        const others = i.priority.trackers.reduce((s, o) => s + (o === t ? 0 : o.contribution), 0);
        if (x.priorityTo > 0 && x.priorityTo < 255) t.contribution = x.priorityTo - i.priority.base - others;
        t.fault = x.faultTo;
        t.note = e.reason;
        const status = trackerStatus(e.reason);
        if (status !== undefined) t.status = status;
      }
      i.faults = i.faults.filter((f) => f !== e.tracker).concat(x.faultTo ? [e.tracker] : []);
      changed.add('i:' + i.name);
    }
  } else if (e.type === 'checker') {
    const vs = doc.virtualServers.find((v) => v.name === e.virtualServer);
    const r = vs && vs.realServers.find((r) => r.address + ':' + r.port === e.realServer ||
      '[' + r.address + ']:' + r.port === e.realServer);
    if (r) { r.up = e.up; r.weight = e.weight; r.note = e.reason; changed.add('r:' + vs.name + '|' + r.address + ':' + r.port); }
  } else if (e.type === 'bfd') {
    const b = doc.bfd.find((b) => b.name === e.session);
    if (b) b.up = e.up; else doc.bfd.push({ name: e.session, up: e.up });
  }
}

// A tracker's status (as /status words it) from its event's reason (src/api/tracker-events.ts).
function trackerStatus(reason) {
  let m;
  if ((m = /^(?:interface|bfd) \\S+ (up|down)$/.exec(reason))) return m[1];
  if ((m = /^script \\S+ (succeeded|failed)/.exec(reason))) return m[1] === 'succeeded' ? 'ok' : 'failed';
  if ((m = /^track file \\S+ = (\\S+)$/.exec(reason))) return m[1];
  if ((m = /^process \\S+ (running|stopped)$/.exec(reason))) return m[1] === 'running' ? 'up' : 'down';
  return undefined;
}

async function loadStatus() {
  const res = await fetch('status', { headers: authHeaders(), cache: 'no-store' });
  if (res.status === 401) { askToken(); return false; }
  if (!res.ok) throw new Error('/status answered ' + res.status);
  doc = await res.json();
  for (const t of doc.transitions) apply(t);
  render();
  return true;
}

// Server-sent events over fetch(): the WHATWG framing (id, event, data, retry; blank line ends a message).
async function follow() {
  let retry = 2000;
  for (;;) {
    try {
      const res = await fetch('events', { headers: authHeaders({ 'last-event-id': String(lastSeq) }), cache: 'no-store' });
      if (res.status === 401) { askToken(); return; }
      if (!res.ok || !res.body) throw new Error('/events answered ' + res.status);
      connection('live', 'live');
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      let msg = { event: 'message', data: [] };
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let nl;
        while ((nl = buf.indexOf('\\n')) >= 0) {
          const line = buf.slice(0, nl).replace(/\\r$/, '');
          buf = buf.slice(nl + 1);
          if (line === '') {
            if (msg.data.length) dispatch(msg.event, msg.data.join('\\n'));
            msg = { event: 'message', data: [] };
            continue;
          }
          const colon = line.indexOf(':');
          if (colon === 0) continue;
          const field = colon < 0 ? line : line.slice(0, colon);
          const val = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'event') msg.event = val;
          else if (field === 'data') msg.data.push(val);
          else if (field === 'retry' && /^\\d+$/.test(val)) retry = Number(val);
        }
      }
    } catch (err) {
      console.warn('events:', err);
    }
    connection('reconnecting', 'wait');
    await new Promise((r) => setTimeout(r, retry));
  }
}

async function dispatch(type, data) {
  if (type === 'gap') {
    // events were lost while away (or the daemon restarted and numbers from 1 again): start over from a
    // fresh document; the history that follows in this stream fills the timeline again
    if (lastSeq === 0) return;
    timeline.length = 0;
    seen.clear();
    lastSeq = 0;
    await loadStatus();
    return;
  }
  let e;
  try { e = JSON.parse(data); } catch { return; }
  if (typeof e.seq !== 'number') return;
  apply(e);
  render();
}

async function start() {
  $('token').className = '';
  connection('loading', 'wait');
  try {
    if (!(await loadStatus())) return;
    if (!streaming) { streaming = true; await follow(); streaming = false; }
  } catch (err) {
    connection(String(err.message || err), 'down');
    setTimeout(start, 3000);
  }
}

$('token-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const t = $('token-input').value.trim();
  $('token-input').value = '';
  if (t) { sessionStorage.setItem(TOKEN_KEY, t); start(); }
});
setInterval(() => { for (const a of document.querySelectorAll('.ago')) a.textContent = ago(a.dataset.at); }, 1000);
start();
`;

/** The whole document served at GET /. */
export const STATUS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>keepalived-ts status</title>
<style>${STATUS_PAGE_STYLE}</style>
</head>
<body>
<header><h1>keepalived-ts <span id="router"></span></h1><span class="meta" id="meta"></span>
<span class="meta" id="seq"></span><span id="conn" class="conn wait">loading</span></header>
<div id="token"><form id="token-form">This listener wants its token:
<input id="token-input" type="password" autocomplete="off" aria-label="token"> <button>Open</button>
<span class="muted">kept in this tab only, sent as a Bearer header</span></form></div>
<main>
<section><h2>VRRP instances</h2>
<table id="instances"><thead><tr><th>Instance</th><th>State</th><th>Priority</th><th>Trackers</th><th>VRID</th>
<th>Interface</th><th>Master</th><th>Virtual IPs</th><th>Last transition</th><th>Adverts rx / tx <span class="muted">at load</span></th></tr></thead>
<tbody></tbody></table></section>
<section id="groups-section" hidden><h2>Sync groups</h2>
<table id="groups"><thead><tr><th>Group</th><th>State</th><th>Members</th></tr></thead><tbody></tbody></table></section>
<section id="servers-section" hidden><h2>Virtual and real servers</h2>
<table id="servers"><thead><tr><th>Server</th><th>Health</th><th>Weight</th><th>Last checks</th><th></th></tr></thead>
<tbody></tbody></table></section>
<section id="bfd-section" hidden><h2>BFD sessions</h2>
<table id="bfd"><thead><tr><th>Session</th><th>State</th></tr></thead><tbody></tbody></table></section>
<section><h2>Timeline</h2>
<table id="timeline"><thead><tr><th>Time</th><th>Event</th><th>Type</th><th>Subject</th><th>Change</th><th>Reason</th></tr></thead>
<tbody></tbody></table></section>
</main>
<script>${STATUS_PAGE_SCRIPT}</script>
</body>
</html>
`;
