/**
 * The way every long-running command stops: on SIGTERM or SIGINT (once, however
 * many arrive) it says what it is doing, closes, says what it did, and exits 0;
 * a close that fails is reported and exits 1.
 */
export interface StopPlan {
  /** The line printed when stopping starts. */
  announce(signal: NodeJS.Signals | undefined): string
  /** Drains and closes; resolves to a closing summary line, if any. */
  close(): Promise<string | undefined>
}

/** Installs the handlers and returns the stop function, for other reasons to stop (a closed stdout). */
export function stopOnSignals(log: (line: string) => void, plan: StopPlan): (signal?: NodeJS.Signals) => void {
  let stopping = false
  const stop = (signal?: NodeJS.Signals): void => {
    if (stopping) return
    stopping = true
    log(plan.announce(signal))
    plan.close().then(
      (summary) => {
        if (summary !== undefined) log(summary)
        process.exit(0)
      },
      (err: Error) => {
        log(`shutdown failed: ${err.message}`)
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  return stop
}
