// Which include problems are errors rather than warnings (`include_check` in global_defs and the
// include keyword variants), as keepalived.conf(5) describes them:
//   readable        a matched path that cannot be read (or is a directory)
//   match           a pattern without wildcards that matches nothing
//   wildcard_match  any pattern that matches nothing, wildcards or not
//   brace_match     a brace alternative that matches nothing
// match, wildcard_match and brace_match include the readable check.

export interface IncludeChecks {
  readable: boolean;
  match: boolean;
  wildcardMatch: boolean;
  braceMatch: boolean;
}

export const NO_INCLUDE_CHECKS: IncludeChecks = {
  readable: false,
  match: false,
  wildcardMatch: false,
  braceMatch: false,
};

const ALL_CHECKS: IncludeChecks = { readable: true, match: true, wildcardMatch: true, braceMatch: true };

/** The checks each include keyword adds to the ones in force. */
export const INCLUDE_KEYWORDS: ReadonlyMap<string, Partial<IncludeChecks>> = new Map<
  string,
  Partial<IncludeChecks>
>([
  ['include', {}],
  ['includer', { readable: true }],
  ['includem', { match: true }],
  ['includew', { wildcardMatch: true }],
  ['includeb', { braceMatch: true }],
  ['includea', ALL_CHECKS],
]);

const OPTION_FIELDS: Record<string, keyof IncludeChecks> = {
  readable: 'readable',
  match: 'match',
  wildcard_match: 'wildcardMatch',
  brace_match: 'braceMatch',
};

/** Checks in force for one include statement. */
export function effectiveChecks(current: IncludeChecks, keyword: string): IncludeChecks {
  const added = INCLUDE_KEYWORDS.get(keyword) ?? {};
  const merged: IncludeChecks = {
    readable: current.readable || added.readable === true,
    match: current.match || added.match === true,
    wildcardMatch: current.wildcardMatch || added.wildcardMatch === true,
    braceMatch: current.braceMatch || added.braceMatch === true,
  };
  if (merged.match || merged.wildcardMatch || merged.braceMatch) merged.readable = true;
  return merged;
}

/**
 * Applies `include_check [OPTIONS]`: no options means all checks; `+opt` adds, `-opt` removes, and a
 * list that starts with a bare option replaces the current set. Unknown options are returned.
 */
export function applyIncludeCheck(
  current: IncludeChecks,
  options: string[],
): { checks: IncludeChecks; unknown: string[] } {
  if (options.length === 0) return { checks: { ...ALL_CHECKS }, unknown: [] };
  const checks: IncludeChecks = /^[+-]/.test(options[0]) ? { ...current } : { ...NO_INCLUDE_CHECKS };
  const unknown: string[] = [];
  for (const option of options) {
    const sign = option[0] === '-' ? '-' : '+';
    const name = /^[+-]/.test(option) ? option.slice(1) : option;
    const field = OPTION_FIELDS[name];
    if (field === undefined) unknown.push(option);
    else checks[field] = sign === '+';
  }
  return { checks, unknown };
}
