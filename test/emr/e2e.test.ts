/**
 * End to end on this machine: `submit` stages to moto's S3 and creates the cluster in moto's EMR; the
 * local step runner (test/helpers/emrLocalSteps.ts, a documented stand-in for the cluster's step
 * executor, since nothing but AWS runs EMR steps) executes the three steps moto recorded: s3-dist-cp
 * into a local folder standing in for HDFS, spark-submit of the job DOWNLOADED FROM moto's S3 with the
 * local PySpark, s3-dist-cp of the output back into moto's S3. Then `submit` fetches that output and
 * compares it with the engine, and `pricecast emr fetch --compare` (the real CLI, in a child process)
 * does the same from S3 alone and reports parity.
 */
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { EMRClient } from '@aws-sdk/client-emr';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEmrConfig } from '../../src/emr/config.js';
import { planRun } from '../../src/emr/plan.js';
import { localFileFacts } from '../../src/emr/stage.js';
import { submitRun } from '../../src/emr/submit.js';
import { sdkStatusReader } from '../../src/emr/wait.js';
import { ensureWheelhouse, wheelhouseFiles } from '../../src/emr/wheelhouse.js';
import { ensurePythonEnv } from '../../src/parity/pyenv.js';
import { runCli, ROOT } from '../helpers/cli.js';
import { localStepRunner } from '../helpers/emrLocalSteps.js';
import { openMotoSession, type MotoServer, type MotoSession } from '../helpers/moto.js';

const BUCKET = 'pricecast-e2e';
let session: MotoSession;
let moto: MotoServer;
let s3: S3Client;
let emr: EMRClient;
let work: string;

beforeAll(async () => {
  session = await openMotoSession('emr-e2e');
  ({ moto, s3, emr, work } = session);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

afterAll(async () => {
  await session?.close();
});

describe('EMR end to end: moto for the API, local PySpark for the steps', () => {
  it('runs the planned steps, lands the output in S3, and fetch --compare reports parity', async () => {
    const pyenv = await ensurePythonEnv();
    // The bundled synthetic fixture (fixtures/generate.ts, seeded), with a non-default seed and ratio
    // so the settings must travel through the steps' arguments to matter.
    const input = join(ROOT, 'fixtures', 'default.csv');
    const { config } = loadEmrConfig({ flags: { bucket: BUCKET, input, seed: 7, trainRatio: 0.8, pollSeconds: 0.5 } });
    const runId = 'e2e-run';
    const plan = planRun(config, { runId, attemptId: 'attempt-1', creatorArn: null }, {
      input: await localFileFacts(input),
      script: await localFileFacts(config.files.script),
      bootstrap: await localFileFacts(config.files.bootstrap),
      wheelhouse: await wheelhouseFiles(await ensureWheelhouse()),
    });
    const runner = localStepRunner(sdkStatusReader(emr), { s3, hdfsRoot: join(work, 'hdfs'), workDir: work, pyenv });
    const log: string[] = [];
    const outcome = await submitRun(
      { config, plan, outputDir: join(work, 'fetched-by-submit') },
      { s3, emr, status: runner, log: (line) => log.push(line) },
    );
    const failed = runner.executions.find((e) => e.exitCode !== 0);
    expect(failed?.stderr ?? '', 'a step failed').toBe('');
    expect(outcome.wait?.status).toBe('success');
    expect(outcome.exitCode).toBe(0);
    expect(outcome.terminated).toBe(false); // it ended itself after the last step

    // The runner executed what moto recorded, in order, and spark-submit ran the STAGED copy.
    expect(runner.executions.map((e) => e.command)).toEqual(['s3-dist-cp', 'spark-submit', 's3-dist-cp']);
    const sparkCommand = runner.executions[1].detail;
    // spark-submit ran under the step's bound, the real coreutils `timeout` (2 h by default).
    expect(sparkCommand.slice(0, 4)).toEqual(['timeout', '--signal=TERM', '--kill-after=60', '7200s']);
    const app = sparkCommand.find((a) => a.endsWith('price_regression.py'))!;
    expect(app.startsWith(join(work, 'staged-job'))).toBe(true);
    expect(readFileSync(app)).toEqual(readFileSync(join(ROOT, 'pyspark', 'price_regression.py')));
    expect(sparkCommand).toEqual(expect.arrayContaining(['--seed', '7', '--train-ratio', '0.8', '--split', 'random']));

    // The output is in moto's S3 in Spark's layout.
    const outputKey = `pricecast/runs/${runId}/attempts/attempt-1/output/`;
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: outputKey }));
    const names = (listed.Contents ?? []).map((o) => o.Key!.split('/').pop()!);
    expect(names).toContain('_SUCCESS');
    expect(names).toContain('_model.json');
    expect(names.some((n) => /^part-.*\.parquet$/.test(n))).toBe(true);
    expect(names.some((n) => n.endsWith('.crc'))).toBe(false);
    const model = JSON.parse(
      await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${outputKey}_model.json` }))).Body!.transformToString(),
    );
    expect(model).toMatchObject({ tool: 'pricecast', engine: 'pyspark', seed: 7, trainRatio: 0.8, split: 'random' });

    // submit fetched it and compared it with the engine.
    expect(readdirSync(outcome.outputDir!)).toEqual(expect.arrayContaining(['_SUCCESS', '_model.json']));
    expect(outcome.parity?.report.ok).toBe(true);
    expect(outcome.parity?.report.sameTestRows).toBe(true);
    expect(outcome.parity?.seed).toBe(7);

    // And the CLI, from S3 alone (run.json → input and output), in a fresh folder.
    const target = join(work, 'fetched-by-cli');
    const fetched = await runCli(['emr', 'fetch', '--run-id', runId, '--bucket', BUCKET, '--compare', '--output', target], {
      env: moto.env,
    });
    expect(fetched.code, fetched.stderr).toBe(0);
    expect(fetched.stdout).toContain('parity: OK');
    expect(existsSync(join(target, '_SUCCESS'))).toBe(true);

    // A second fetch into the same folder replaces it (it holds a pricecast output); into a foreign one it refuses.
    const again = await runCli(['emr', 'fetch', '--run-id', runId, '--bucket', BUCKET, '--output', target], { env: moto.env });
    expect(again.code).toBe(0);
    const foreignDir = join(work, 'someone-elses-folder');
    mkdirSync(foreignDir);
    writeFileSync(join(foreignDir, 'notes.txt'), 'keep me');
    const foreign = await runCli(['emr', 'fetch', '--run-id', runId, '--bucket', BUCKET, '--output', foreignDir], {
      env: moto.env,
    });
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toContain('not a pricecast output');
    expect(readdirSync(foreignDir)).toEqual(['notes.txt']);
  });
});
