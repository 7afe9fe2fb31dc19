/**
 * A spinner on stderr while a scan runs, for people at a terminal. The caller enables it only when
 * stderr is a TTY, CI is unset and the format is text; otherwise every method is a no-op, so CI
 * logs and machine-readable output stay clean. ora is imported lazily, so `--help` does not pay for
 * it; calls made before it has loaded are replayed (only the latest text matters).
 */

export interface Progress {
  update(text: string): void;
  succeed?(text: string): void;
  stop(): void;
  /** Settles once the spinner is live (or when disabled, at once); for tests and orderly shutdown. */
  ready?: Promise<void>;
}

const NOOP: Progress = {
  update() {},
  succeed() {},
  stop() {},
  ready: Promise.resolve(),
};

/**
 * Below this width a spinner line cannot be drawn. A terminal that reports 0 or no columns (`docker run -t`,
 * `ssh -tt`) made ora loop forever rewriting its line, and the scan never exited: never start it there.
 */
const MIN_COLUMNS = 20;

export function createProgress(opts: { enabled: boolean; stream?: NodeJS.WriteStream }): Progress {
  const stream = opts.stream ?? process.stderr;
  if (!opts.enabled || !stream.isTTY || !((stream.columns ?? 0) >= MIN_COLUMNS)) return NOOP;

  type Spinner = import('ora').Ora;
  let spinner: Spinner | undefined;
  let text = '';
  let finished: { succeed?: string } | undefined;

  const ready = import('ora')
    .then(({ default: ora }) => {
      if (finished && finished.succeed === undefined) return; // stopped before it ever showed
      spinner = ora({ stream, text, discardStdin: false, isEnabled: true });
      if (finished) spinner.succeed(finished.succeed);
      else spinner.start();
    })
    .catch(() => {
      // A missing or broken spinner must never fail a scan.
    });

  return {
    update(next: string) {
      text = next;
      if (spinner && !finished) spinner.text = next;
    },
    succeed(message: string) {
      if (finished) return;
      finished = { succeed: message };
      spinner?.succeed(message);
    },
    stop() {
      if (finished) return;
      finished = {};
      spinner?.stop();
    },
    ready,
  };
}
