/**
 * What must not outlive a command stopped with Ctrl-C or `kill`: child process groups (the runtime build,
 * handler runs) and half-written cache folders. Code that starts such a thing registers its cleanup here
 * while it runs; on SIGINT/SIGTERM every registered cleanup runs (synchronously), then the process exits
 * with the conventional code (130/143). Without registrations no handler is installed, so a command that
 * starts nothing keeps Node's default behaviour.
 */
type Cleanup = () => void;

const cleanups = new Set<Cleanup>();
const SIGNAL_EXIT: Record<'SIGINT' | 'SIGTERM', number> = { SIGINT: 130, SIGTERM: 143 };

function onSignal(signal: 'SIGINT' | 'SIGTERM'): void {
  for (const cleanup of [...cleanups]) {
    try {
      cleanup();
    } catch {
      // best effort: the next cleanup still runs
    }
  }
  cleanups.clear();
  process.exit(SIGNAL_EXIT[signal]);
}

const handlers = { SIGINT: () => onSignal('SIGINT'), SIGTERM: () => onSignal('SIGTERM') };

/** Registers a cleanup for an interruption; returns the function that unregisters it (call it when done). */
export function onInterrupt(cleanup: Cleanup): () => void {
  if (cleanups.size === 0) {
    process.on('SIGINT', handlers.SIGINT);
    process.on('SIGTERM', handlers.SIGTERM);
  }
  cleanups.add(cleanup);
  return () => {
    cleanups.delete(cleanup);
    if (cleanups.size === 0) {
      process.off('SIGINT', handlers.SIGINT);
      process.off('SIGTERM', handlers.SIGTERM);
    }
  };
}

/** Kills a detached child's whole process group (the child and everything it started); never throws. */
export function killProcessGroup(pid: number | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}
