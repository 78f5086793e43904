/**
 * Severity from the words services print (`level=warn`, `"severity":"ERROR"`,
 * syslog names), mapped onto OpenTelemetry's SeverityNumber ranges.
 */
const NUMBERS: Record<string, number> = {
  trace: 1,
  debug: 5,
  dbg: 5,
  info: 9,
  information: 9,
  informational: 9,
  notice: 10,
  inf: 9,
  warn: 13,
  warning: 13,
  wrn: 13,
  error: 17,
  err: 17,
  eror: 17,
  crit: 21,
  critical: 21,
  alert: 22,
  emerg: 23,
  emergency: 23,
  fatal: 21,
  panic: 24,
}

/** OTel severity number for a level word; 0 (unspecified) when unknown. */
export function severityNumberOf(text: string): number {
  return NUMBERS[text.trim().toLowerCase()] ?? 0
}

const LEVEL_FIELDS = ['level', 'severity', 'lvl', 'loglevel', 'log.level', 'levelname', 'detected_level', 'severity_text', 'status_level']

/** The level word in structured fields, or '' when none. */
export function severityFromFields(fields: Record<string, unknown>): string {
  for (const name of LEVEL_FIELDS) {
    const v = fields[name]
    if (typeof v === 'string' && v !== '') return v
    // pino writes numeric levels (30 = info).
    if (typeof v === 'number') return pinoLevel(v)
  }
  return ''
}

function pinoLevel(n: number): string {
  if (n >= 60) return 'fatal'
  if (n >= 50) return 'error'
  if (n >= 40) return 'warn'
  if (n >= 30) return 'info'
  if (n >= 20) return 'debug'
  return 'trace'
}

const LEVEL_IN_TEXT = /(?:\b(?:level|lvl|severity)=["']?([A-Za-z]+)|^\S*\s*\[?(TRACE|DEBUG|INFO|WARN(?:ING)?|ERROR|FATAL|CRITICAL)\]?[\s:])/

/** A level word printed in a text line (`level=error`, `ERROR ...`, `[WARN]`), or ''. */
export function severityFromText(line: string): string {
  const m = LEVEL_IN_TEXT.exec(line)
  if (m === null) return ''
  return (m[1] ?? m[2] ?? '').toLowerCase()
}
