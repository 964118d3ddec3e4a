/** Helpers of the benchmarks' two-stage options: reading flags and environment values, checking ranges. */

/** A number from a flag or environment value; undefined when absent or empty. */
export function numberOrUndefined(s: string | undefined): number | undefined {
  return s === undefined || s === '' ? undefined : Number(s);
}

/** Throws a message naming `name` unless `v` is undefined or a positive (whole, if `integer`) number. */
export function checkPositive(name: string, v: number | undefined, integer: boolean): void {
  if (v === undefined) return;
  if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
    throw new Error(`${name} must be a positive ${integer ? 'whole number' : 'number'}; got ${v}`);
  }
}

/**
 * Walks `argv` (`--flag value` or `--flag=value`), calling `handle` per flag with a reader of
 * its value; `handle` returns false for a flag it does not know (an error naming it, followed
 * by `usage`). Returns false when `-h`/`--help` is given.
 */
export function forEachFlag(argv: string[], usage: string, handle: (flag: string, value: () => string) => boolean): boolean {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf('=');
    const flag = eq > 0 ? a.slice(0, eq) : a;
    const value = () => {
      if (eq > 0) return a.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === '-h' || flag === '--help') return false;
    if (!handle(flag, value)) throw new Error(`unknown option ${a}\n\n${usage}`);
  }
  return true;
}
