// How a word is written back into keepalived.conf (the printers of every block share it).

/** Quotes a word for keepalived.conf when it would otherwise split or start a comment. */
export function quoteWord(word: string): string {
  if (word !== '' && !/[\s#!{}"']/.test(word)) return word;
  return `"${word}"`;
}
