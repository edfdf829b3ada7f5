/**
 * parquet-wasm (the Rust `parquet` crate as WebAssembly), loaded on first use. Importing it compiles and
 * instantiates ~5 MB of WebAssembly, about 60 ms: more than the rest of a `predict` on the default data,
 * which writes its Parquet with parquetfile.ts and never reads one. Readers call `parquetWasm()` instead
 * of importing the package.
 *
 * Loaded with require(): parquet-wasm's Node build is an ES module without top-level await, which Node
 * 20.19+ loads synchronously that way, so the readers stay synchronous. The package stays external to
 * the esbuild bundle (build.mjs): it finds its .wasm file beside its own module.
 */
import { createRequire } from 'node:module';

type ParquetWasm = typeof import('parquet-wasm');

let loaded: ParquetWasm | null = null;

export function parquetWasm(): ParquetWasm {
  if (loaded === null) {
    try {
      loaded = createRequire(import.meta.url)('parquet-wasm') as ParquetWasm;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ERR_REQUIRE_ESM') throw error;
      throw new Error(`reading Parquet needs Node 20.19 or later (it loads parquet-wasm with require); this is ${process.version}`);
    }
  }
  return loaded;
}
