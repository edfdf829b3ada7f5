/**
 * The one way every command (predict, parity, experiment, features, emr …) reports a failure.
 *
 * - stderr: `pricecast: <message>` on one line (a PySpark tail keeps its own line breaks), plus the stack
 *   when PRICECAST_DEBUG is set and the failure was not the user's input.
 * - stdout, when the command had `--json`: one object, so a script can always parse stdout:
 *   `{"status":"error","exitCode","error":{"kind","message","file","line","column","exitCode"}, ...context}`
 *   (file/line/column: an input error's position, else null; context: what the command already knew,
 *   e.g. an EMR run's id).
 * - The exit code: 2 for bad input or usage (nothing was written), 128+N for a signal, 1 otherwise.
 *
 * What a failure is comes from the error itself: InputError and UsageError (src/engine/errors.ts),
 * parseArgs' own errors, or any error carrying `exitCode` and `kind` (an interrupted parity run, an EMR
 * command that hit its deadline). Nothing here imports a command, so `predict` loads no AWS code.
 */
import { escapeControl, InputError, UsageError } from './engine/errors.js';

export type ErrorKind = 'input' | 'usage' | 'interrupted' | 'timeout' | 'aws' | 'failure';

/** The `error` member of the JSON a failed `--json` command prints. */
export interface ErrorReport {
  kind: ErrorKind;
  message: string;
  file: string | null;
  line: number | null;
  column: string | null;
  exitCode: number;
}

export interface ReportOptions {
  /** The command had --json: also print the report as JSON on stdout. */
  json?: boolean;
  /** Where to write (tests give their own); default the process's streams. */
  io?: { stdout: { write(text: string): unknown }; stderr: { write(text: string): unknown } };
  /** The kind of a failure that says nothing of itself (emr: the AWS call that failed). */
  otherKind?: ErrorKind;
  /** A hint appended to the message of such a failure (emr: where credentials and region come from). */
  hint?: (error: unknown) => string;
  /** Fields the JSON object carries beside `status` and `error` (emr submit: runId, attemptId). */
  context?: Record<string, unknown>;
}

/** An error that knows its exit code and kind (e.g. `parity` interrupted by SIGTERM: 143). */
interface SelfDescribing {
  exitCode: number;
  kind: ErrorKind;
}

function isSelfDescribing(error: unknown): error is Error & SelfDescribing {
  const e = error as Partial<SelfDescribing> | null;
  return error instanceof Error && typeof e?.exitCode === 'number' && typeof e?.kind === 'string';
}

/** What the report of `error` says, without printing it. */
export function describeError(error: unknown, options: Pick<ReportOptions, 'otherKind' | 'hint'> = {}): ErrorReport {
  let message = error instanceof Error ? error.message : String(error);
  let kind: ErrorKind = options.otherKind ?? 'failure';
  let exitCode = 1;
  const code = (error as { code?: unknown } | null)?.code;
  if (error instanceof InputError) [kind, exitCode] = ['input', 2];
  else if (error instanceof UsageError) [kind, exitCode] = ['usage', 2];
  else if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    // parseArgs' own errors (unknown flag, missing value) are usage errors too.
    [kind, exitCode] = ['usage', 2];
    message = `${message} (see --help)`;
  } else if (isSelfDescribing(error)) [kind, exitCode] = [error.kind, error.exitCode];
  else message += options.hint?.(error) ?? '';
  // Paths and values are escaped where messages are made; this catches what slipped through (a raw ESC
  // from a library's message), keeping the line breaks of a multi-line PySpark tail.
  message = message.split('\n').map(escapeControl).join('\n');
  const input = error instanceof InputError ? error : null;
  return {
    kind,
    message,
    file: input?.file ?? null,
    line: input && input.line > 0 ? input.line : null,
    column: input?.column ?? null,
    exitCode,
  };
}

/** Prints the report of `error` (stderr, and stdout under --json); returns the exit code. */
export function reportError(error: unknown, options: ReportOptions = {}): number {
  const io = options.io ?? process;
  const report = describeError(error, options);
  io.stderr.write(`pricecast: ${report.message}\n`);
  if (report.exitCode === 1 && process.env.PRICECAST_DEBUG && error instanceof Error) io.stderr.write(`${error.stack}\n`);
  if (options.json) io.stdout.write(`${JSON.stringify({ status: 'error', exitCode: report.exitCode, error: report, ...options.context })}\n`);
  return report.exitCode;
}
