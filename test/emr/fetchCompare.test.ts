/**
 * `emr fetch --compare` and `submit`'s comparison run the local engine the way the run's job read its
 * input: run.json's --missing, --format, --columns, --thousands and --ohlc-check reach the local side.
 * The "cluster" output here is the engine's own, written with --missing previous, so parity is exact
 * when the reading is passed on and the local side refuses the input when it is not.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/engine/errors.js';
import { runPipeline } from '../../src/engine/pipeline.js';
import { compareRun, compareWithEngine, inputReading } from '../../src/emr/fetch.js';
import type { RunManifest } from '../../src/emr/plan.js';
import { PROJECT_ROOT } from '../../src/parity/pyenv.js';
import { useScratchFolder } from '../helpers/scratch.js';

const scratch = useScratchFolder('emr-fetch-compare');

/** The bundled data with one volume cell emptied (a missing value the default policy refuses). */
async function inputWithAMissingVolume(): Promise<string> {
  const lines = (await readFile(join(PROJECT_ROOT, 'fixtures', 'default.csv'), 'utf8')).split('\n');
  const cells = lines[40].split(',');
  cells[2] = '';
  lines[40] = cells.join(',');
  return scratch.file(lines.join('\n'), 'missing-volume.csv');
}

function manifestWith(job: Partial<RunManifest['job']>): RunManifest {
  return {
    tool: 'pricecast', runId: 'r', attemptId: 'a', outputUri: 's3://b/o/', releaseLabel: 'emr-7.10.0',
    input: { name: 'missing-volume.csv', sha256: '', size: 0, uri: 's3://b/i' },
    job: job as RunManifest['job'],
  };
}

describe('the comparison reads the input as the run did', () => {
  it('--missing previous from run.json: the local engine fills the gap too, and parity holds', async () => {
    const input = await inputWithAMissingVolume();
    const output = join(scratch.dir, 'cluster-output');
    await runPipeline({ input, output, missing: 'previous' });

    // Without the run's reading the local side refuses the file the cluster accepted.
    await expect(compareWithEngine(output, input)).rejects.toBeInstanceOf(InputError);

    const compared = await compareRun(null as never, output, manifestWith({ missing: 'previous', format: 'auto', ohlcCheck: 'on' }), input);
    expect(compared.report.ok).toBe(true);
  });

  it('takes exactly the reading settings, leaving unset ones to the engine defaults', () => {
    expect(inputReading(null)).toEqual({});
    expect(inputReading({ missing: 'zero', format: 'yahoo', thousands: ',', columns: 'date=d,price=p', ohlcCheck: 'off', seed: 3 } as never)).toEqual({
      missing: 'zero', format: 'yahoo', thousands: ',', columns: 'date=d,price=p', ohlcCheck: 'off',
    });
  });
});
