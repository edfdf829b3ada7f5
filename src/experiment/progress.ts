/**
 * Assets done / total on stderr (docs/experiment.md#panels): rewritten in place on a terminal; with
 * `--progress` and no terminal, one line each time another tenth of the assets is done (and at the end),
 * so a log stays short. Nothing on stdout, which keeps the table or --json clean.
 */
export function assetProgress(stream: NodeJS.WriteStream, forced: boolean): ((done: number, total: number) => void) | undefined {
  const tty = stream.isTTY === true;
  if (!tty && !forced) return undefined;
  let shownTenth = -1;
  return (done, total) => {
    if (tty) {
      stream.write(`\rassets ${done}/${total}${done === total ? '\n' : ''}`);
      return;
    }
    const tenth = Math.floor((done * 10) / total);
    if (tenth === shownTenth && done !== total) return;
    shownTenth = tenth;
    stream.write(`assets ${done}/${total}\n`);
  };
}
