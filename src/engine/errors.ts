/**
 * Bad input (SPEC.md section 1): one line naming file, line, column and the offending value.
 * The CLI prints `message` alone on stderr and exits with code 2; nothing is written.
 */
export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(
    readonly file: string,
    /** 1-based line in the file (the header is line 1); 0 when the problem is the file as a whole. */
    readonly line: number,
    /** Column name (e.g. `price`) or 1-based column number in brackets when there is no name. */
    readonly column: string | null,
    /** The offending text, or null when nothing in particular is at fault. */
    readonly value: string | null,
    /** What was expected, e.g. `a finite decimal number`. */
    readonly expected: string,
  ) {
    super(formatInputError(file, line, column, value, expected));
  }
}

function formatInputError(
  file: string,
  line: number,
  column: string | null,
  value: string | null,
  expected: string,
): string {
  const where = line > 0 ? `${file}:${line}` : file;
  const col = column === null ? '' : ` column ${column}:`;
  const got = value === null ? '' : ` (got ${JSON.stringify(truncate(value))})`;
  return `${where}:${col} expected ${expected}${got}`;
}

function truncate(value: string): string {
  return value.length > 40 ? `${value.slice(0, 40)}…` : value;
}

/** A usage or environment problem that is not the input file's fault (bad flag, unwritable folder). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
