// Generates tests/fixtures/keepalived-2.4.3-keywords.json: every keyword keepalived 2.4.3 installs, with
// the block it belongs to, read from keepalived's own keyword tables (the install_keyword* calls) in the
// mirror of its repository. Run once by hand: `node scripts/keepalived-keywords.js [repo] [tag] [out]`; the
// generated file is checked in so that tests need no mirror.
//
// keepalived builds its table by running code: install_keyword_root starts a top-level keyword,
// install_keyword adds one under the last keyword of the current depth, install_sublevel goes one level
// down (under the keyword installed last) and install_sublevel_end back up; helper functions install
// shared sets (the checkers' common keywords, HTTP_GET and SSL_GET). This script follows the same calls
// from keepalived's entry point, with every #ifdef branch and every process's variant taken (the union of
// what any build and any of its processes accepts), except the conditions on a helper's own parameters
// (`if (connection_keywords)`, `if (!strcmp(keyword, "SSL_GET"))`), which it evaluates.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

const repo = process.argv[2] ?? '/work/.mirror/acassen+keepalived/repo';
const tag = process.argv[3] ?? 'v2.4.3';
const output = new URL(
  process.argv[4] ?? '../tests/fixtures/keepalived-2.4.3-keywords.json',
  import.meta.url,
);

function git(...args) {
  return execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
}

/** Source files that call install_keyword*, comments removed (line count kept). */
function sources() {
  const files = git('grep', '-l', 'install_keyword', tag, '--', 'keepalived', 'lib')
    .split('\n')
    .filter((l) => l.endsWith('.c'))
    .map((l) => l.slice(tag.length + 1));
  // main.c holds the entry point (global_init_keywords) that calls each process's installer.
  files.push('keepalived/core/main.c');
  return files.map((path) => {
    const text = git('show', `${tag}:${path}`)
      .replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' '))
      .replace(/\/\/[^\n]*/g, '');
    return { path, text };
  });
}

/** Top-level function definitions: name, parameter names, body text and where the body starts. */
function functions(file) {
  const found = new Map();
  const head = /^([A-Za-z_]\w*)\s*\(([^)]*)\)\s*\n\{/gm;
  for (let m = head.exec(file.text); m; m = head.exec(file.text)) {
    const start = m.index + m[0].length;
    const end = file.text.indexOf('\n}', start);
    const params = m[2]
      .split(',')
      .map((p) => p.trim().match(/(\w+)\s*$/)?.[1])
      .filter((p) => p !== undefined && p !== 'void');
    found.set(m[1], { name: m[1], params, body: file.text.slice(start, end), file, offset: start });
  }
  return found;
}

function lineOf(file, offset) {
  return file.text.slice(0, offset).split('\n').length;
}

/** Evaluates a condition that depends on a bound parameter; undefined: not decidable (take the branch). */
function decide(cond, env) {
  const s = cond.trim();
  let m = s.match(/^!?\s*strcmp\s*\(\s*(\w+)\s*,\s*"([^"]*)"\s*\)$/);
  if (m && typeof env[m[1]] === 'string') {
    const equal = env[m[1]] === m[2];
    return s.startsWith('!') ? equal : !equal;
  }
  m = s.match(/^(!?)\s*(\w+)$/);
  if (m && typeof env[m[2]] === 'boolean') return m[1] === '!' ? !env[m[2]] : env[m[2]];
  return undefined;
}

/** Index just past the statement starting at i (a `{...}` block or up to its `;`). */
function skipStatement(body, i) {
  while (/\s/.test(body[i])) i++;
  if (body[i] === '{') {
    let depth = 0;
    for (; i < body.length; i++) {
      if (body[i] === '{') depth++;
      else if (body[i] === '}' && --depth === 0) return i + 1;
    }
  }
  return body.indexOf(';', i) + 1;
}

/** Index of the parenthesis closing the one at i. */
function closeParen(body, i) {
  let depth = 0;
  for (; i < body.length; i++) {
    if (body[i] === '(') depth++;
    else if (body[i] === ')' && --depth === 0) return i;
  }
  return body.length;
}

function literal(arg, env) {
  const a = arg.trim();
  if (a.startsWith('"')) return a.slice(1, a.lastIndexOf('"'));
  if (a === 'true' || a === 'false') return a === 'true';
  return env[a];
}

function splitArgs(text) {
  const args = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === ',' && depth === 0) {
      args.push(cur);
      cur = '';
      continue;
    }
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    cur += ch;
  }
  if (cur.trim() !== '') args.push(cur);
  return args;
}

const INSTALL = new Set(['install_keyword', 'install_keyword_quoted', 'install_keyword_conditional']);

function run(entry, all) {
  const roots = [];
  // stack[d]: the keyword list keywords of depth d go into (0: the roots' children of the last root).
  const state = { depth: 0 };
  const lastAt = (depth) => {
    let list = roots;
    let node;
    for (let d = 0; d <= depth; d++) {
      node = list[list.length - 1];
      list = node.children;
    }
    return node;
  };
  const exec = (fn, env) => {
    const body = fn.body;
    const token = /\b(if|[A-Za-z_]\w*)\s*\(/g;
    for (let m = token.exec(body); m; m = token.exec(body)) {
      const open = m.index + m[0].length - 1;
      const close = closeParen(body, open);
      const inner = body.slice(open + 1, close);
      const name = m[1];
      if (name === 'if') {
        if (decide(inner, env) === false) token.lastIndex = skipStatement(body, close + 1);
        else token.lastIndex = close + 1;
        continue;
      }
      const args = splitArgs(inner);
      const where = `${fn.file.path}:${lineOf(fn.file, fn.offset + m.index)}`;
      if (name === 'install_keyword_root') {
        const keyword = literal(args[0], env);
        let root = roots.find((r) => r.keyword === keyword);
        if (root) roots.push(roots.splice(roots.indexOf(root), 1)[0]);
        else roots.push((root = { keyword, source: where, quoted: false, children: [] }));
        state.depth = 0;
      } else if (INSTALL.has(name)) {
        const keyword = literal(args[0], env);
        if (typeof keyword !== 'string') throw new Error(`${where}: cannot resolve ${args[0]}`);
        const parent = lastAt(state.depth);
        const existing = parent.children.find((c) => c.keyword === keyword);
        const entry = existing ?? {
          keyword,
          source: where,
          quoted: name === 'install_keyword_quoted',
          children: [],
        };
        if (existing) parent.children.splice(parent.children.indexOf(existing), 1);
        parent.children.push(entry);
      } else if (name === 'install_sublevel') {
        state.depth++;
      } else if (name === 'install_sublevel_end') {
        state.depth--;
      } else if (all.has(name) && name !== fn.name) {
        const callee = all.get(name);
        const calleeEnv = {};
        callee.params.forEach(
          (p, i) => (calleeEnv[p] = args[i] === undefined ? undefined : literal(args[i], env)),
        );
        exec(callee, calleeEnv);
      }
      token.lastIndex = close + 1;
    }
  };
  exec(all.get(entry), {});
  return roots;
}

/** Flattens the tree into one entry per keyword slot: its block path, whether it opens a block. */
function flatten(nodes, path, out) {
  for (const n of nodes) {
    out.push({
      block: path.join(' > '),
      keyword: n.keyword,
      opensBlock: n.children.length > 0,
      source: n.source,
    });
    flatten(n.children, [...path, n.keyword], out);
  }
  return out;
}

const all = new Map();
for (const file of sources()) for (const [name, fn] of functions(file)) if (!all.has(name)) all.set(name, fn);
const roots = run('global_init_keywords', all);
const keywords = flatten(roots, [], []);
const document = {
  description:
    `Every keyword slot of keepalived ${tag} (install_keyword* calls, all build options and processes), ` +
    'generated by scripts/keepalived-keywords.js. block: the enclosing blocks, outermost first, "" = top level.',
  keepalived: tag,
  count: keywords.length,
  keywords,
};
writeFileSync(output, JSON.stringify(document, null, 2) + '\n');
console.log(`${keywords.length} keyword slots written to ${output.pathname}`);
