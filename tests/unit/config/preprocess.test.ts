import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { preprocess, type PreprocessOptions } from '../../../src/config/preprocess.js';
import { Diagnostics, formatDiagnostic, type SourceLine } from '../../../src/config/types.js';
import { MemoryHost, type MemoryHostOptions } from './memory-host.js';

const MAIN = '/etc/keepalived/keepalived.conf';

interface Run {
  lines: string[];
  source: SourceLine[];
  diagnostics: string[];
  host: MemoryHost;
}

function run(
  files: Record<string, string> | string,
  opts: PreprocessOptions = {},
  hostOpts: MemoryHostOptions = {},
): Run {
  const host = new MemoryHost(typeof files === 'string' ? { [MAIN]: files } : files, hostOpts);
  const diags = new Diagnostics();
  const source = preprocess(MAIN, host, opts, diags);
  return { lines: source.map((l) => l.text), source, diagnostics: diags.items.map(formatDiagnostic), host };
}

function lines(text: string, opts: PreprocessOptions = {}, hostOpts: MemoryHostOptions = {}): string[] {
  const r = run(text, opts, hostOpts);
  assert.deepEqual(r.diagnostics, []);
  return r.lines;
}

void describe('comments and blank lines', () => {
  void test('whole-line and trailing # and ! comments go, blank lines and indentation go', () => {
    assert.deepEqual(lines('# top\n\n   ! bang\nglobal_defs   # trailing\n\t router_id x ! also\n\n'), [
      'global_defs',
      'router_id x',
    ]);
  });

  void test('comment characters inside double quotes are kept, single quotes do not protect', () => {
    assert.deepEqual(lines('notify "/bin/x #1 !2" # c\nname \'a # b\''), [
      'notify "/bin/x #1 !2"',
      "name 'a",
    ]);
  });

  void test('\\# and \\! outside quotes are literal characters; inside quotes the backslash stays', () => {
    assert.deepEqual(lines('pass a\\#b\\!c\nq "x\\#y"'), ['pass a#b!c', 'q "x\\#y"']);
  });

  void test('CRLF line ends are accepted', () => {
    assert.deepEqual(lines('a 1\r\nb 2\r\n'), ['a 1', 'b 2']);
  });

  void test('each output line keeps its original file and line number', () => {
    const r = run('# c\n\nvrrp_instance VI {\n  state MASTER\n}\n');
    assert.deepEqual(
      r.source.map((l) => `${l.line}:${l.text}`),
      ['3:vrrp_instance VI', '3:{', '4:state MASTER', '5:}'],
    );
    assert.equal(r.source[0].file, MAIN);
  });
});

void describe('braces split lines like keepalived', () => {
  void test('every unquoted brace becomes its own line; text between braces stays one line', () => {
    assert.deepEqual(lines('authentication { auth_type PASS auth_pass x }'), [
      'authentication',
      '{',
      'auth_type PASS auth_pass x',
      '}',
    ]);
    assert.deepEqual(lines('a{b}c'), ['a', '{', 'b', '}', 'c']);
  });

  void test('braces inside double quotes do not split', () => {
    assert.deepEqual(lines('x "a { b }" y'), ['x "a { b }" y']);
  });

  void test('the piece after a brace is examined again: conditionals and definitions apply to it', () => {
    assert.deepEqual(lines('unicast_peer { @node1 1.1.1.1 }\nunicast_peer { @^node1 2.2.2.2 }'), [
      'unicast_peer',
      '{',
      '1.1.1.1',
      '}',
      'unicast_peer',
      '{',
    ]);
  });

  void test('an undefined ${NAME} is left as written, and the line split at its braces as keepalived does', () => {
    const r = run('notify_master /bin/x ${UNDEF} ${_RANDOM 1 }\nrouter_id r${NOPE}x');
    assert.deepEqual(r.lines, [
      'notify_master /bin/x $',
      '{',
      'UNDEF',
      '}',
      '$',
      '{',
      '_RANDOM 1',
      '}',
      'router_id r$',
      '{',
      'NOPE',
      '}',
      'x',
    ]);
    assert.deepEqual(r.diagnostics, [
      `${MAIN}:1: note: '\${UNDEF}' left unexpanded (no such parameter): the line is split at its braces, as keepalived does`,
      `${MAIN}:1: note: '\${_RANDOM 1 }' left unexpanded (no such parameter): the line is split at its braces, as keepalived does`,
      `${MAIN}:2: note: '\${NOPE}' left unexpanded (no such parameter): the line is split at its braces, as keepalived does`,
    ]);
  });

  void test('an undefined $NAME without braces, and any ${NAME} inside quotes, stay as written', () => {
    assert.deepEqual(run('k $UNDEF a$UNDEF "x ${UNDEF} y" $').lines, ['k $UNDEF a$UNDEF "x ${UNDEF} y" $']);
  });
});

void describe('lines longer than keepalived reads at once', () => {
  void test('a line of more than 1023 characters is read in pieces of 1023, each a line of its own', () => {
    const comment = `# ${'c'.repeat(1100)}`; // 1102 characters: the second piece is not a comment
    const r = run(`a 1\n${comment}\nb 2\n`);
    assert.deepEqual(r.lines, ['a 1', 'c'.repeat(1102 - 1023), 'b 2']);
    // the first piece is empty once decommented: keepalived's copy then numbers the second piece 3
    assert.deepEqual(
      r.source.map((l) => l.line),
      [1, 3, 3],
    );
    assert.match(
      r.diagnostics[0] ?? '',
      /:2: note: line of 1102 characters: keepalived reads it in 2 pieces/,
    );
  });

  void test('a piece still 1023 long shares its number with the one before', () => {
    const words = 'w'.repeat(1023 * 2 + 10);
    const r = run(`  k ${words}\n`);
    assert.deepEqual(
      r.source.map((l) => [l.line, l.text.length]),
      [
        [1, 1021],
        [1, 1023],
        [3, 14],
      ],
    );
  });

  void test('a line of exactly 1023 characters is one line', () => {
    const r = run(`k ${'x'.repeat(1021)}\n`);
    assert.deepEqual(r.lines, [`k ${'x'.repeat(1021)}`]);
    assert.deepEqual(r.diagnostics, []);
  });
});

void describe('conditional lines', () => {
  void test('@id keeps the line only for that config id, @^id only for the others', () => {
    const text =
      '@main router_id main_router\n@backup router_id backup_router\n@^main peer 1\n@^backup peer 2';
    assert.deepEqual(lines(text, { configId: 'main' }), ['router_id main_router', 'peer 2']);
    assert.deepEqual(lines(text, { configId: 'other' }), ['peer 1', 'peer 2']);
  });

  void test('the default config id is the host name up to its first dot', () => {
    assert.deepEqual(lines('@lb1 yes 1\n@lb1.example.com no 2', {}, { hostname: 'lb1.example.com' }), [
      'yes 1',
    ]);
  });

  void test('an @id with nothing after it is dropped even when it matches', () => {
    assert.deepEqual(lines('@main\nx', { configId: 'main' }), ['x']);
  });
});

void describe('parameter definitions and substitution', () => {
  void test('$NAME followed by a blank, comma, ) or the end, and ${NAME} anywhere, are replaced', () => {
    assert.deepEqual(lines('$D=dv\na $D\nb $D,x\nc ($D)\nd ${D}y\ne $D.z'), [
      'a dv',
      'b dv,x',
      'c (dv)',
      'd dvy',
      'e $D.z',
    ]);
  });

  void test('substitution is recursive and happens at use time', () => {
    const text =
      '$ADDRESS_BASE=10.2.${ADDRESS_BASE_SUB}\n$ADDRESS_BASE_SUB=0\n${ADDRESS_BASE}.100/32\n$ADDRESS_BASE_SUB=10\n${ADDRESS_BASE}.100/32';
    assert.deepEqual(lines(text), ['10.2.0.100/32', '10.2.10.100/32']);
  });

  void test('undefined names stay as written; definitions need = right after the name', () => {
    assert.deepEqual(lines('$NOPE here\n$X =1\nv $X'), ['$NOPE here', '$X =1', 'v $X']);
  });

  void test('empty values are allowed, leading blanks of a value are dropped', () => {
    assert.deepEqual(lines('$E=\n$F=   f v\na${E}b $F'), ['ab f v']);
  });

  void test('a definition can be conditional, and a value can carry a conditional', () => {
    const text =
      '@main $PRIORITY=240\n@backup $PRIORITY=200\npriority $PRIORITY\n$IF_MAIN=@main\n$IF_MAIN state MASTER';
    assert.deepEqual(lines(text, { configId: 'main' }), ['priority 240', 'state MASTER']);
    assert.deepEqual(lines(text, { configId: 'backup' }), ['priority 200']);
  });

  void test('a definition consumes the rest of a line, braces included', () => {
    assert.deepEqual(lines('x { $Q=a } b\ny $Q'), ['x', '{', 'y a', '}', 'b']);
  });

  void test('multi-line definitions expand line by line at the use line, and nest', () => {
    const text = [
      '$RS= \\',
      '  real_server 10.0.0.${N} 80 { \\',
      '     weight ${N} \\',
      '  }',
      '$VS= \\',
      'virtual_server 10.0.0.1 80 { \\',
      '  $N=1 \\',
      '  $RS \\',
      '  $N=2 \\',
      '  $RS \\',
      '}',
      '$VS',
    ].join('\n');
    const r = run(text);
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(r.lines, [
      'virtual_server 10.0.0.1 80',
      '{',
      'real_server 10.0.0.1 80',
      '{',
      'weight 1',
      '}',
      'real_server 10.0.0.2 80',
      '{',
      'weight 2',
      '}',
      '}',
    ]);
    assert.ok(r.source.every((l) => l.line === 12));
  });

  void test('an empty line ends a multi-line definition; comment and blank-only lines do not', () => {
    const text = '$M= \\\n a \\\n # note\n \t \n b \\\n\n c\n$M';
    assert.deepEqual(lines(text), ['c', 'a', 'b']);
  });

  void test('a multi-line definition is only expanded where its reference ends the line', () => {
    assert.deepEqual(lines('$M= \\\n a \\\n b\nx $M\ny $M z'), ['x a', 'b', 'y $M z']);
  });

  void test('a self-referencing definition is an error, not a hang', () => {
    const r = run('$A=x${A}\nv $A');
    assert.deepEqual(r.diagnostics, [
      `${MAIN}:2: error: parameter substitution does not terminate ('$A' refers to itself?)`,
    ]);
  });

  void test('a multi-line definition that uses itself is an error', () => {
    const r = run('$A= \\\n x \\\n $A\n$A');
    assert.equal(r.diagnostics.length, 1);
    assert.match(
      r.diagnostics[0],
      /^\/etc\/keepalived\/keepalived\.conf:4: error: expansion nested more than 64 deep/,
    );
  });
});

void describe('built-in definitions', () => {
  void test('${_PWD} is the directory of the file being read, also inside includes', () => {
    const r = run({
      [MAIN]: 'a ${_PWD}\ninclude conf.d/x.conf',
      '/etc/keepalived/conf.d/x.conf': 'b ${_PWD}',
    });
    assert.deepEqual(r.lines, ['a /etc/keepalived', 'b /etc/keepalived/conf.d']);
  });

  void test('${_INSTANCE} is the instance, defaulting to the config id', () => {
    assert.deepEqual(lines('i ${_INSTANCE}', { configId: 'lb7' }), ['i lb7']);
    assert.deepEqual(lines('i ${_INSTANCE}', { configId: 'lb7', instance: 'blue' }), ['i blue']);
  });

  void test('${_RANDOM [MIN [MAX]]} asks the host for a number in range (default 0..32767)', () => {
    const r = run('r ${_RANDOM} ${_RANDOM 5} ${_RANDOM 10 20}', {}, { randoms: [7, 8, 15] });
    assert.deepEqual(r.lines, ['r 7 8 15']);
    assert.deepEqual(r.host.randomCalls, [
      [0, 32767],
      [5, 32767],
      [10, 20],
    ]);
  });

  void test('${_RANDOM} with MIN > MAX is an error', () => {
    const r = run('r ${_RANDOM 9 3}');
    assert.deepEqual(r.diagnostics, [
      `${MAIN}:1: error: \${_RANDOM 9 3}: MIN 9 is greater than MAX 3`,
      `${MAIN}:1: note: '\${_RANDOM 9 3}' left unexpanded (no such parameter): the line is split at its braces, as keepalived does`,
    ]);
  });

  void test('${_ENV NAME} reads the environment; unset is empty with a warning', () => {
    const r = run('e ${_ENV HOME}/x ${_ENV NOT_SET}.', {}, { env: { HOME: '/root' } });
    assert.deepEqual(r.lines, ['e /root/x .']);
    assert.deepEqual(r.diagnostics, [
      `${MAIN}:1: warning: \${_ENV NOT_SET}: environment variable NOT_SET is not set`,
    ]);
  });

  void test('${_HASH} and ${_BANG} give literal comment characters', () => {
    assert.deepEqual(lines('auth_pass a${_HASH}b${_BANG}c'), ['auth_pass a#b!c']);
  });

  void test('a user definition hides a built-in of the same name', () => {
    assert.deepEqual(lines('$_PWD=mine\np ${_PWD}'), ['p mine']);
  });
});

void describe('~SEQ and ~LST', () => {
  void test('~SEQ(var, start, step, end), (start, end) and (end)', () => {
    assert.deepEqual(
      lines('~SEQ(i, 1, 2, 6) a${i}\n~SEQ(j, 5, 3) b${j}\n~SEQ(k, 3) c${k}\n~SEQ(m, -2) d${m}'),
      ['a1', 'a3', 'a5', 'b5', 'b4', 'b3', 'c1', 'c2', 'c3', 'd-1', 'd-2'],
    );
  });

  void test('~SEQ(var, 0) counts down from 1 to 0; a single-value range yields one line', () => {
    assert.deepEqual(lines('~SEQ(a, 0) a${a}\n~SEQ(b, 2, 1, 2) b${b}'), ['a1', 'a0', 'b2']);
  });

  void test('~SEQx prints hex and accepts C-style numbers', () => {
    assert.deepEqual(lines('~SEQx(S, 0x90, 0x10, 0xc0) ip fe80::20:${S}:1'), [
      'ip fe80::20:90:1',
      'ip fe80::20:a0:1',
      'ip fe80::20:b0:1',
      'ip fe80::20:c0:1',
    ]);
  });

  void test('several ~SEQ on a line nest, the first varying slowest; the variable stays defined', () => {
    assert.deepEqual(lines('~SEQ(a, 1, 2) ~SEQ(b, 3, 4) x${a}.${b}\nlast ${a}${b}'), [
      'x1.3',
      'x1.4',
      'x2.3',
      'x2.4',
      'last 24',
    ]);
  });

  void test('~SEQ bounds may use parameters; ~SEQ can drive a multi-line definition', () => {
    const text = '$N=2\n$VI= \\\nvrrp_instance VI_${I} { \\\n  virtual_router_id ${I} \\\n}\n~SEQ(I, $N) $VI';
    assert.deepEqual(lines(text), [
      'vrrp_instance VI_1',
      '{',
      'virtual_router_id 1',
      '}',
      'vrrp_instance VI_2',
      '{',
      'virtual_router_id 2',
      '}',
    ]);
  });

  void test('~LST with single and grouped variables, nested and combined with ~SEQ', () => {
    assert.deepEqual(lines('~LST(v, x, y) l${v}'), ['lx', 'ly']);
    assert.deepEqual(lines('~LST({IP, IP1}, {10,1},{20,4}) 192.168.${IP}.${IP1}'), [
      '192.168.10.1',
      '192.168.20.4',
    ]);
    assert.deepEqual(lines('~LST(A, 1, 2) ~LST(B, 5,6) ${A}.${B}'), ['1.5', '1.6', '2.5', '2.6']);
    assert.deepEqual(lines('~LST({P,Q}, {10,1},{20,4}) ~SEQ(R,168,2,170) ${R}.${P}.${Q}'), [
      '168.10.1',
      '170.10.1',
      '168.20.4',
      '170.20.4',
    ]);
    assert.deepEqual(lines('~LST( v , a1 , , b1 ) [${v}]'), ['[a1]', '[]', '[b1]']);
  });

  void test('invalid ~SEQ and ~LST specifications are errors naming the line', () => {
    const r = run(
      '~SEQ(z, 1, 0, 3) a\n~SEQ(, 3) b\n~SEQx(c, -3, 1) c\n~LST(w) d\n~LST({a,b},{1,2,3}) e\n~SEQ(e, 1, 3\n~LST(r, "a b") f',
    );
    assert.deepEqual(r.lines, []);
    assert.deepEqual(r.diagnostics, [
      `${MAIN}:1: error: invalid ~SEQ values '~SEQ(z, 1, 0, 3) a': step cannot reach the end`,
      `${MAIN}:2: error: invalid ~SEQ definition '~SEQ(, 3) b': expected (var, [start, [step,]] end)`,
      `${MAIN}:3: error: ~SEQx is only valid for positive numbers '~SEQx(c, -3, 1) c'`,
      `${MAIN}:4: error: invalid ~LST specification '~LST(w) d': no values`,
      `${MAIN}:5: error: ~LST specification has too many values '~LST({a,b},{1,2,3}) e'`,
      `${MAIN}:6: error: invalid ~SEQ specification: missing ')' in '~SEQ(e, 1, 3'`,
      `${MAIN}:7: error: invalid ~LST specification '~LST(r, "a b") f': quotes are not allowed`,
    ]);
  });

  void test('other ~ lines pass through unchanged', () => {
    assert.deepEqual(lines('~foo bar'), ['~foo bar']);
  });
});

void describe('include', () => {
  const files = {
    [MAIN]: 'top 1\ninclude conf.d/*.conf\ntop 2',
    '/etc/keepalived/conf.d/b.conf': 'b 1\ninclude ../extra/c.conf',
    '/etc/keepalived/conf.d/a.conf': 'a 1',
    '/etc/keepalived/conf.d/.hidden.conf': 'hidden',
    '/etc/keepalived/extra/c.conf': 'c 1',
  };

  void test('globs relative to the including file, sorted, nested, without dot files', () => {
    const r = run(files);
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(
      r.source.map((l) => `${l.file}:${l.line}:${l.text}`),
      [
        `${MAIN}:1:top 1`,
        '/etc/keepalived/conf.d/a.conf:1:a 1',
        '/etc/keepalived/conf.d/b.conf:1:b 1',
        '/etc/keepalived/extra/c.conf:1:c 1',
        `${MAIN}:3:top 2`,
      ],
    );
  });

  void test('brace alternatives are read in written order; ? and [...] match one character', () => {
    const r = run({
      [MAIN]: 'include {z,a}.conf\ninclude f?.conf\ninclude g[0-1].conf',
      '/etc/keepalived/a.conf': 'A',
      '/etc/keepalived/z.conf': 'Z',
      '/etc/keepalived/f1.conf': 'F1',
      '/etc/keepalived/f10.conf': 'F10',
      '/etc/keepalived/g1.conf': 'G1',
      '/etc/keepalived/g2.conf': 'G2',
    });
    assert.deepEqual(r.lines, ['Z', 'A', 'F1', 'G1']);
  });

  void test('include takes the rest of the line as the pattern, after conditionals and substitution', () => {
    const r = run(
      {
        [MAIN]: '$F=two.conf\n@node1 include one.conf\ninclude $F\ninclude /etc/keepalived/one.conf extra',
        '/etc/keepalived/one.conf': 'ONE',
        '/etc/keepalived/two.conf': 'TWO',
      },
      { configId: 'node1' },
    );
    assert.deepEqual(r.lines, ['ONE', 'TWO']);
    assert.deepEqual(r.diagnostics, [
      `${MAIN}:4: warning: include: no file matches '/etc/keepalived/one.conf extra'`,
    ]);
  });

  void test('a missing plain include is a warning, an unmatched wildcard is silent', () => {
    const r = run('include missing.conf\ninclude none*.conf\nafter');
    assert.deepEqual(r.lines, ['after']);
    assert.deepEqual(r.diagnostics, [`${MAIN}:1: warning: include: no file matches 'missing.conf'`]);
  });

  void test('includer, includem, includew, includeb and includea make problems errors', () => {
    const r = run(
      {
        [MAIN]: [
          'includer locked.conf',
          'includem missing.conf',
          'includem none*.conf',
          'includew none*.conf',
          'includeb {one,two}.conf',
          'includea conf.d',
          'include conf.d',
        ].join('\n'),
        '/etc/keepalived/one.conf': 'ONE',
        '/etc/keepalived/conf.d/x.conf': 'X',
      },
      {},
      { unreadable: ['/etc/keepalived/locked.conf'] },
    );
    assert.deepEqual(r.lines, []);
    assert.deepEqual(r.diagnostics, [
      `${MAIN}:1: error: includer: cannot read '/etc/keepalived/locked.conf'`,
      `${MAIN}:2: error: includem: no file matches 'missing.conf'`,
      `${MAIN}:4: error: includew: no file matches 'none*.conf'`,
      `${MAIN}:5: error: includeb: no file matches '/etc/keepalived/two.conf' (from '{one,two}.conf')`,
      `${MAIN}:6: error: includea: '/etc/keepalived/conf.d/' is a directory - skipping`,
      `${MAIN}:7: warning: include: '/etc/keepalived/conf.d/' is a directory - skipping`,
    ]);
  });

  void test('include_check in global_defs applies to later includes, +/- adjust it', () => {
    const r = run(
      'global_defs {\n include_check match\n}\ninclude a.conf\ninclude b*.conf\nglobal_defs {\n include_check +wildcard_match -match bogus\n}\ninclude c*.conf',
    );
    assert.deepEqual(r.diagnostics, [
      `${MAIN}:4: error: include: no file matches 'a.conf'`,
      `${MAIN}:7: warning: include_check: unknown include_check type 'bogus' - ignoring`,
      `${MAIN}:9: error: include: no file matches 'c*.conf'`,
    ]);
    // The keyword itself is kept for the model (which ignores it).
    assert.ok(r.lines.includes('include_check match'));
  });

  void test('include_check outside global_defs has no effect here; a bare include_check enables all', () => {
    const r = run('include_check\ninclude a.conf\nglobal_defs { include_check }\ninclude b.conf');
    assert.deepEqual(r.diagnostics, [
      `${MAIN}:2: warning: include: no file matches 'a.conf'`,
      `${MAIN}:4: error: include: no file matches 'b.conf'`,
    ]);
  });

  void test('include_check set inside an included file ends with that file', () => {
    const r = run({
      [MAIN]: 'include inner.conf\ninclude missing.conf',
      '/etc/keepalived/inner.conf': 'global_defs {\ninclude_check\n}\ninclude missing2.conf',
    });
    assert.deepEqual(r.diagnostics, [
      `/etc/keepalived/inner.conf:4: error: include: no file matches 'missing2.conf'`,
      `${MAIN}:2: warning: include: no file matches 'missing.conf'`,
    ]);
  });

  void test('an include cycle is an error naming the chain, and reading goes on', () => {
    const r = run({
      [MAIN]: 'include a.conf\nend',
      '/etc/keepalived/a.conf': 'a\ninclude b.conf',
      '/etc/keepalived/b.conf': 'b\ninclude keepalived.conf',
    });
    assert.deepEqual(r.lines, ['a', 'b', 'end']);
    assert.deepEqual(r.diagnostics, [
      `/etc/keepalived/b.conf:2: error: include: '${MAIN}' is already being read (include cycle: ${MAIN} -> /etc/keepalived/a.conf -> /etc/keepalived/b.conf -> ${MAIN}) - skipping`,
    ]);
  });

  void test('include without a file name is an error; a missing main file is an error', () => {
    assert.deepEqual(run('include').diagnostics, [`${MAIN}:1: error: include: missing file name`]);
    const diags = new Diagnostics();
    assert.deepEqual(preprocess('/nope.conf', new MemoryHost(), {}, diags), []);
    assert.deepEqual(diags.items.map(formatDiagnostic), [
      '/nope.conf:0: error: cannot read configuration file',
    ]);
  });

  void test('a relative main file is resolved against the working directory', () => {
    const host = new MemoryHost({ '/srv/k/main.conf': 'p ${_PWD}' }, { cwd: '/srv/k' });
    const out = preprocess('main.conf', host, {}, new Diagnostics());
    assert.deepEqual(out, [{ file: '/srv/k/main.conf', line: 1, text: 'p /srv/k' }]);
  });
});
