// A deliberately tiny keepalived.conf -> ConfigNode[] reader for model tests, so they do not depend on
// the real preprocessor: comments (# !), double/single quotes, `{ ... }` blocks (also on one line).
// No includes, no $VARS: the corpus test uses the real readConfig for those.
import type { ConfigNode } from '../../../src/config/types.js';

interface Token {
  text: string;
  quoted: boolean;
  line: number;
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  text.split('\n').forEach((raw, idx) => {
    const line = idx + 1;
    let i = 0;
    while (i < raw.length) {
      const c = raw[i] ?? '';
      if (c === ' ' || c === '\t' || c === '\r') {
        i++;
      } else if (c === '#' || c === '!') {
        break;
      } else if (c === '"' || c === "'") {
        const end = raw.indexOf(c, i + 1);
        const stop = end < 0 ? raw.length : end;
        out.push({ text: raw.slice(i + 1, stop), quoted: true, line });
        i = stop + 1;
      } else if (c === '{' || c === '}') {
        out.push({ text: c, quoted: false, line });
        i++;
      } else {
        let j = i;
        while (j < raw.length && !/[\s{}"'#!]/.test(raw[j] ?? '')) j++;
        out.push({ text: raw.slice(i, j), quoted: false, line });
        i = j;
      }
    }
  });
  return out;
}

export function miniTree(text: string, file = 'test.conf'): ConfigNode[] {
  const tokens = tokenize(text);
  let pos = 0;
  const parseList = (): ConfigNode[] => {
    const nodes: ConfigNode[] = [];
    while (pos < tokens.length) {
      const t = tokens[pos] as Token;
      if (t.text === '}' && !t.quoted) {
        pos++;
        return nodes;
      }
      const node: ConfigNode = { file, line: t.line, keyword: t.text, args: [] };
      pos++;
      while (pos < tokens.length) {
        const a = tokens[pos] as Token;
        if (a.line !== t.line && !(a.text === '{' && !a.quoted)) break;
        if (!a.quoted && a.text === '}') break;
        if (!a.quoted && a.text === '{') {
          pos++;
          node.children = parseList();
          break;
        }
        node.args.push(a.text);
        pos++;
      }
      nodes.push(node);
    }
    return nodes;
  };
  return parseList();
}
