/**
 * Progress on stderr for long work (docs/output.md#progress): `reading 3,200,000 rows (45%)`,
 * `assets 120/1000` or `walk-forward 45%`, rewritten in place on a terminal and cleared when the work ends.
 *
 * A terminal sees nothing before the process has run for SHOW_AFTER_MS, so a quick run never flickers;
 * a log or a pipe gets nothing unless `--progress` asks for it, and then one line per tenth of the work
 * (whatever the time, so a test or a scheduler's log can rely on it).
 */
export interface ProgressReporter {
  advance(): void;
  done(): void;
}

/** What a reader reports as it goes: the rows parsed so far and the share of the input's bytes read. */
export interface ReadProgress {
  read(rows: number, fraction: number): void;
  done(): void;
}

/** A terminal is redrawn at most this often. */
const REDRAW_MS = 200;
/** Runs shorter than this show no progress on a terminal. */
export const SHOW_AFTER_MS = 2000;

/** Where progress goes, and the clock: milliseconds since the process started (performance's time origin). */
export interface ProgressOutput {
  stream: Pick<NodeJS.WriteStream, 'isTTY' | 'write'>;
  now: () => number;
}

const STDERR: ProgressOutput = { stream: process.stderr, now: () => performance.now() };

/** Writes one status text: in place on a terminal (throttled, after SHOW_AFTER_MS), else a line per tenth. */
function statusLine(forced: boolean, { stream, now: clock }: ProgressOutput) {
  const terminal = stream.isTTY === true;
  const enabled = terminal || forced;
  let drawn = 0;
  let lastTenth = 0;
  return {
    enabled,
    show(text: string, fraction: number, last: boolean) {
      if (!enabled) return;
      if (terminal) {
        const now = clock();
        if (now < SHOW_AFTER_MS || (now - drawn < REDRAW_MS && !last)) return;
        drawn = now;
        stream.write(`\r${text}\x1b[K`);
      } else {
        const tenth = Math.floor(Math.min(1, fraction) * 10);
        if (tenth > lastTenth) {
          lastTenth = tenth;
          stream.write(`${text}\n`);
        }
      }
    },
    clear() {
      if (terminal && drawn > 0) stream.write('\r\x1b[K');
    },
  };
}

/** `what count/total`, one step per advance(). */
export function progressReporter(what: string, total: number, forced = false, output: ProgressOutput = STDERR): ProgressReporter {
  const line = statusLine(forced, output);
  if (!line.enabled) return { advance() {}, done() {} };
  let count = 0;
  return {
    advance() {
      count++;
      line.show(`${what} ${count}/${total}`, count / total, count === total);
    },
    done() {
      line.clear();
    },
  };
}

/** `what P%` for work measured as a share done (a single series' walk-forward). */
export function shareProgress(what: string, forced = false, output: ProgressOutput = STDERR): { share(share: number): void; done(): void } {
  const line = statusLine(forced, output);
  if (!line.enabled) return { share() {}, done() {} };
  return {
    share(share) {
      line.show(`${what} ${Math.floor(Math.min(1, share) * 100)}%`, share, share >= 1);
    },
    done() {
      line.clear();
    },
  };
}

/** `reading N rows (P%)` while an input is read. */
export function readProgress(forced = false, output: ProgressOutput = STDERR): ReadProgress {
  const line = statusLine(forced, output);
  if (!line.enabled) return { read() {}, done() {} };
  return {
    read(rows, fraction) {
      line.show(`reading ${rows.toLocaleString('en-US')} rows (${Math.floor(fraction * 100)}%)`, fraction, fraction >= 1);
    },
    done() {
      line.clear();
    },
  };
}
