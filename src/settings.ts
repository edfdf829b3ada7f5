/**
 * Every setting of every command, declared once (click's model, see STYLE.md): its flag, type, default,
 * help line, config-file key and validation. From one declaration come
 *   - the `util.parseArgs` option table of each command that takes it,
 *   - its `--help` line (defaults are printed from the table, never written twice),
 *   - config-file parsing (`--config FILE`: JSON whose keys are the settings' config keys; a dotted key
 *     such as `job.seed` is a nested object), unknown keys refused,
 *   - the run manifest (`manifestOf`): the resolved values by config key.
 *
 * A command is a map of settings: `{ ...JOB_SETTINGS, output: OUTPUT, json: JSON_FLAG }`. Resolution
 * order: flag, then config file, then default. Every problem is a UsageError naming the flag (or the
 * config key) and what was expected.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from './engine/errors.js';
import { DEFAULT_SEED, DEFAULT_TRAIN_RATIO } from './engine/pipeline.js';
import { FORMATS, parseColumnMapping, type InputFormat } from './engine/ingest/layouts.js';
import { MISSING_POLICIES, type MissingPolicy } from './engine/ingest/missing.js';
import { DEFAULT_FEATURE_SPEC, parseFeatureSpec } from './engine/features/spec.js';
import type { SplitMode } from './engine/types.js';
import { DEFAULT_TARGET, TARGETS, type Target } from './experiment/target.js';
import { DEFAULT_REFIT_EVERY } from './experiment/walkForward.js';
import { DEFAULT_FORECAST_OUTPUT, DEFAULT_HORIZON, DEFAULT_LEVELS, MAX_HORIZON } from './forecast/defaults.js';
import { parseDay } from './engine/ingest/dates.js';
import { PROJECT_ROOT } from './paths.js';

/** The value types a setting can have. `strings` is a repeatable flag (`--set a=x --set b=y`). */
export type SettingKind = 'string' | 'integer' | 'number' | 'boolean' | 'strings';

type KindValue<K extends SettingKind> = K extends 'string'
  ? string
  : K extends 'integer' | 'number'
    ? number
    : K extends 'boolean'
      ? boolean
      : string[];

export interface Setting<T = unknown> {
  /** Flag name without dashes, kebab-case: `train-ratio`. */
  flag: string;
  short?: string;
  kind: SettingKind;
  /** Config-file key (dotted for nested objects: `job.seed`); omitted = flag only (e.g. --json). */
  configKey?: string;
  /** Placeholder in --help: `--seed N`. */
  metavar?: string;
  help: string;
  /** The value when neither a flag nor the config file gives one; undefined = optional, no value. */
  default?: T;
  /** How --help shows a default that is computed elsewhere (e.g. "s3://BUCKET/PREFIX/logs/"). */
  defaultText?: string;
  /** Allowed values of a `string` setting. */
  choices?: readonly string[];
  /** Returns what was expected when the value is invalid ("a number strictly between 0 and 1"). */
  validate?: (value: T) => string | undefined;
  /** Turns flag text into the value, for types the kind alone does not cover (`date=Date,price=Close`). */
  parse?: (text: string) => T;
}

/** A setting that always has a value: its type follows from its kind (or from `parse`). */
export function setting<K extends SettingKind, T = KindValue<K>>(spec: Setting<T> & { kind: K; default: T }): Defaulted<T> {
  return spec;
}

/** A setting that may be absent (no default): its value is `T | undefined`. */
export function optionalSetting<K extends SettingKind, T = KindValue<K>>(spec: Setting<T> & { kind: K }): Setting<T> {
  return spec;
}

export type Defaulted<T> = Setting<T> & { default: T };
export type SettingMap = Record<string, Setting<any>>;
type ValueOf<S> = S extends Defaulted<infer T> ? T : S extends Setting<infer T> ? T | undefined : never;
export type SettingValues<M extends SettingMap> = { [K in keyof M]: ValueOf<M[K]> };

// ---------------------------------------------------------------------------------------------------
// Shared validation rules (each rule once).

export const isSafeIntegerRule = (v: number) =>
  Number.isSafeInteger(v) ? undefined : `an integer between ±${Number.MAX_SAFE_INTEGER}`;
export const isRatioRule = (v: number) => (v > 0 && v < 1 ? undefined : 'a number strictly between 0 and 1');
export const isPositiveRule = (v: number) => (v > 0 ? undefined : 'a positive number');
export const isPositiveIntegerRule = (v: number) => (Number.isInteger(v) && v > 0 ? undefined : 'a positive integer');
export const isRegParamRule = (v: number) => (Number.isFinite(v) && v >= 0 ? undefined : 'a finite number ≥ 0');
export const isElasticNetRule = (v: number) => (v >= 0 && v <= 1 ? undefined : 'a number between 0 and 1');

// ---------------------------------------------------------------------------------------------------
// The job: what the reference job and the engine both take (docs/README.md#the-pipeline). JobSettings is their one type.

/** The real Algorand daily history (the original project's data): what a first run shows. */
export const DEFAULT_INPUT = join(PROJECT_ROOT, 'fixtures', 'algorand.csv');
export const SPLIT_MODES: readonly SplitMode[] = ['random', 'time'];

export const JOB_SETTINGS = {
  input: setting({
    flag: 'input',
    kind: 'string',
    configKey: 'job.input',
    metavar: 'FILE',
    help: 'daily price history (CSV with date, price, volume, marketCap; other layouts: see README)',
    default: DEFAULT_INPUT,
    defaultText: 'the bundled ' + DEFAULT_INPUT.slice(PROJECT_ROOT.length + 1),
  }),
  seed: setting({
    flag: 'seed',
    kind: 'integer',
    configKey: 'job.seed',
    metavar: 'N',
    help: "seed of Spark's randomSplit",
    default: DEFAULT_SEED,
    validate: isSafeIntegerRule,
  }),
  split: setting<'string', SplitMode>({
    flag: 'split',
    kind: 'string',
    configKey: 'job.split',
    metavar: 'MODE',
    help: "random: Spark's seeded randomSplit (what the PySpark job does); time: the first R of the dates train, the rest test (honest for forecasting)",
    default: 'random',
    choices: SPLIT_MODES,
  }),
  trainRatio: setting({
    flag: 'train-ratio',
    kind: 'number',
    configKey: 'job.trainRatio',
    metavar: 'R',
    help: 'fraction of rows that train, 0 < R < 1',
    default: DEFAULT_TRAIN_RATIO,
    validate: isRatioRule,
  }),
  features: setting({
    flag: 'features',
    kind: 'string',
    configKey: 'job.features',
    metavar: 'SPEC',
    help: 'the feature columns: price, volume, marketCap and ta functions of close/volume with arguments, e.g. "price,rsi(window=9),macd_diff" (pricecast features lists them; docs/features.md#feature-specs)',
    default: DEFAULT_FEATURE_SPEC,
    // Checked here so a bad spec fails before any work; the text itself is what the jobs take.
    parse: (text: string) => (parseFeatureSpec(text), text),
  }),
  // How the input is read (docs/input.md#layouts; src/engine/ingest/layouts.ts, missing.ts).
  format: setting<'string', InputFormat>({
    flag: 'format',
    kind: 'string',
    configKey: 'job.format',
    metavar: 'LAYOUT',
    help: 'input layout: auto (recognised from the header), pricecast, coingecko (snapped_at,price,market_cap,total_volume) or coinmarketcap (Date,Open,High,Low,Close,Volume,Market Cap)',
    default: 'auto',
    choices: FORMATS,
  }),
  columns: optionalSetting({
    flag: 'columns',
    kind: 'string',
    configKey: 'job.columns',
    metavar: 'MAP',
    help: 'the input columns for any other layout: date=COL,price=COL,volume=COL,marketCap=COL (a column the features do not need may be left out)',
    validate: (text: string) => {
      try {
        parseColumnMapping(text);
        return undefined;
      } catch (error) {
        return (error as Error).message.replace(/^--columns: expected /, '').replace(/, got .*$/, '');
      }
    },
  }),
  thousands: optionalSetting<'string', ','>({
    flag: 'thousands',
    kind: 'string',
    configKey: 'job.thousands',
    metavar: 'SEP',
    help: 'allow thousands separators (1,234.5) in numbers of any layout (the coinmarketcap layout allows them anyway)',
    choices: [','],
  }),
  missing: setting<'string', MissingPolicy>({
    flag: 'missing',
    kind: 'string',
    configKey: 'job.missing',
    metavar: 'POLICY',
    help: 'an empty or "-" value cell: error (refuse), previous (the column\'s last value), zero, or drop (the day)',
    default: 'error',
    choices: MISSING_POLICIES,
  }),
  // Spark's LinearRegression(regParam, elasticNetParam) (docs/regularisation.md). Unset = 0, and then
  // left out of the job's flags, so a run without them is the unpenalised fit with the same command line.
  regParam: optionalSetting({
    flag: 'reg-param',
    kind: 'number',
    configKey: 'job.regParam',
    metavar: 'λ',
    help: "penalty weight λ ≥ 0 (Spark's regParam; on standardized features, the intercept unpenalised)",
    defaultText: '0',
    validate: isRegParamRule,
  }),
  elasticNet: optionalSetting({
    flag: 'elastic-net',
    kind: 'number',
    configKey: 'job.elasticNet',
    metavar: 'α',
    help: "the penalty's L1 share α, 0 ≤ α ≤ 1 (Spark's elasticNetParam): 0 ridge, 1 lasso",
    defaultText: '0',
    validate: isElasticNetRule,
  }),
} satisfies SettingMap;

export type JobSettings = SettingValues<typeof JOB_SETTINGS>;

export const OUTPUT_SETTING = (defaultDir: string, what: string) =>
  setting({
    flag: 'output',
    kind: 'string',
    configKey: 'output',
    metavar: 'DIR',
    help: `${what}; written atomically, an existing folder is replaced only if it holds an earlier pricecast output`,
    default: defaultDir,
  });

export const JSON_SETTING = setting({
  flag: 'json',
  kind: 'boolean',
  help: 'print one JSON object on stdout (errors too: {"error": {...}})',
  default: false,
});

export const HELP_SETTING = setting({ flag: 'help', short: 'h', kind: 'boolean', help: 'this help', default: false });

export const CONFIG_SETTING = optionalSetting({
  flag: 'config',
  kind: 'string',
  metavar: 'FILE',
  help: "JSON file of settings, keys as shown in [brackets]; flags win",
});

// ---------------------------------------------------------------------------------------------------
// `experiment`: walk-forward evaluation of feature sets (docs/experiment.md, src/experiment/).

/** Where `predict` writes when `--output` is not given. */
export const DEFAULT_OUTPUT = 'out/predictions';

/** `pricecast predict`. */
export const PREDICT_SETTINGS = {
  ...JOB_SETTINGS,
  output: OUTPUT_SETTING(DEFAULT_OUTPUT, 'Spark-layout output folder: part-00000-<uuid>.snappy.parquet, _SUCCESS, _model.json'),
  json: JSON_SETTING,
  help: HELP_SETTING,
} satisfies SettingMap;

/** `pricecast parity`. */
export const PARITY_SETTINGS = {
  ...JOB_SETTINGS,
  json: JSON_SETTING,
  keep: optionalSetting({
    flag: 'keep',
    kind: 'string',
    metavar: 'DIR',
    help: 'keep both outputs under DIR (DIR/spark, DIR/engine) instead of a temporary folder',
  }),
  help: HELP_SETTING,
} satisfies SettingMap;

export const EXPERIMENT_SETTINGS = {
  input: JOB_SETTINGS.input,
  format: JOB_SETTINGS.format,
  columns: JOB_SETTINGS.columns,
  thousands: JOB_SETTINGS.thousands,
  missing: JOB_SETTINGS.missing,
  set: setting({
    flag: 'set',
    kind: 'strings',
    configKey: 'experiment.sets',
    metavar: 'NAME=SPEC',
    help: 'a feature set to compare, NAME=a --features spec (repeatable); none: the built-in ladder (the original four features, then each ta family added in turn)',
    default: [] as string[],
  }),
  sets: optionalSetting({
    flag: 'sets',
    kind: 'string',
    configKey: 'experiment.setsFile',
    metavar: 'FILE',
    help: 'a JSON or YAML file of feature sets: {NAME: SPEC, ...} or [{name, features}, ...]',
  }),
  trainRatio: setting({ ...JOB_SETTINGS.trainRatio, help: 'rows before the first forecast: floor(n × R) of the n common rows, 0 < R < 1' }),
  refitEvery: setting({
    flag: 'refit-every',
    kind: 'integer',
    configKey: 'experiment.refitEvery',
    metavar: 'K',
    help: 'refit the model every K test rows (expanding window: on every row before the block)',
    default: DEFAULT_REFIT_EVERY,
    validate: isPositiveIntegerRule,
  }),
  target: setting<'string', Target>({
    flag: 'target',
    kind: 'string',
    configKey: 'experiment.target',
    metavar: 'T',
    help: "what the model fits: price (tomorrow's price) or return (tomorrow's simple return, turned back into a price to score)",
    default: DEFAULT_TARGET,
    choices: TARGETS,
  }),
  threads: setting({
    flag: 'threads',
    kind: 'string',
    configKey: 'experiment.threads',
    metavar: 'N',
    help: 'worker threads for the sets: auto (more than one only when the work pays for starting them) or a positive integer',
    default: 'auto',
    validate: (v: string) => (v === 'auto' || /^[1-9][0-9]{0,2}$/.test(v) ? undefined : '"auto" or a positive integer'),
  }),
  output: OUTPUT_SETTING('out/experiment', 'folder for results.json, forecasts.parquet and report.html'),
  json: setting({ ...JSON_SETTING, help: "print results.json's content on stdout instead of the table" }),
  config: CONFIG_SETTING,
  help: HELP_SETTING,
} satisfies SettingMap;

export type ExperimentSettings = SettingValues<typeof EXPERIMENT_SETTINGS>;

// ---------------------------------------------------------------------------------------------------
// `forecast`: the days after the last one (docs/forecast.md, src/forecast/).

/** `--level 0.8,0.95`: a comma-separated list of levels, each strictly between 0 and 1, none twice. */
export function parseLevels(text: string): number[] {
  const parts = text.split(',').map((part) => part.trim());
  const levels = parts.map(Number);
  levels.forEach((level, i) => {
    if (parts[i] === '' || !(level > 0 && level < 1)) throw new UsageError(`--level: expected levels strictly between 0 and 1, comma-separated, got "${text}"`);
    if (levels.indexOf(level) !== i) throw new UsageError(`--level: ${parts[i]} is given twice`);
  });
  return levels;
}

export const FORECAST_SETTINGS = {
  input: JOB_SETTINGS.input,
  format: JOB_SETTINGS.format,
  columns: JOB_SETTINGS.columns,
  thousands: JOB_SETTINGS.thousands,
  missing: JOB_SETTINGS.missing,
  features: optionalSetting({
    flag: 'features',
    kind: 'string',
    configKey: 'forecast.features',
    metavar: 'SPEC',
    help: `the feature columns, as for predict (default ${DEFAULT_FEATURE_SPEC}; not with --from)`,
    parse: JOB_SETTINGS.features.parse,
  }),
  from: optionalSetting({
    flag: 'from',
    kind: 'string',
    configKey: 'forecast.from',
    metavar: 'RESULTS',
    help: "an experiment's results.json: forecast with one of its sets (--set NAME): its features and target",
  }),
  set: optionalSetting({
    flag: 'set',
    kind: 'string',
    configKey: 'forecast.set',
    metavar: 'NAME',
    help: 'the set of --from to forecast with',
  }),
  target: setting({ ...EXPERIMENT_SETTINGS.target, configKey: 'forecast.target' }),
  horizon: setting({
    flag: 'horizon',
    kind: 'integer',
    configKey: 'forecast.horizon',
    metavar: 'H',
    help: `forecast 1 … H rows (days) after the last one, an integer from 1 to ${MAX_HORIZON}`,
    default: DEFAULT_HORIZON,
    validate: (v: number) => (Number.isInteger(v) && v >= 1 && v <= MAX_HORIZON ? undefined : `an integer from 1 to ${MAX_HORIZON}`),
  }),
  level: setting<'string', number[]>({
    flag: 'level',
    kind: 'string',
    configKey: 'forecast.level',
    metavar: 'L,...',
    help: 'levels of the conformal prediction intervals, each strictly between 0 and 1',
    default: [...DEFAULT_LEVELS],
    defaultText: DEFAULT_LEVELS.join(','),
    parse: parseLevels,
  }),
  calibrationWindow: optionalSetting({
    flag: 'calibration-window',
    kind: 'integer',
    configKey: 'forecast.calibrationWindow',
    metavar: 'W',
    help: 'calibrate the intervals on the last W walk-forward scores only (default: all of them)',
    validate: isPositiveIntegerRule,
  }),
  trainRatio: setting({ ...JOB_SETTINGS.trainRatio, configKey: 'forecast.trainRatio', help: "the track record's walk-forward starts after floor(M × R) of its M rows, 0 < R < 1" }),
  refitEvery: setting({ ...EXPERIMENT_SETTINGS.refitEvery, configKey: 'forecast.refitEvery', help: "refit the track record's walk-forward every K origins" }),
  asOf: optionalSetting({
    flag: 'as-of',
    kind: 'string',
    configKey: 'forecast.asOf',
    metavar: 'DATE',
    help: 'forecast as of DATE (YYYY-MM-DD): rows dated after it are ignored, as if the file ended there',
    validate: (v: string) => (/^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(parseDay(v)) ? undefined : 'a date YYYY-MM-DD'),
  }),
  output: setting({
    ...OUTPUT_SETTING(DEFAULT_FORECAST_OUTPUT, 'the forecast table'),
    help: "the forecast table: DIR/origin_date=YYYY-MM-DD/ (Spark's partitionBy layout) with _forecast.json; a run replaces only its own day's partition",
  }),
  json: setting({ ...JSON_SETTING, help: "print _forecast.json's content on stdout instead of the summary" }),
  config: CONFIG_SETTING,
  help: HELP_SETTING,
} satisfies SettingMap;

export type ForecastSettings = SettingValues<typeof FORECAST_SETTINGS>;

// ---------------------------------------------------------------------------------------------------
// Parsing.

/** parseArgs' option table for a command's settings. */
export function parseArgsOptions(settings: SettingMap) {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const s of Object.values(settings)) {
    options[s.flag] = {
      type: s.kind === 'boolean' ? 'boolean' : 'string',
      ...(s.short ? { short: s.short } : {}),
      ...(s.kind === 'strings' ? { multiple: true } : {}),
    };
  }
  return options;
}

export interface ParsedCommand<M extends SettingMap> {
  values: SettingValues<M>;
  positionals: string[];
  /** Which settings the user gave (flag or config file), by setting name. */
  given: Set<keyof M & string>;
}

/**
 * Parses a command line against a command's settings: flags first, then `--config FILE` (when the map
 * has a `config` setting), then defaults; every value validated by its setting's rules.
 */
export function parseCommand<M extends SettingMap>(
  argv: string[],
  settings: M,
  options: { allowPositionals?: boolean } = {},
): ParsedCommand<M> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      options: parseArgsOptions(settings),
      allowPositionals: options.allowPositionals ?? false,
      strict: true,
    });
  } catch (error) {
    // parseArgs' own errors (unknown flag, missing value) are usage errors; its text spans lines.
    const code = (error as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      throw new UsageError(`${(error as Error).message.replace(/\s*\n\s*/g, ' ')} (see --help)`);
    }
    throw error;
  }
  const { values: raw, positionals } = parsed;
  const flagText = raw as Record<string, string | boolean | string[] | undefined>;
  const configPath = 'config' in settings ? (flagText[settings.config.flag] as string | undefined) : undefined;
  const file = configPath !== undefined ? readConfigFile(configPath, settings) : undefined;

  const values = {} as Record<string, unknown>;
  const given = new Set<string>();
  for (const [name, s] of Object.entries(settings)) {
    const text = flagText[s.flag];
    if (text !== undefined && !(s.kind === 'boolean' && text === false && s.default === false)) {
      values[name] = fromFlag(s, text);
      given.add(name);
    } else if (file && s.configKey && hasPath(file, s.configKey)) {
      values[name] = fromConfig(s, getPath(file, s.configKey), configPath!);
      given.add(name);
    } else {
      values[name] = s.default;
    }
  }
  return { values: values as SettingValues<M>, positionals, given: given as Set<keyof M & string> };
}

function fromFlag(s: Setting<any>, text: string | boolean | string[]): unknown {
  const flag = `--${s.flag}`;
  if (s.kind === 'boolean') return text;
  if (s.kind === 'strings') {
    const list = text as string[];
    if (s.parse) return list.map((t) => s.parse!(t));
    return list;
  }
  const t = text as string;
  let value: unknown;
  if (s.parse) {
    value = s.parse(t);
  } else if (s.kind === 'integer') {
    if (!/^[+-]?\d+$/.test(t.trim())) throw new UsageError(`${flag}: expected an integer, got "${t}"`);
    value = Number(t);
  } else if (s.kind === 'number') {
    value = Number(t);
    if (t.trim() === '' || !Number.isFinite(value)) throw new UsageError(`${flag}: expected ${expectedOf(s, value)}, got "${t}"`);
  } else {
    value = t;
  }
  const problem = check(s, value);
  if (problem) throw new UsageError(`${flag}: expected ${problem}, got "${t}"`);
  return value;
}

function fromConfig(s: Setting<any>, value: unknown, path: string): unknown {
  const where = `--config ${path}: ${s.configKey}`;
  const typeOk =
    s.kind === 'boolean'
      ? typeof value === 'boolean'
      : s.kind === 'integer'
        ? Number.isSafeInteger(value)
        : s.kind === 'number'
          ? typeof value === 'number' && Number.isFinite(value)
          : s.kind === 'strings'
            ? Array.isArray(value) && value.every((v) => typeof v === 'string')
            : typeof value === 'string';
  if (!typeOk) throw new UsageError(`${where}: expected ${kindText(s)}, got ${JSON.stringify(value)}`);
  const parsed = s.parse && typeof value === 'string' ? s.parse(value) : value;
  const problem = check(s, parsed);
  if (problem) throw new UsageError(`${where}: expected ${problem}, got ${JSON.stringify(value)}`);
  return parsed;
}

function check(s: Setting<any>, value: unknown): string | undefined {
  if (s.choices && !s.choices.includes(value as string)) return s.choices.map((c) => `"${c}"`).join(' or ');
  return s.validate?.(value);
}

function expectedOf(s: Setting<any>, value: unknown): string {
  return s.validate?.(value) ?? kindText(s);
}

function kindText(s: Setting<any>): string {
  if (s.choices) return s.choices.map((c) => `"${c}"`).join(' or ');
  return { string: 'a string', integer: 'an integer', number: 'a number', boolean: 'true or false', strings: 'a list of strings' }[s.kind];
}

// ---------------------------------------------------------------------------------------------------
// Config files.

function readConfigFile(path: string, settings: SettingMap): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`--config: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--config: ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (!isObject(parsed)) throw new UsageError(`--config: ${path} must hold a JSON object`);
  // Unknown keys are refused, so a typo ("coreInstanceCont") is not silently ignored.
  const known = Object.values(settings).flatMap((s) => (s.configKey ? [s.configKey] : []));
  const walk = (object: Record<string, unknown>, prefix: string) => {
    for (const [key, value] of Object.entries(object)) {
      const keyPath = prefix + key;
      if (known.includes(keyPath)) continue;
      if (isObject(value) && known.some((k) => k.startsWith(`${keyPath}.`))) {
        walk(value, `${keyPath}.`);
        continue;
      }
      const siblings = known.filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length).split('.')[0]);
      throw new UsageError(`--config ${path}: unknown setting ${keyPath} (known: ${[...new Set(siblings)].join(', ')})`);
    }
  };
  walk(parsed, '');
  return parsed;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasPath(object: Record<string, unknown>, key: string): boolean {
  return getPath(object, key) !== undefined;
}

function getPath(object: Record<string, unknown>, key: string): unknown {
  let value: unknown = object;
  for (const part of key.split('.')) {
    if (!isObject(value)) return undefined;
    value = value[part];
  }
  return value;
}

// ---------------------------------------------------------------------------------------------------
// Help and manifest.

/** The options block of a command's --help, one setting a line (long help wrapped), defaults from the table. */
export function formatOptionsHelp(settings: SettingMap, width = 100): string {
  const left = (s: Setting<any>) =>
    `  ${s.short ? `-${s.short}, ` : ''}--${s.flag}${s.metavar ? ` ${s.metavar}` : s.choices ? ` ${s.choices.join('|')}` : ''}`;
  const column = Math.min(32, Math.max(...Object.values(settings).map((s) => left(s).length)) + 2);
  const lines: string[] = [];
  // Config keys are worth showing only where a config file can be given.
  const showConfigKeys = Object.values(settings).some((s) => s.flag === 'config');
  for (const s of Object.values(settings)) {
    const notes: string[] = [];
    if (s.choices && s.metavar) notes.push(s.choices.join('|'));
    const shown = s.defaultText ?? (s.default === undefined || s.kind === 'boolean' ? undefined : defaultText(s.default));
    if (shown !== undefined) notes.push(`default ${shown}`);
    if (s.configKey && showConfigKeys) notes.push(`[${s.configKey}]`);
    const text = `${s.help}${notes.length ? ` (${notes.join('; ')})` : ''}`;
    const head = left(s);
    const wrapped = wrap(text, width - column);
    const first = head.length + 1 > column ? [head, ...wrapped.map((w) => ' '.repeat(column) + w)] : [head.padEnd(column) + wrapped[0], ...wrapped.slice(1).map((w) => ' '.repeat(column) + w)];
    lines.push(...first);
  }
  return lines.join('\n');
}

function defaultText(value: unknown): string {
  if (Array.isArray(value)) return value.length ? value.join(', ') : 'none';
  return String(value);
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}

/**
 * The resolved settings by config key (nested for dotted keys): what a run writes down so that it can be
 * reproduced, and what `--config` reads back.
 */
export function manifestOf<M extends SettingMap>(settings: M, values: SettingValues<M>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(settings)) {
    const value = (values as Record<string, unknown>)[name];
    if (!s.configKey || value === undefined) continue;
    const parts = s.configKey.split('.');
    let target = out;
    for (const part of parts.slice(0, -1)) target = (target[part] ??= {}) as Record<string, unknown>;
    target[parts[parts.length - 1]] = value;
  }
  return out;
}
