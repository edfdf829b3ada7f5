/**
 * `tsx bench/forecast.ts`: `pricecast forecast --horizon 7 --level 0.8,0.95` (refit every day) on the
 * bundled data (fixtures/algorand.csv) against a numpy peer doing the same refits
 * (bench/peers/forecast_numpy.py: pandas, ta, numpy lstsq of every window from scratch, the conformal
 * bounds and coverage), both in-process after one warm-up run, alternating engine and peer, so that the
 * ratio comes from one run of this script under one machine load.
 *
 *   tsx bench/forecast.ts [--runs 5] [--horizon 7] [--refit-every 1]
 *
 * Prints a Markdown table of medians and the ratio peer / engine.
 */
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { parseFeatureSpec } from '../src/engine/features/spec.js';
import { runForecast } from '../src/forecast/run.js';
import { ensurePythonEnv } from '../src/parity/pyenv.js';
import { runPython } from '../test/helpers/python.js';
import { PROJECT_ROOT } from './generate.js';
import { median } from './stats.js';

const SPEC = 'price,volume,marketCap,rsi';
const LEVELS = [0.8, 0.95];

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, horizon: { type: 'string', default: '7' }, 'refit-every': { type: 'string', default: '1' } } });
  const runs = Number(values.runs);
  const horizon = Number(values.horizon);
  const refitEvery = Number(values['refit-every']);
  const input = join(PROJECT_ROOT, 'fixtures', 'algorand.csv');
  const work = await mkdtemp(join(tmpdir(), 'pricecast-bench-forecast-'));
  try {
    const env = await ensurePythonEnv();
    const job = join(work, 'job.json');
    writeFileSync(job, JSON.stringify({ csv: input, items: parseFeatureSpec(SPEC), horizon, trainRatio: 0.7, refitEvery, target: 'price', levels: LEVELS, calibrationWindow: null, asOf: null }));
    const engineOnce = async (i: number) => {
      const started = performance.now();
      await runForecast({ input, set: { name: 'features', spec: SPEC }, target: 'price', horizon, levels: LEVELS, trainRatio: 0.7, refitEvery, output: join(work, `table-${i}`) });
      return (performance.now() - started) / 1000;
    };
    await engineOnce(-1); // warm-up
    const engine: number[] = [];
    const peer: number[] = [];
    const load = loadavg()[0];
    for (let i = 0; i < runs; i++) {
      engine.push(await engineOnce(i));
      peer.push(...(JSON.parse(await runPython(env, [join(PROJECT_ROOT, 'bench', 'peers', 'forecast_numpy.py'), job, '1'])) as { seconds: number[] }).seconds);
    }
    const e = median(engine);
    const p = median(peer);
    const ms = (s: number) => `${(s * 1000).toFixed(0)} ms`;
    process.stdout.write(
      [
        `forecast --horizon ${horizon} --level ${LEVELS.join(',')} --refit-every ${refitEvery}, fixtures/algorand.csv, ${runs} runs each (load ${load.toFixed(2)} at start)`,
        '',
        '| | median | runs |',
        '|---|---:|---|',
        `| engine (runForecast, with the table written) | ${ms(e)} | ${engine.map(ms).join(', ')} |`,
        `| numpy peer (same refits, lstsq from scratch) | ${ms(p)} | ${peer.map(ms).join(', ')} |`,
        `| ratio peer / engine | ${(p / e).toFixed(1)}× | |`,
        '',
      ].join('\n'),
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exitCode = 1;
});
