/**
 * Progress on long panel runs: `assets 120/1000` rewritten in place on stderr, only when stderr is a
 * terminal or `--progress` asks for it (a log or a pipe gets nothing unless asked, then one line per
 * tenth of the work), and cleared when the work ends.
 */
export interface ProgressReporter {
  advance(): void;
  done(): void;
}

/** A terminal is redrawn at most this often. */
const REDRAW_MS = 200;

export function progressReporter(what: string, total: number, forced = false, stream: NodeJS.WriteStream = process.stderr): ProgressReporter {
  const terminal = stream.isTTY === true;
  if (!terminal && !forced) return { advance() {}, done() {} };
  let count = 0;
  let drawn = 0;
  let lastStep = 0;
  const step = Math.max(1, Math.ceil(total / 10));
  return {
    advance() {
      count++;
      if (terminal) {
        const now = Date.now();
        if (now - drawn < REDRAW_MS && count < total) return;
        drawn = now;
        stream.write(`\r${what} ${count}/${total}`);
      } else if (Math.floor(count / step) > lastStep || count === total) {
        lastStep = Math.floor(count / step);
        stream.write(`${what} ${count}/${total}\n`);
      }
    },
    done() {
      if (terminal && drawn > 0) stream.write('\r\x1b[K');
    },
  };
}
