/**
 * Same numbers before and after a change that should change none (a move, a refactor): runs `predict`,
 * `experiment` and (with --parity) `parity` from two commits of this repository on the same inputs and
 * compares what they wrote: the Parquet predictions column by column, _model.json and results.json with
 * the fields that describe the run rather than its numbers (timings, paths, run ids, versions) left out.
 *
 *   npx tsx bench/sameNumbers.ts [--before REF] [--after REF] [--parity] [--out FILE]
 *
 * Inputs: the bundled history (fixtures/algorand.csv), the synthetic default (fixtures/default.csv) and
 * each vendor fixture the BEFORE commit has in fixtures/vendors/, each run with `--missing previous` where
 * it has gaps. Both commits run from git worktrees in a temporary folder, from source through tsx, with
 * this checkout's node_modules. Exit 0 only when every table and report is identical.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readSparkOutput } from '../src/readback/sparkOutput.js';

const ROOT = join(import.meta.dirname, '..');
const { values: args } = parseArgs({
  options: {
    before: { type: 'string', default: 'ab25aec' },
    after: { type: 'string', default: 'HEAD' },
    parity: { type: 'boolean', default: false },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  process.stdout.write('usage: npx tsx bench/sameNumbers.ts [--before REF] [--after REF] [--parity] [--out FILE]\n');
  process.exit(0);
}

/** Fields of _model.json / results.json that describe the run, not its numbers. */
const RUN_FIELDS = new Set([
  'timings', 'wallMs', 'elapsedMs', 'startedAt', 'finishedAt', 'createdAt', 'runId', 'outputDir', 'output',
  'path', 'file', 'input', 'inputPath', 'version', 'versions', 'node', 'host', 'hostname', 'pid', 'threads',
  'manifest', 'sha256',
]);

function comparable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(comparable);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) if (!RUN_FIELDS.has(k)) out[k] = comparable(v);
    return out;
  }
  return value;
}

/** The first path where two JSON values differ, or null. Extra keys on the AFTER side are allowed (new fields). */
function firstDifference(before: unknown, after: unknown, path = '$'): string | null {
  if (Array.isArray(before)) {
    if (!Array.isArray(after) || after.length !== before.length) return `${path}: length or type`;
    for (let i = 0; i < before.length; i++) {
      const d = firstDifference(before[i], after[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (before !== null && typeof before === 'object') {
    if (after === null || typeof after !== 'object') return `${path}: type`;
    for (const k of Object.keys(before)) {
      const d = firstDifference((before as Record<string, unknown>)[k], (after as Record<string, unknown>)[k], `${path}.${k}`);
      if (d) return d;
    }
    return null;
  }
  return Object.is(before, after) ? null : `${path}: ${JSON.stringify(before)} vs ${JSON.stringify(after)}`;
}

/** BEFORE's value with only the experiment sets AFTER also has (new candidates are not a change of numbers). */
function sharedSets(before: unknown, after: unknown): unknown {
  const b = before as { sets?: Record<string, unknown> };
  const a = after as { sets?: Record<string, unknown> };
  if (!b?.sets || !a?.sets || Array.isArray(b.sets)) return before;
  return { ...b, sets: Object.fromEntries(Object.entries(b.sets).filter(([name]) => name in a.sets!)) };
}

const work = mkdtempSync(join(tmpdir(), 'pricecast-same-numbers-'));
const trees: Record<'before' | 'after', string> = { before: join(work, 'before'), after: join(work, 'after') };
const commits = { before: '', after: '' };
try {
  for (const side of ['before', 'after'] as const) {
    commits[side] = execFileSync('git', ['rev-parse', '--short', args[side]!], { cwd: ROOT, encoding: 'utf8' }).trim();
    execFileSync('git', ['worktree', 'add', '--detach', '--quiet', trees[side], commits[side]], { cwd: ROOT });
    symlinkSync(join(ROOT, 'node_modules'), join(trees[side], 'node_modules'));
  }
  const vendorDir = join(trees.before, 'fixtures', 'vendors');
  const inputs = [
    join(trees.before, 'fixtures', 'algorand.csv'),
    join(trees.before, 'fixtures', 'default.csv'),
    ...(existsSync(vendorDir) ? readdirSync(vendorDir).filter((n) => n.endsWith('.csv')).sort().map((n) => join(vendorDir, n)) : []),
  ];
  const rows: { input: string; command: string; result: string }[] = [];
  const run = (side: 'before' | 'after', argv: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', join(trees[side], 'src', 'cli.ts'), ...argv], { cwd: trees[side], encoding: 'utf8' });
  for (const input of inputs) {
    const name = input.slice(input.lastIndexOf('/') + 1);
    const gaps = readFileSync(input, 'utf8').split('\n').some((line) => /(^|,)(-|)(,|$)/.test(line) && line.trim() !== '');
    const common = ['--input', input, ...(gaps ? ['--missing', 'previous'] : [])];
    const commands: [string, (out: string) => string[], (out: string) => Promise<unknown>][] = [
      ['predict', (out) => ['predict', ...common, '--output', out, '--json'], async (out) => {
        const { predictions, report } = await readSparkOutput(out);
        return { predictions: Object.fromEntries(Object.entries(predictions).map(([k, v]) => [k, Array.from(v as ArrayLike<unknown>)])), report: comparable(report) };
      }],
      // Sets keyed by name: a later commit may add candidates (a ladder rung); those present in both compare.
      ['experiment', (out) => ['experiment', ...common, '--output', out, '--json'], async (out) => {
        const results = comparable(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'))) as Record<string, unknown>;
        const sets = (results.sets ?? []) as { name: string }[];
        return { ...results, sets: Object.fromEntries(sets.map((set) => [set.name, set])) };
      }],
    ];
    if (args.parity && name === 'algorand.csv') {
      commands.push(['parity', (out) => ['parity', ...common, '--keep', out, '--json'], async (out) => {
        const { predictions } = await readSparkOutput(join(out, 'engine'));
        const spark = await readSparkOutput(join(out, 'spark'));
        return { engine: Array.from(predictions.prediction), spark: Array.from(spark.predictions.prediction) };
      }]);
    }
    for (const [command, argv, read] of commands) {
      const results: unknown[] = [];
      let failed = '';
      for (const side of ['before', 'after'] as const) {
        const out = join(work, `${side}-${command}-${name}`);
        const child = run(side, argv(out));
        if (child.status === 2 && side === 'before') failed ||= 'not compared: the earlier commit refuses this input';
        else if (child.status !== 0) failed ||= `${side} exit ${child.status}: ${child.stderr.trim().split('\n').pop()}`;
        else results.push(await read(out));
      }
      const result = failed || (firstDifference(sharedSets(results[0], results[1]), results[1]) ?? 'identical');
      rows.push({ input: name, command, result });
      process.stdout.write(`${name.padEnd(34)} ${command.padEnd(11)} ${result}\n`);
    }
  }
  const ok = rows.every((r) => r.result === 'identical' || r.result.startsWith('not compared'));
  const record = { before: commits.before, after: commits.after, date: new Date().toISOString(), ok, rows };
  if (args.out) writeFileSync(args.out, `${JSON.stringify(record, null, 2)}\n`);
  process.stdout.write(`${commits.before} -> ${commits.after}: ${ok ? 'the same numbers everywhere' : 'DIFFERENCES above'}\n`);
  process.exitCode = ok ? 0 : 1;
} finally {
  for (const side of ['before', 'after'] as const) {
    if (existsSync(trees[side])) execFileSync('git', ['worktree', 'remove', '--force', trees[side]], { cwd: ROOT });
  }
  rmSync(work, { recursive: true, force: true });
}
