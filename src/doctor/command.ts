/**
 * `pricecast doctor [command] [--json]`: what each command needs, whether it is there, and for each
 * missing piece the one command that fixes it (docs/install.md#doctor). Exit 0 only when the named
 * command has everything it needs; with no command, when the local engine's commands do (predict,
 * features, experiment, forecast: Node alone), while every piece is still reported.
 */
import { UsageError } from '../engine/errors.js';
import { cacheDir } from '../paths.js';
import { formatOptionsHelp, HELP_SETTING, JSON_SETTING, optionalSetting, parseCommand, type SettingMap } from '../settings.js';
import { VERSION } from '../version.js';
import { DOCTOR_COMMANDS, isReady, runDoctor, type DoctorCommand, type Piece } from './checks.js';

const DOCTOR_SETTINGS = {
  bucket: optionalSetting({ flag: 'bucket', kind: 'string', metavar: 'NAME', help: 'also check that the S3 bucket emr would use is reachable (HeadBucket)' }),
  json: JSON_SETTING,
  help: HELP_SETTING,
} satisfies SettingMap;

/** With no command named, the exit code covers these (the ones that need Node alone). */
const LOCAL_COMMANDS: readonly DoctorCommand[] = ['predict', 'features', 'experiment', 'forecast'];

export const DOCTOR_HELP = () => `pricecast doctor: is everything a command needs there?

Usage: pricecast doctor [${DOCTOR_COMMANDS.join('|')}] [options]

Checks Node; for parity Java 17-21, Python 3.9-3.12 and the reference job's environment in the cache
folder; for emr the offline wheelhouse, the AWS region and credentials (shown as the caller's ARN,
never a key) and, with --bucket, the bucket. Each missing piece is printed with the one command that
fixes it.

Options:
${formatOptionsHelp(DOCTOR_SETTINGS)}

Exit codes: 0 the named command has everything it needs (no command: the local engine's commands,
${LOCAL_COMMANDS.join(', ')}, do), 1 something is missing, 2 bad usage.`;

export interface DoctorReport {
  version: string;
  node: string;
  cache: string;
  /** The command asked about, or null for all. */
  command: DoctorCommand | null;
  /** Whether the asked-about command (or, with none, the local ones) has everything it needs. */
  ok: boolean;
  /** Per command: ready or not (only the commands that were checked). */
  ready: Partial<Record<DoctorCommand, boolean>>;
  pieces: Piece[];
}

function parseTarget(positionals: string[]): DoctorCommand | null {
  if (positionals.length > 1) throw new UsageError(`doctor takes at most one command, got ${positionals.length} (see --help)`);
  const [name] = positionals;
  if (name === undefined) return null;
  if (!(DOCTOR_COMMANDS as readonly string[]).includes(name)) {
    throw new UsageError(`doctor: unknown command "${name}" (expected one of ${DOCTOR_COMMANDS.join(', ')})`);
  }
  return name as DoctorCommand;
}

export async function doctorReport(command: DoctorCommand | null, options: { bucket?: string } = {}): Promise<DoctorReport> {
  const pieces = await runDoctor({ commands: command === null ? undefined : [command], bucket: options.bucket });
  const checked = command === null ? [...DOCTOR_COMMANDS] : [command];
  const ready = Object.fromEntries(checked.map((c) => [c, isReady(pieces, c)])) as Partial<Record<DoctorCommand, boolean>>;
  const ok = (command === null ? LOCAL_COMMANDS : [command]).every((c) => isReady(pieces, c));
  return { version: VERSION, node: process.versions.node, cache: cacheDir(), command, ok, ready, pieces };
}

export function formatDoctorReport(report: DoctorReport): string {
  const lines = [`pricecast ${report.version}, Node ${report.node}, cache folder ${report.cache}`, ''];
  const width = Math.max(...report.pieces.map((p) => p.name.length));
  for (const piece of report.pieces) {
    lines.push(`  ${piece.status.padEnd(8)} ${piece.name.padEnd(width)}  ${piece.detail}`);
    if (piece.fix !== null) lines.push(`  ${''.padEnd(8)} ${''.padEnd(width)}  fix: ${piece.fix}`);
  }
  lines.push('');
  for (const [command, ready] of Object.entries(report.ready)) {
    const missing = report.pieces.filter((p) => p.status === 'missing' && p.neededBy.includes(command as DoctorCommand)).map((p) => p.name);
    lines.push(`${command.padEnd(11)} ${ready ? 'ready' : `not ready: ${missing.join(', ')} missing`}`);
  }
  return `${lines.join('\n')}\n`;
}

export async function doctorCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, DOCTOR_SETTINGS, { allowPositionals: true });
  if (values.help) {
    process.stdout.write(`${DOCTOR_HELP()}\n`);
    return 0;
  }
  const report = await doctorReport(parseTarget(positionals), { bucket: values.bucket });
  process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : formatDoctorReport(report));
  return report.ok ? 0 : 1;
}
