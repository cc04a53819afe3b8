// Walks keepalived 2.4.3's keyword table (tests/fixtures/keepalived-2.4.3-keywords.json, generated from its
// install_keyword* calls by scripts/keepalived-keywords.js): every keyword, written alone in its block,
// must either have an effect here (keyword-support.ts names the model field and a file outside the parser
// that reads it, and the parser knows the keyword) or be said at its file:line as a note. Nothing is read
// and silently ignored.
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { loadModel } from '../../../src/config/index.js';
import {
  KEYWORD_SUPPORT,
  keywordSupport,
  OWN_KEYWORD_SUPPORT,
  type KeywordSupport,
} from '../../../src/config/keyword-support.js';
import { configTestExitCode } from '../../../src/config/config-test-exit.js';
import type { Diagnostic } from '../../../src/config/types.js';
import { MemoryHost } from './memory-host.js';
import { blockKind } from '../../../src/config/block-keywords.js';

const root = new URL('../../../../', import.meta.url).pathname;

interface KeywordSlot {
  block: string;
  keyword: string;
  opensBlock: boolean;
  source: string;
}

const table = JSON.parse(readFileSync(`${root}tests/fixtures/keepalived-2.4.3-keywords.json`, 'utf8')) as {
  count: number;
  keywords: KeywordSlot[];
};

/** How each enclosing block is opened (names where the block takes one). */
const HEADERS: Record<string, string> = {
  vrrp_instance: 'vrrp_instance VI_1',
  vrrp_sync_group: 'vrrp_sync_group G1',
  track_group: 'track_group TG1',
  vrrp_script: 'vrrp_script S1',
  vrrp_track_process: 'vrrp_track_process P1',
  virtual_server: 'virtual_server 192.0.2.1 80',
  real_server: 'real_server 192.0.2.2 80',
  bfd_instance: 'bfd_instance B1',
  track_file: 'track_file F1',
  vrrp_track_file: 'vrrp_track_file F1',
};

const FILE = '/etc/keepalived/keepalived.conf';

/** A config holding `slot.keyword` alone in its block; returns the text and the keyword's line. */
function configFor(slot: KeywordSlot): { text: string; line: number } {
  const levels = slot.block === '' ? [] : slot.block.split(' > ');
  const lines: string[] = [];
  for (const level of levels) lines.push(`${HEADERS[level] ?? level} {`);
  const named = slot.block === '' && HEADERS[slot.keyword] !== undefined;
  const head = named ? (HEADERS[slot.keyword] ?? slot.keyword) : slot.keyword;
  // A keyword with a block of its own: keepalived's keyword tables say so, and the lists of values.
  const opens = slot.opensBlock || blockKind(levels, slot.keyword) !== undefined || named;
  const withArgs = slot.keyword === 'virtual_server_group' ? `${head} VSG1` : head;
  lines.push(opens ? `${withArgs} {` : withArgs);
  const line = lines.length;
  if (opens) lines.push('}');
  for (let i = 0; i < levels.length; i++) lines.push('}');
  return { text: lines.join('\n') + '\n', line };
}

function resolve(
  registry: typeof KEYWORD_SUPPORT,
  block: string,
  keyword: string,
): KeywordSupport | undefined {
  const entries = registry[block] ?? {};
  let entry = entries[keyword];
  for (let hops = 0; entry?.kind === 'alias' && hops < 3; hops++) entry = entries[entry.of];
  return entry;
}

function diagnosticsFor(slot: KeywordSlot): { line: number; diagnostics: Diagnostic[] } {
  const { text, line } = configFor(slot);
  const { diagnostics } = loadModel(FILE, new MemoryHost({ [FILE]: text }));
  return { line, diagnostics };
}

const sourceCache = new Map<string, string | undefined>();
function source(path: string): string | undefined {
  if (!sourceCache.has(path))
    sourceCache.set(path, existsSync(root + path) ? readFileSync(root + path, 'utf8') : undefined);
  return sourceCache.get(path);
}

/** What is wrong with `slot` as keyword-support says it works; [] when nothing. */
function problems(slot: KeywordSlot, registry: typeof KEYWORD_SUPPORT): string[] {
  const failures: string[] = [];
  const support = resolve(registry, slot.block, slot.keyword);
  if (support === undefined) return [`${label(slot)}: not in keyword-support.ts`];
  const { line, diagnostics } = diagnosticsFor(slot);
  const here = diagnostics.filter((d) => d.file === FILE && d.line === line);
  const unknown = here.find((d) => d.message.startsWith('unknown keyword'));
  if (support.kind === 'implemented') {
    if (unknown) failures.push(`${label(slot)}: implemented, yet the parser says '${unknown.message}'`);
    const text = source(support.consumer);
    if (text === undefined) failures.push(`${label(slot)}: consumer ${support.consumer} does not exist`);
    else if (!new RegExp(`\\b${support.field}\\b`).test(text))
      failures.push(`${label(slot)}: ${support.consumer} does not read ${support.field}`);
  } else if (support.kind === 'note') {
    const byParser = support.reportedByParser === true;
    const said = here.find(
      (d) =>
        d.keyword === slot.keyword &&
        d.severity === (byParser ? 'warning' : 'note') &&
        (byParser || d.message === support.reason),
    );
    if (!said)
      failures.push(
        `${label(slot)}: no ${byParser ? 'warning' : 'note'} at line ${line} (got: ${here.map((d) => d.message).join(' | ') || 'nothing'})`,
      );
  }
  return failures;
}

/** The reason keyword-support.ts gives for a noted keyword. */
function keywordNote(block: string, keyword: string): string | undefined {
  const support = keywordSupport(block, keyword);
  return support?.kind === 'note' ? support.reason : undefined;
}

function label(slot: KeywordSlot): string {
  return `${slot.block === '' ? '(top level)' : slot.block} > ${slot.keyword}`;
}

describe("keepalived 2.4.3's keyword table, keyword by keyword", () => {
  it('the checked-in table is whole (528 slots from keepalived 2.4.3)', () => {
    assert.equal(table.keywords.length, table.count);
    assert.ok(table.count >= 500, `only ${table.count} keywords`);
  });

  it('every keyword has an effect here or is said with a note at its file:line', (t) => {
    const kinds = table.keywords.map((slot) => resolve(KEYWORD_SUPPORT, slot.block, slot.keyword)?.kind);
    const count = (kind: string): number => kinds.filter((k) => k === kind).length;
    t.diagnostic(`${table.count} slots: ${count('implemented')} implemented, ${count('note')} noted`);
    const failures = table.keywords.flatMap((slot) => problems(slot, KEYWORD_SUPPORT));
    assert.deepEqual(failures, []);
  });

  it("so does every keyword keepalived-ts takes beyond keepalived 2.4.3's tables", () => {
    const slots = Object.entries(OWN_KEYWORD_SUPPORT).flatMap(([block, entries]) =>
      Object.keys(entries).map((keyword) => ({ block, keyword, opensBlock: false, source: 'keepalived-ts' })),
    );
    assert.ok(slots.length > 0);
    assert.deepEqual(
      slots.flatMap((slot) => problems(slot, OWN_KEYWORD_SUPPORT)),
      [],
    );
  });

  it('keyword-support.ts names only keywords keepalived 2.4.3 has, in the blocks it has them', () => {
    const known = new Set(table.keywords.map((k) => `${k.block}\u0000${k.keyword}`));
    const stale: string[] = [];
    for (const [block, entries] of Object.entries(KEYWORD_SUPPORT))
      for (const [keyword, entry] of Object.entries(entries)) {
        if (!known.has(`${block}\u0000${keyword}`)) stale.push(`${block} > ${keyword}`);
        if (entry.kind === 'alias' && entries[entry.of] === undefined)
          stale.push(`${block} > ${keyword}: alias of unknown ${entry.of}`);
      }
    assert.deepEqual(stale, []);
  });

  it('a note never changes the verdict of -t', () => {
    const text = 'global_defs {\n  router_id r1\n  namespace_with_ipsets\n}\n';
    const { diagnostics } = loadModel(FILE, new MemoryHost({ [FILE]: text }));
    const said = diagnostics.filter((d) => d.line === 3);
    assert.deepEqual(
      said.map((d) => [d.severity, d.keyword, d.message]),
      [['note', 'namespace_with_ipsets', keywordNote('global_defs', 'namespace_with_ipsets')]],
    );
    assert.equal(configTestExitCode(diagnostics), 0);
  });
});
