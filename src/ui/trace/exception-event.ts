// OpenTelemetry records an exception as a span event named "exception" with exception.type,
// exception.message and exception.stacktrace (semantic conventions). It says what went wrong,
// not how long a step took, so the UI shows it apart from the timing events.
export const EXCEPTION_EVENT = 'exception'

export function isException(event: { name: string }): boolean {
  return event.name === EXCEPTION_EVENT
}
