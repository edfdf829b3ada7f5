/**
 * The Parquet write measured per column and per writer setting, on the test rows a benchmark size gives
 * (runPipeline without output, then each column written alone as a one-column file):
 *
 *   tsx bench/parquetColumns.ts [--size 10m] [--runs 5]
 *
 * Writers: parquet-wasm through Arrow IPC (what the engine used before: snappy, dictionary on by
 * default; and with the dictionary off; and uncompressed) and src/engine/output/parquetFile.ts (snappy, and
 * uncompressed). Prints a Markdown table of median ms and bytes per column and for the whole table.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { DateDay, Field, Float64, makeData, RecordBatch, Schema, Struct, Table, tableToIPC, type Data } from 'apache-arrow';
import { Compression, Table as WasmTable, WriterPropertiesBuilder, writeParquet } from 'parquet-wasm';
import { predictionParquetColumns } from '../src/engine/output/predictionsParquet.js';
import { encodeParquet, type ParquetColumn } from '../src/engine/output/parquetFile.js';
import { runPipeline } from '../src/engine/pipeline.js';
import { ensureBenchData, sizeByName } from './generate.js';
import { median } from './stats.js';

type Writer = { name: string; write: (columns: ParquetColumn[]) => Uint8Array };

function viaParquetWasm(compression: Compression, dictionary: boolean): (columns: ParquetColumn[]) => Uint8Array {
  return (columns) => {
    const length = columns[0].values.length;
    const fields = columns.map((c) => new Field(c.name, c.type === 'date' ? new DateDay() : new Float64(), true));
    const children: Data[] = columns.map((c) =>
      c.type === 'date'
        ? makeData({ type: new DateDay(), length, data: c.values })
        : makeData({ type: new Float64(), length, data: c.values }),
    );
    const schema = new Schema(fields);
    const batch = new RecordBatch(schema, makeData({ type: new Struct(fields), length, children }));
    const table = WasmTable.fromIPCStream(tableToIPC(new Table(schema, [batch]), 'stream'));
    const properties = new WriterPropertiesBuilder().setCompression(compression).setDictionaryEnabled(dictionary).build();
    return writeParquet(table, properties);
  };
}

const WRITERS: Writer[] = [
  { name: 'parquet-wasm snappy, dictionary (before)', write: viaParquetWasm(Compression.SNAPPY, true) },
  { name: 'parquet-wasm snappy, no dictionary', write: viaParquetWasm(Compression.SNAPPY, false) },
  { name: 'parquet-wasm uncompressed, no dictionary', write: viaParquetWasm(Compression.UNCOMPRESSED, false) },
  { name: 'parquetfile.ts snappy (now)', write: (c) => encodeParquet(c) },
  { name: 'parquetfile.ts uncompressed', write: (c) => encodeParquet(c, { compression: 'none' }) },
];

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { size: { type: 'string', default: '10m' }, runs: { type: 'string', default: '5' } } });
  const runs = Number(values.runs);
  const file = ensureBenchData(sizeByName(values.size!), (line) => process.stderr.write(`${line}\n`));
  const { predictions, report } = await runPipeline({ input: file });
  const columns: ParquetColumn[] = predictionParquetColumns(report.features).map(([name, key]) =>
    key === 'day'
      ? { name, type: 'date', values: predictions.day }
      : { name, type: 'double', values: predictions[key] as Float64Array },
  );
  const targets: Array<[string, ParquetColumn[]]> = [...columns.map((c): [string, ParquetColumn[]] => [c.name, [c]]), ['whole table', columns]];
  const header = ['column', ...WRITERS.map((w) => w.name)];
  const lines = [
    `Parquet write of the ${values.size} benchmark's ${predictions.day.length.toLocaleString('en')} test rows, per column: median ms of ${runs} runs / bytes`,
    '',
    `| ${header.join(' | ')} |`,
    `|---|${WRITERS.map(() => '---:').join('|')}|`,
  ];
  for (const [name, subset] of targets) {
    const cells = [name];
    for (const writer of WRITERS) {
      const times: number[] = [];
      let bytes = 0;
      for (let r = 0; r < runs + 1; r++) {
        const start = performance.now();
        bytes = writer.write(subset).length;
        if (r > 0) times.push(performance.now() - start); // the first run warms the code up
      }
      cells.push(`${median(times).toFixed(1)} ms / ${(bytes / 2 ** 20).toFixed(2)} MiB`);
    }
    lines.push(`| ${cells.join(' | ')} |`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
