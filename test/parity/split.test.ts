/**
 * Spark's randomSplit row assignment, emulated by src/engine/split.ts, against real PySpark
 * (test/py/split_assignment.py builds a frame shaped like the job's and calls randomSplit): 24 seeds
 * x 3 sizes at the default ratio, plus other ratios, all in one Spark session.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { randomSplit, ROLE_TRAIN } from '../../src/engine/split.js';
import { ensurePythonEnv, type PythonEnv } from '../../src/parity/pyenv.js';
import { ROOT } from '../helpers/cli.js';

interface Assignment {
  n: number;
  seed: number;
  ratio: number;
  train: number[];
}

const SEEDS = [42, 0, 1, 2, 3, 7, 13, 30, 99, 100, 123, 777, 1000, 2024, 31337, 65536, 1_000_003, 2 ** 31 - 1, 2 ** 31, 2 ** 40 + 5, -1, -42, -(2 ** 33), Number.MAX_SAFE_INTEGER];
const SIZES = [10, 997, 20_000];

let env: PythonEnv;
beforeAll(async () => {
  env = await ensurePythonEnv();
});

function sparkAssignments(spec: unknown): Promise<Assignment[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(env.python, [join(ROOT, 'test', 'py', 'split_assignment.py')], { env: env.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(stdout)) : reject(new Error(`split_assignment.py exited ${code}: ${stderr.slice(-2000)}`))));
    child.stdin.end(JSON.stringify(spec));
  });
}

function engineTrain(n: number, ratio: number, seed: number): number[] {
  const { role } = randomSplit(n, ratio, seed);
  const train: number[] = [];
  role.forEach((r, i) => r === ROLE_TRAIN && train.push(i));
  return train;
}

describe("randomSplit row assignment: engine vs Spark's", () => {
  it(`matches for ${SEEDS.length} seeds x ${SIZES.length} sizes and other ratios`, async () => {
    const cases = [
      ...SIZES.flatMap((n) => SEEDS.map((seed) => ({ n, seed, ratio: 0.7 }))),
      ...[0.5, 0.8, 0.25, 0.9999].flatMap((ratio) => [42, 5].map((seed) => ({ n: 997, seed, ratio }))),
    ];
    const spark = await sparkAssignments({ cases });
    expect(spark).toHaveLength(cases.length);
    let mismatches = 0;
    for (const result of spark) {
      const mine = engineTrain(result.n, result.ratio, result.seed);
      if (JSON.stringify(mine) !== JSON.stringify(result.train)) {
        mismatches++;
        expect.soft(mine, `n=${result.n} seed=${result.seed} ratio=${result.ratio}`).toEqual(result.train);
      }
    }
    expect(mismatches).toBe(0);
    // The cases are not degenerate: the large ones split near the ratio.
    const big = spark.find((r) => r.n === 20_000 && r.seed === 42)!;
    expect(big.train.length / 20_000).toBeGreaterThan(0.68);
    expect(big.train.length / 20_000).toBeLessThan(0.72);
  });
});
