/**
 * `npx tsx bench/startup.ts [--runs N]`: does an installed pricecast start as fast as a clone's? One run
 * packs the project (`npm pack`, whose prepack builds dist/), installs the tarball into a scratch npm
 * project (test/helpers/installedPackage.ts), then times, alternating run by run so that all three see
 * the same machine load:
 *
 *   node:       node -e 0                                        the floor of any Node CLI
 *   installed:  node <scratch>/node_modules/pricecast/bin/pricecast.js predict --output DIR
 *   clone:      node bin/pricecast.js predict --output DIR       (this checkout's dist/, just built)
 *
 * each as a whole process tree (bench/procTree.ts), `predict` on the bundled default data. Prints the
 * medians and the ratios installed/node and clone/node as Markdown; the figures are ratios because the
 * machine is shared (docs and README quote them, not the seconds).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { installTarball, packProject } from '../test/helpers/installedPackage.js';
import { PROJECT_ROOT } from './generate.js';
import { measureCommand } from './procTree.js';
import { median } from './stats.js';

const TOOLS = ['node', 'installed', 'clone'] as const;
type Tool = (typeof TOOLS)[number];

const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' }, help: { type: 'boolean', short: 'h', default: false } } });
if (values.help) {
  process.stdout.write('Usage: npx tsx bench/startup.ts [--runs N]   (default 15: N runs of each of node -e 0, installed and clone predict)\n');
  process.exit(0);
}
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: a positive integer, got ${values.runs}`);

const work = await mkdtemp(join(tmpdir(), 'pricecast-startup-'));
try {
  process.stderr.write('packing and installing…\n');
  const packed = packProject(work);
  const { packageDir } = installTarball(packed.tarball, join(work, 'project'));
  const out = join(work, 'out');
  const commands: Record<Tool, string[]> = {
    node: ['-e', '0'],
    installed: [join(packageDir, 'bin', 'pricecast.js'), 'predict', '--output', out],
    clone: [join(PROJECT_ROOT, 'bin', 'pricecast.js'), 'predict', '--output', out],
  };
  const wall: Record<Tool, number[]> = { node: [], installed: [], clone: [] };
  const cpu: Record<Tool, number[]> = { node: [], installed: [], clone: [] };
  const loads: number[] = [];
  // One warm-up of each (file cache), not counted.
  for (const tool of TOOLS) await measureCommand(process.execPath, commands[tool], { cwd: work });
  for (let run = 0; run < runs; run++) {
    for (const tool of TOOLS) {
      loads.push(loadavg()[0]);
      const m = await measureCommand(process.execPath, commands[tool], { cwd: work });
      if (m.exitCode !== 0) throw new Error(`${tool} failed (exit ${m.exitCode}): ${m.stderr}`);
      wall[tool].push(m.wallMs);
      cpu[tool].push(m.cpuMs);
    }
  }
  const w = (tool: Tool) => median(wall[tool]);
  const c = (tool: Tool) => median(cpu[tool]);
  const lines = [
    `startup: ${runs} runs each, alternating; 1-minute load ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)}; tarball ${(packed.size / 1000).toFixed(1)} kB`,
    '',
    '| command | wall ms (median) | CPU ms (median) | wall / node -e 0 |',
    '|---|---:|---:|---:|',
    ...TOOLS.map((tool) => `| ${tool} | ${w(tool).toFixed(0)} | ${c(tool).toFixed(0)} | ${(w(tool) / w('node')).toFixed(2)}× |`),
    '',
    `installed / clone: ${(w('installed') / w('clone')).toFixed(2)}×`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await rm(work, { recursive: true, force: true });
}
