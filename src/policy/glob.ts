/**
 * Glob matching for policy `match` fields (model names, workspaces, tag values).
 *
 * Hand-written on purpose: the only syntax needed is `*` (any run of characters) and `?` (one
 * character) over a flat name, case-insensitive, because Azure ML names are case-insensitive.
 * A path-glob library (minimatch, picomatch) would add `/`, brace and extglob semantics that do not
 * apply to model names and would surprise policy authors.
 */

function escapeRegExp(text: string): string {
  return text.replace(/[.+^${}()|[\]\\]/g, '\\$&');
}

/** Compiles a glob to an anchored, case-insensitive regular expression. */
function globToRegExp(glob: string): RegExp {
  let source = '';
  for (const ch of glob) {
    if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else source += escapeRegExp(ch);
  }
  return new RegExp(`^${source}$`, 'i');
}

export function globMatches(glob: string, value: string): boolean {
  return globToRegExp(glob).test(value);
}
