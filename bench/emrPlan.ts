/**
 * The AWS side of a 10,000-asset panel, planned (no AWS calls): a seeded panel CSV (10,000 assets x
 * 365 days, one row per asset and day: date, asset, price, volume, marketCap) is written to
 * bench/data/ and hashed, then planned for a cluster (`planRun`) and for EMR Serverless
 * (`planServerlessRun`), each with its hourly cost estimate from src/emr/cost.ts.
 *
 *   tsx bench/emrPlan.ts [--assets 10000] [--days 365] [--core-nodes 4] [--executors 4] [--command predict|experiment]
 *
 * `--command experiment` plans the walk-forward experiment on the panel instead (pyspark/walk_forward.py
 * staged beside price_regression.py; two feature sets: the original four features, and price with RSI).
 *
 * Prints one JSON object: the panel's facts, both plans' uploads (bytes) and the cost estimates.
 * What a run would take on AWS is not measured here (no account in this project's CI).
 */
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadEmrConfig } from '../src/emr/config.js';
import { planRun } from '../src/emr/plan.js';
import { planServerlessRun } from '../src/emr/serverlessPlan.js';
import { localFileFacts } from '../src/emr/stage.js';
import { wheelhouseFiles } from '../src/emr/wheelhouse.js';
import { DATA_DIR, PROJECT_ROOT } from './generate.js';

const { values } = parseArgs({
  options: {
    assets: { type: 'string', default: '10000' },
    days: { type: 'string', default: '365' },
    'core-nodes': { type: 'string', default: '4' },
    executors: { type: 'string', default: '4' },
    command: { type: 'string', default: 'predict' },
  },
});
const assets = Number(values.assets);
const days = Number(values.days);

/** mulberry32: a small seeded generator, so the panel's bytes (and sha256) are the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function writePanel(file: string): { rows: number; sha256: string; bytes: number } {
  mkdirSync(DATA_DIR, { recursive: true });
  const random = seeded(42);
  const hash = createHash('sha256');
  const fd = openSync(file, 'w');
  let bytes = 0;
  const write = (text: string) => {
    hash.update(text);
    bytes += Buffer.byteLength(text);
    writeSync(fd, text);
  };
  write('date,asset,price,volume,marketCap\n');
  const start = Date.UTC(2024, 0, 1);
  for (let asset = 0; asset < assets; asset++) {
    let price = 0.01 + random() * 100;
    const supply = 1e6 + random() * 1e9;
    const lines: string[] = [];
    for (let day = 0; day < days; day++) {
      price *= Math.exp((random() - 0.5) * 0.08);
      const date = new Date(start + day * 86_400_000).toISOString().slice(0, 10);
      lines.push(`${date},coin-${String(asset).padStart(5, '0')},${price.toPrecision(10)},${(random() * 1e8).toFixed(2)},${(price * supply).toFixed(2)}\n`);
    }
    write(lines.join(''));
  }
  closeSync(fd);
  return { rows: assets * days, sha256: hash.digest('hex'), bytes };
}

const file = join(DATA_DIR, `panel-${assets}x${days}.csv`);
const started = performance.now();
const panel = writePanel(file);
const writeSeconds = (performance.now() - started) / 1000;

const identity = { runId: 'bench-panel', attemptId: 'a1', creatorArn: null };
const command: 'predict' | 'experiment' = values.command === 'experiment' ? 'experiment' : 'predict';
const commandFlags = command === 'experiment'
  ? { command, experimentSets: ['base=price,volume,marketCap,rsi', 'lean=price,rsi'] }
  : { command };
const { config: clusterConfig } = loadEmrConfig({ flags: { bucket: 'pricecast-bench', input: file, coreInstanceCount: Number(values['core-nodes']), ...commandFlags } });
const experimentScript = command === 'experiment' ? { experimentScript: await localFileFacts(clusterConfig.files.experimentScript) } : {};
const wheelhouse = join(PROJECT_ROOT, '.cache', 'wheelhouse');
const cluster = planRun(clusterConfig, identity, {
  input: await localFileFacts(file),
  script: await localFileFacts(clusterConfig.files.script),
  ...experimentScript,
  bootstrap: await localFileFacts(clusterConfig.files.bootstrap),
  wheelhouse: await wheelhouseFiles(wheelhouse),
});
const { config: serverlessConfig } = loadEmrConfig({
  flags: {
    bucket: 'pricecast-bench', input: file, serverless: true, serverlessExecutors: Number(values.executors),
    executionRoleArn: 'arn:aws:iam::123456789012:role/pricecast-job', pythonArchive: '/not/read/pyenv.tar.gz',
    ...commandFlags,
  },
});
// The packed environment is not built here: its size is taken as the wheelhouse's (the same wheels, unpacked).
const wheelhouseBytes = cluster.uploads.filter((u) => u.role === 'wheel').reduce((sum, u) => sum + u.size, 0);
const serverless = planServerlessRun(serverlessConfig, identity, {
  input: await localFileFacts(file),
  script: await localFileFacts(serverlessConfig.files.script),
  ...experimentScript,
  pythonArchive: { path: '/not/read/pyenv.tar.gz', sha256: '0'.repeat(64), size: wheelhouseBytes },
});
const bytes = (uploads: { size: number }[]) => uploads.reduce((sum, u) => sum + u.size, 0);
console.log(JSON.stringify({
  panel: { file, assets, days, rows: panel.rows, bytes: panel.bytes, sha256: panel.sha256, writeSeconds: Number(writeSeconds.toFixed(2)) },
  command,
  cluster: {
    job: cluster.steps[1].HadoopJarStep?.Args?.slice(4, 12),
    nodes: cluster.cost?.nodes,
    usdPerHour: cluster.cost?.usdPerHour,
    uploads: cluster.uploads.length,
    uploadBytes: bytes(cluster.uploads),
    steps: cluster.steps.length,
  },
  serverless: {
    workers: serverless.cost.workers,
    vcpu: serverless.cost.vcpu,
    memoryGb: serverless.cost.memoryGb,
    usdPerHour: serverless.cost.usdPerHour,
    maximumCapacity: serverless.createApplication?.maximumCapacity,
    uploads: serverless.uploads.length,
    uploadBytes: bytes(serverless.uploads),
    executionTimeoutMinutes: serverless.startJobRun.executionTimeoutMinutes,
    entryPoint: serverless.startJobRun.jobDriver?.sparkSubmit?.entryPoint,
  },
}, null, 2));
