/**
 * Bad input (docs/input.md): one line naming file, line, column and the offending value.
 * The CLI prints `message` alone on stderr and exits with code 2; nothing is written.
 *
 * Every piece of text that comes from outside (a file name, a header name, a cell) goes through
 * `escapeControl` before it reaches a message: an ESC in a header or a line feed in a file name must not
 * reach the terminal raw (a value can carry escape sequences), and a message must stay one line.
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
  const name = escapeControl(file);
  const where = line > 0 ? `${name}:${line}` : name;
  const col = column === null ? '' : ` column ${escapeControl(column)}:`;
  // JSON.stringify already writes control characters as \uXXXX escapes; C1 and bidi controls it leaves.
  const got = value === null ? '' : ` (got ${escapeControl(JSON.stringify(truncate(value)))})`;
  return `${where}:${col} expected ${escapeControl(expected)}${got}`;
}

function truncate(value: string): string {
  return value.length > 40 ? `${value.slice(0, 40)}…` : value;
}

/**
 * Characters a terminal would act on: C0 controls (NUL … US, ESC among them), DEL, C1 controls
 * (U+0080 … U+009F, e.g. CSI), and the Unicode line/paragraph separators and bidi overrides that
 * reorder or break what is shown.
 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text from the input, safe to print on one terminal line: each control character becomes a visible
 * escape (`\n`, `\t`, `\r`, else `\xHH` or `\uHHHH`); everything else is unchanged.
 *
 * escapeControl('a\u001b[31mb') === 'a\\x1b[31mb'
 */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** A usage or environment problem that is not the input file's fault (bad flag, unwritable folder). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
