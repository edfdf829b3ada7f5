/**
 * `pricecast features`: what `--features` accepts (docs/features.md#feature-specs), printed from the catalogue the
 * parser uses (src/engine/features/indicators/catalogue.ts), so the list cannot drift from what is accepted.
 */
import { DEFAULT_FEATURE_SPEC, formatFeatureItem, INPUT_FEATURES } from './engine/features/spec.js';
import { INDICATORS, NEEDS_HIGH_LOW, type Indicator } from './engine/features/indicators/catalogue.js';
import { FEATURES_SETTINGS, formatOptionsHelp, parseCommand } from './settings.js';


const FEATURES_HELP = () => `pricecast features: the feature catalogue (what --features accepts)

Usage: pricecast features [--json]

Options:
${formatOptionsHelp(FEATURES_SETTINGS)}`;

const INPUT_SUMMARIES: Record<(typeof INPUT_FEATURES)[number], string> = {
  price: 'the day\'s price (ta\'s close), as read',
  volume: 'the day\'s volume, as read',
  marketCap: 'the day\'s market capitalisation, as read',
  open: 'the day\'s open (inputs with open, high and low)',
  high: 'the day\'s high (inputs with open, high and low)',
  low: 'the day\'s low (inputs with open, high and low)',
};

/** The catalogue as data: what `--json` prints. */
export function featureCatalogue() {
  return {
    defaultSpec: DEFAULT_FEATURE_SPEC,
    inputs: INPUT_FEATURES.map((name) => ({ name, summary: INPUT_SUMMARIES[name] })),
    functions: INDICATORS.map((indicator: Indicator) => ({
      name: indicator.name,
      module: indicator.module,
      inputs: [...indicator.inputs],
      args: indicator.args.map((arg) => ({ ...arg })),
      summary: indicator.summary,
      item: formatFeatureItem({ fn: indicator.name, args: defaults(indicator) }),
    })),
    needsHighLow: [...NEEDS_HIGH_LOW],
  };
}

/** `window=14 (int > 0)`, `window_dev=2 (float)`, `dropnans=false (bool)`. */
function formatArg(arg: { name: string; type: string; default: number | boolean; positive?: boolean }): string {
  return `${arg.name}=${String(arg.default)} (${arg.type}${arg.positive ? ' > 0' : ''})`;
}

function defaults(indicator: Indicator): Record<string, number | boolean> {
  return Object.fromEntries(indicator.args.map((arg) => [arg.name, arg.default]));
}

export function formatFeatureCatalogue(): string {
  const catalogue = featureCatalogue();
  const lines: string[] = [];
  lines.push('Feature spec: comma-separated items, each a name with optional keyword arguments,');
  lines.push('e.g. price,rsi(window=9),bollinger_pband(window=25,window_dev=1.5). Default: ' + catalogue.defaultSpec);
  lines.push('A column is named after its function, plus _ARG_VALUE for each non-default argument (rsi_window_9).');
  lines.push('');
  // Widths from the longest name and input list (volume_weighted_average_price, high+low+close+volume).
  const nameWidth = Math.max(...catalogue.functions.map((f) => f.name.length)) + 1;
  const inputsWidth = Math.max(...catalogue.functions.map((f) => f.inputs.join('+').length)) + 1;
  const row = (name: string, inputs: string, summary: string) => lines.push(`  ${name.padEnd(nameWidth)}${inputs.padEnd(inputsWidth)}${summary}`);
  lines.push('input columns (no arguments)');
  for (const input of catalogue.inputs) row(input.name, '', input.summary);
  const modules = [...new Set(catalogue.functions.map((f) => f.module))];
  for (const module of modules) {
    lines.push('');
    lines.push(`ta.${module}`);
    for (const f of catalogue.functions.filter((g) => g.module === module)) {
      row(f.name, f.inputs.join('+'), f.summary);
      if (f.args.length > 0) lines.push(`${''.padEnd(2 + nameWidth + inputsWidth)}${f.args.map(formatArg).join(', ')}`);
    }
  }
  lines.push('');
  lines.push('Functions whose inputs name high and low, and open/high/low, need an input with those columns');
  lines.push(`(CoinMarketCap, Kaggle, Yahoo, CryptoDataDownload, or open/high/low columns): ${catalogue.needsHighLow.length} functions.`);
  return `${lines.join('\n')}\n`;
}

export async function featuresCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand(argv, FEATURES_SETTINGS);
  if (values.help) {
    process.stdout.write(`${FEATURES_HELP()}\n`);
    return 0;
  }
  if (values.json) process.stdout.write(`${JSON.stringify(featureCatalogue())}\n`);
  else process.stdout.write(formatFeatureCatalogue());
  return 0;
}
