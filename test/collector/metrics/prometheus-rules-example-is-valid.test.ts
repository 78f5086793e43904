import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'

const PROMTOOL = '/usr/bin/promtool'
const file = join(import.meta.dirname, '../../../config/prometheus-rules.yaml')

t.test(
  'config/prometheus-rules.yaml passes promtool and uses the metrics the collector exports',
  { skip: existsSync(PROMTOOL) ? false : `${PROMTOOL} is missing: install the Debian package prometheus` },
  async (t) => {
    const out = execFileSync(PROMTOOL, ['check', 'rules', file], { encoding: 'utf8' })
    t.match(out, /SUCCESS: \d+ rules found/)
    const text = readFileSync(file, 'utf8')
    const used = new Set(text.match(/\btracecar_[a-z_]+/g))
    for (const name of used)
      t.ok(
        [
          'tracecar_span_duration_seconds_bucket',
          'tracecar_span_duration_seconds_count',
          'tracecar_span_duration_seconds_sum',
          'tracecar_span_errors_total',
          'tracecar_requests',
          'tracecar_errors',
          'tracecar_duration_seconds',
        ].includes(name),
        `${name} is exported (or recorded)`,
      )
  },
)
