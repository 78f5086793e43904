// The text of a time in a datetime-local input, in the browser's zone (the same machine as the tests).

/** "2025-01-02T10:11:12": what a user types into a From/To input with seconds. */
export function localText(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000)
  return d.toISOString().slice(0, 19)
}

/**
 * What the input then holds: HTML's normalized local date and time, which leaves out seconds that
 * are zero ("2025-01-02T10:11" for 10:11:00), as Chromium does. A range ending on a whole minute
 * is still shown to the second; only the value's text is shorter.
 */
export function inputValueOf(ms: number): string {
  return localText(ms).replace(/:00$/, '')
}
