/** One log line as Loki's push API carries it, whichever encoding it came in. */
export interface LokiEntry {
  /** The stream's labels (service, level, file, ...). */
  labels: Record<string, string>
  /** Nanoseconds since the Unix epoch, exact. */
  timeUnixNano: bigint
  line: string
  /** Loki 3 structured metadata (per-line key/values, where Alloy puts trace_id). */
  metadata: Record<string, string>
}

/** Thrown for a push body that cannot be read; the route answers 400 with its message. */
export class LokiPushError extends Error {}
