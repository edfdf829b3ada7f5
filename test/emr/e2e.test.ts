/**
 * End to end on this machine: `submit` stages to moto's S3 and creates the cluster in moto's EMR; the
 * local step runner (test/helpers/emrLocalSteps.ts, a documented stand-in for the cluster's step
 * executor, since nothing but AWS runs EMR steps) executes the three steps moto recorded: s3-dist-cp
 * into a local folder standing in for HDFS, spark-submit of the job DOWNLOADED FROM moto's S3 with the
 * local PySpark, the publish guard (the staged publish_guard.py, launched by spark-submit like on the
 * node, claiming the output folder in moto's S3), s3-dist-cp of the output back into moto's S3. Then
 * `submit` fetches that output and compares it with the engine, and `pricecast emr fetch --compare`
 * (the real CLI, in a child process) does the same from S3 alone and reports parity. A destination
 * that already holds an object, or that another cluster claimed, is refused by the guard's step.
 */
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { EMRClient } from '@aws-sdk/client-emr';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEmrConfig } from '../../src/emr/config.js';
import { planRun, type RunFiles } from '../../src/emr/plan.js';
import { PUBLISH_GUARD_SCRIPT } from '../../src/emr/publishGuard.js';
import { localFileFacts } from '../../src/emr/stage.js';
import { submitRun } from '../../src/emr/submit.js';
import { sdkStatusReader } from '../../src/emr/wait.js';
import { ensureWheelhouse, wheelhouseFiles } from '../../src/emr/wheelhouse.js';
import { ensurePythonEnv, type PythonEnv } from '../../src/parity/pyenv.js';
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

/**
 * The node's environment for the steps: the project's PySpark, and moto standing in for the instance
 * profile's S3 (the publish guard talks to S3 itself); PRICECAST_CLUSTER_ID stands in for the cluster id
 * EMR writes to /mnt/var/lib/info/job-flow.json on every node.
 */
function nodeEnv(pyenv: PythonEnv, clusterId: string): PythonEnv {
  const env: NodeJS.ProcessEnv = { ...pyenv.env, ...moto.env, PRICECAST_CLUSTER_ID: clusterId };
  delete env.AWS_PROFILE; // moto.env blanks it; boto3 reads a blank one as a profile name
  return { ...pyenv, env };
}

async function runFiles(input: string, config: { files: { script: string; bootstrap: string } }): Promise<RunFiles> {
  return {
    input: await localFileFacts(input),
    script: await localFileFacts(config.files.script),
    bootstrap: await localFileFacts(config.files.bootstrap),
    wheelhouse: await wheelhouseFiles(await ensureWheelhouse()),
  };
}

describe('EMR end to end: moto for the API, local PySpark for the steps', () => {
  it('runs the planned steps, lands the output in S3, and fetch --compare reports parity', async () => {
    const pyenv = await ensurePythonEnv();
    // The bundled synthetic fixture (fixtures/generate.ts, seeded), with a non-default seed and ratio
    // so the settings must travel through the steps' arguments to matter.
    const input = join(ROOT, 'fixtures', 'default.csv');
    const { config } = loadEmrConfig({ flags: { bucket: BUCKET, input, seed: 7, trainRatio: 0.8, pollSeconds: 0.5 } });
    const runId = 'e2e-run';
    const plan = planRun(config, { runId, attemptId: 'attempt-1', creatorArn: null }, await runFiles(input, config));
    const runner = localStepRunner(sdkStatusReader(emr), { s3, hdfsRoot: join(work, 'hdfs'), workDir: work, pyenv: nodeEnv(pyenv, 'j-FIRST') });
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
    expect(runner.executions.map((e) => e.command)).toEqual(['s3-dist-cp', 'spark-submit', 'spark-submit', 's3-dist-cp']);
    // The publish guard ran the STAGED script and claimed the attempt for this cluster, beside the output.
    const guardApp = runner.executions[2].detail.find((a) => a.endsWith('publish_guard.py'))!;
    expect(readFileSync(guardApp, 'utf8')).toBe(PUBLISH_GUARD_SCRIPT);
    const claim = JSON.parse(
      await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: `pricecast/runs/${runId}/attempts/attempt-1/publisher.json` }))).Body!.transformToString(),
    );
    expect(claim).toMatchObject({ tool: 'pricecast', cluster: 'j-FIRST' });
    const sparkCommand = runner.executions[1].detail;
    // spark-submit ran under the step's bound, the real coreutils `timeout` (2 h by default).
    expect(sparkCommand.slice(0, 4)).toEqual(['timeout', '--signal=TERM', '--kill-after=60', '7200s']);
    const app = sparkCommand.find((a) => a.endsWith('price_regression.py'))!;
    expect(app.startsWith(join(work, 'staged-job'))).toBe(true);
    // The bytes staged (and hashed) at plan time: pyspark/ may have changed since in a working checkout.
    expect(createHash('sha256').update(readFileSync(app)).digest('hex')).toBe(plan.uploads.find((u) => u.role === 'script')!.sha256);
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

  it('the publish step refuses a destination that already holds an object not of this run: nothing copied, the step FAILS with one line', async () => {
    const pyenv = await ensurePythonEnv();
    const input = join(ROOT, 'fixtures', 'default.csv');
    const { config } = loadEmrConfig({ flags: { bucket: BUCKET, input, pollSeconds: 0.5, logWaitMinutes: 0.05 } });
    const plan = planRun(config, { runId: 'e2e-taken', attemptId: 'attempt-1', creatorArn: null }, await runFiles(input, config));
    // What a second cluster of the same attempt would have found: the first one's part file already there.
    const outputKey = 'pricecast/runs/e2e-taken/attempts/attempt-1/output/';
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${outputKey}part-00000-other.snappy.parquet`, Body: 'not ours' }));
    const runner = localStepRunner(sdkStatusReader(emr), { s3, hdfsRoot: join(work, 'hdfs-taken'), workDir: join(work, 'taken'), pyenv: nodeEnv(pyenv, 'j-SECOND') });
    const outcome = await submitRun(
      { config, plan, outputDir: join(work, 'fetched-taken') },
      { s3, emr, status: runner, log: () => {}, failureLogPollMs: 100 },
    );
    expect(outcome.exitCode).toBe(1);
    expect(outcome.wait?.status).toBe('step-failed');
    // The job ran; the guard refused; the copy never ran.
    expect(runner.executions.map((e) => [e.command, e.exitCode])).toEqual([['s3-dist-cp', 0], ['spark-submit', 0], ['spark-submit', 1]]);
    const refusal = `pricecast publish: refusing s3://${BUCKET}/${outputKey}: it already holds 1 object(s) not written by this run (part-00000-other.snappy.parquet); nothing was copied`;
    expect(runner.executions[2].stderr).toContain(refusal);
    // submit shows that line from the step's log, not Spark's noise.
    expect(outcome.failureLog?.error).toEqual({ kind: 'job-error', text: refusal });
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: outputKey }));
    expect((listed.Contents ?? []).map((o) => o.Key)).toEqual([`${outputKey}part-00000-other.snappy.parquet`]);
  });

  it('the guard itself: another cluster\'s claim is refused, this cluster\'s own claim is a re-run, a fresh empty folder is claimed', async () => {
    const pyenv = await ensurePythonEnv();
    const script = join(work, 'publish_guard.py');
    writeFileSync(script, PUBLISH_GUARD_SCRIPT);
    const guard = (attempt: string, clusterId: string) => {
      const base = `s3://${BUCKET}/pricecast/runs/guard/attempts/${attempt}`;
      const done = spawnSync(pyenv.python, [script, '--dest', `${base}/output/`, '--claim', `${base}/publisher.json`, '--sse', 'AES256'], {
        env: nodeEnv(pyenv, clusterId).env,
        encoding: 'utf8',
      });
      return { code: done.status, stderr: done.stderr, stdout: done.stdout };
    };
    const first = guard('a1', 'j-FIRST');
    expect(first, first.stderr).toMatchObject({ code: 0 });
    expect(first.stdout).toContain(`pricecast publish: s3://${BUCKET}/pricecast/runs/guard/attempts/a1/output/ is this run's (j-FIRST)`);
    // The first cluster copies; a second cluster of the same attempt then finds its claim.
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'pricecast/runs/guard/attempts/a1/output/_SUCCESS', Body: '' }));
    const second = guard('a1', 'j-SECOND');
    expect(second.code).toBe(1);
    expect(second.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(`^pricecast publish: refusing s3://${BUCKET}/pricecast/runs/guard/attempts/a1/output/: cluster j-FIRST claimed it at \\S+ \\(s3://${BUCKET}/pricecast/runs/guard/attempts/a1/publisher\\.json\\), this is j-SECOND: two clusters ran one attempt; nothing was copied$`),
      ),
    ]);
    // The step running again on the claiming cluster: the objects there are its own.
    expect(guard('a1', 'j-FIRST').code).toBe(0);
    // A Hadoop folder marker is no object of a run: a folder holding only one is claimed.
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'pricecast/runs/guard/attempts/a2/output/x_$folder$', Body: '' }));
    expect(guard('a2', 'j-THIRD').code).toBe(0);
  });

  it('--command experiment: walk_forward.py runs as the step, results.json lands in S3, and its numbers are the engine\'s experiment within 1e-9', async () => {
    const pyenv = await ensurePythonEnv();
    const input = join(ROOT, 'fixtures', 'default.csv');
    const { config } = loadEmrConfig({
      flags: { bucket: BUCKET, input, pollSeconds: 0.5, command: 'experiment', experimentSets: ['base=price,volume,marketCap,rsi', 'lean=price,rsi'], refitEvery: 3 },
    });
    const runId = 'e2e-experiment';
    const plan = planRun(config, { runId, attemptId: 'attempt-1', creatorArn: null }, {
      ...(await runFiles(input, config)),
      experimentScript: await localFileFacts(config.files.experimentScript),
    });
    const workDir = join(work, 'experiment');
    // The runner reads spark-submit's own options without acting on them; on the node, --py-files puts the
    // staged price_regression.py on the job's path. Here it is put beside the staged walk_forward.py the
    // runner downloads, from the same staged copy.
    const runner = localStepRunner(
      {
        describeCluster: (id) => sdkStatusReader(emr).describeCluster(id),
        async listSteps(id, stepIds) {
          const script = plan.uploads.find((u) => u.role === 'script')!;
          const body = await s3.send(new GetObjectCommand({ Bucket: script.bucket, Key: script.key }));
          mkdirSync(join(workDir, 'staged-job'), { recursive: true });
          writeFileSync(join(workDir, 'staged-job', 'price_regression.py'), Buffer.from(await body.Body!.transformToByteArray()));
          return sdkStatusReader(emr).listSteps(id, stepIds);
        },
      },
      { s3, hdfsRoot: join(work, 'hdfs-experiment'), workDir, pyenv: nodeEnv(pyenv, 'j-EXPERIMENT') },
    );
    const outcome = await submitRun({ config, plan, outputDir: join(work, 'fetched-experiment') }, { s3, emr, status: runner, log: () => {} });
    const failed = runner.executions.find((e) => e.exitCode !== 0);
    expect(failed?.stderr ?? '', 'a step failed').toBe('');
    expect(runner.executions.map((e) => e.command)).toEqual(['s3-dist-cp', 'spark-submit', 'spark-submit', 's3-dist-cp']);
    expect(runner.executions[1].detail.find((a) => a.endsWith('.py'))).toBe(join(workDir, 'staged-job', 'walk_forward.py'));
    expect(runner.executions[1].detail).toEqual(expect.arrayContaining(['--set', 'lean=price,rsi', '--refit-every', '3']));

    // results.json is the output, in S3 and fetched.
    const outputKey = `pricecast/runs/${runId}/attempts/attempt-1/output/`;
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: outputKey }));
    expect((listed.Contents ?? []).map((o) => o.Key!.slice(outputKey.length))).toEqual(['results.json']);
    expect(readdirSync(outcome.outputDir!)).toEqual(['results.json']);
    const results = JSON.parse(readFileSync(join(outcome.outputDir!, 'results.json'), 'utf8'));
    expect(results).toMatchObject({ tool: 'pricecast', command: 'experiment', refitEvery: 3 });

    // submit compared it with the engine's experiment: every metric within 1e-9, every fact equal.
    expect(outcome.parity).toBeNull();
    expect(outcome.experiment?.panel).toBe(false);
    expect(outcome.experiment?.report.ok, JSON.stringify(outcome.experiment?.report.facts)).toBe(true);
    expect(outcome.experiment?.report.numbers.length).toBeGreaterThan(20);
    expect(outcome.exitCode).toBe(0);

    // And the CLI from S3 alone: run.json says it was an experiment and with which settings.
    const fetched = await runCli(['emr', 'fetch', '--run-id', runId, '--bucket', BUCKET, '--compare', '--json', '--output', join(work, 'experiment-by-cli')], { env: moto.env });
    expect(fetched.code, fetched.stderr).toBe(0);
    const printed = JSON.parse(fetched.stdout);
    expect(printed).toMatchObject({ command: 'experiment', files: ['results.json'], parity: { ok: true, tolerance: 1e-9 } });
  });
});
