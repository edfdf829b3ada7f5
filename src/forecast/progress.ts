/**
 * Progress on stderr while a panel's assets are forecast: `forecast: 120/400 assets`. On a terminal
 * it is one line rewritten in place and cleared at the end; elsewhere only with `--progress`, as a
 * line at most once a second and one at the end, so a log file gets a few lines, never thousands.
 * stdout is never touched (it carries the summary or --json).
 */
const TERMINAL_EVERY_MS = 100;
const LOG_EVERY_MS = 1000;

export interface ProgressLine {
  update: (done: number, total: number) => void;
  done: () => void;
}

export function progressLine(what: string, stream: NodeJS.WriteStream, forced: boolean, now: () => number = Date.now): ProgressLine {
  const terminal = stream.isTTY === true;
  if (!terminal && !forced) return { update: () => {}, done: () => {} };
  let last = -Infinity;
  let shown = false;
  let pending = '';
  return {
    update(done, total) {
      const text = `${what}: ${done}/${total} assets`;
      const finished = done === total;
      if (!finished && now() - last < (terminal ? TERMINAL_EVERY_MS : LOG_EVERY_MS)) {
        pending = text;
        return;
      }
      last = now();
      pending = '';
      shown = true;
      stream.write(terminal ? `\r${text}\u001b[K` : `${text}\n`);
    },
    done() {
      if (!terminal && pending !== '') stream.write(`${pending}\n`);
      if (terminal && shown) stream.write('\r\u001b[K');
    },
  };
}
