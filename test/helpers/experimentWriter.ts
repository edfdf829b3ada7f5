/**
 * A child process for the experiment folder's crash tests (test/experiment/folder.test.ts): writes one
 * small experiment folder with the experiment's writer, or only runs its pre-computation check.
 *
 *   node --import tsx test/helpers/experimentWriter.ts write DIR N
 *   node --import tsx test/helpers/experimentWriter.ts check DIR
 *
 * `check` prints the recovery report as JSON. Every file of the folder written with N carries N, so a test can tell a whole folder from a mix.
 * With PRICECAST_TEST_CRASH_AT=<step> in its environment output.ts kills it at that step.
 */
import { checkExperimentOutput, writeExperimentFolder } from '../../src/experiment/folder.js';

export function experimentFiles(n: number) {
  return {
    results: `${JSON.stringify({ tool: 'pricecast', command: 'experiment', refitEvery: n }, null, 2)}\n`,
    forecasts: new TextEncoder().encode(`forecasts ${n}`),
    report: `<html>report ${n}</html>`,
  };
}

async function main(argv: string[]): Promise<void> {
  const [command, dir, nText] = argv;
  if (command === 'check') process.stdout.write(`${JSON.stringify(await checkExperimentOutput(dir))}\n`);
  else if (command === 'write') process.stdout.write(`${await writeExperimentFolder(dir, experimentFiles(Number(nText)))}\n`);
  else throw new Error('usage: experimentWriter.ts write DIR N | check DIR');
}

if (process.argv[1]?.endsWith('experimentWriter.ts')) {
  main(process.argv.slice(2)).catch((error) => {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = (error as Error).name === 'UsageError' ? 2 : 1;
  });
}
