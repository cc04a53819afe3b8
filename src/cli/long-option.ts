// The subcommands' options take their value attached (`--to=ADDRESS`) or as the next word (`--to ADDRESS`).

/** `--name=value` as [name, value]; any other word as [word, undefined]. */
export function splitLongOption(word: string): [name: string, attached: string | undefined] {
  const eq = word.indexOf('=');
  return word.startsWith('--') && eq > 0 ? [word.slice(0, eq), word.slice(eq + 1)] : [word, undefined];
}
