import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { loadAlertRulesFile, parseAlertRulesYaml } from '../../../src/collector/alerts/alert-rules-file.js'

t.test('the example file in config/ is valid', async (t) => {
  const file = loadAlertRulesFile(join(import.meta.dirname, '../../../config/alerts.yaml'))
  t.ok(file.rules.length >= 3)
  t.same(new Set(file.rules.map((r) => r.kind)), new Set(['duration_quantile', 'error_rate', 'request_rate']))
})

t.test('values are read in their units', async (t) => {
  const file = parseAlertRulesYaml(
    `evaluationInterval: 15s
rules:
  - name: cart-p99
    kind: duration_quantile
    service: checkout
    operation: POST /cart
    quantile: 0.99
    threshold: 500ms
    window: 5m
    for: 1m30s
  - name: errors
    kind: error_rate
    service: checkout
    threshold: "5%"
  - name: traffic
    kind: request_rate
    service: checkout
    threshold: 120/m
`,
    'inline',
  )
  t.equal(file.evaluationIntervalMs, 15_000)
  t.match(file.rules[0], { threshold: 500, windowMs: 300_000, forMs: 90_000, quantile: 0.99, operation: 'POST /cart', minRequests: 1 })
  t.match(file.rules[1], { threshold: 0.05, windowMs: 300_000, forMs: 0 })
  t.match(file.rules[2], { threshold: 2 })
})

function rejects(t: { not: (a: unknown, b: unknown, m?: string) => void; match: (a: unknown, b: RegExp) => void }, yaml: string, ...patterns: RegExp[]): void {
  let message = ''
  try {
    parseAlertRulesYaml(yaml, 'rules.yaml')
  } catch (err) {
    message = (err as Error).message
  }
  t.not(message, '', 'rejected')
  for (const p of patterns) t.match(message, p)
}

t.test('bad files are rejected with the rule and the key named', async (t) => {
  rejects(t, 'rules: [', /alert rules rules.yaml: not valid YAML/)
  rejects(t, 'rule: []', /the file is missing "rules"/, /the file has an unknown key "rule" \(allowed: evaluationInterval, rules\)/)
  rejects(
    t,
    'rules:\n  - name: slow\n    kind: latency\n    service: a\n    threshold: 1',
    /rule "slow" \(rules\[0\]\) key "kind" must be one of duration_quantile, error_rate, request_rate/,
  )
  rejects(t, 'rules:\n  - name: slow\n    kind: duration_quantile\n    threshold: 500ms', /rule "slow" \(rules\[0\]\) is missing "service"/)
  rejects(
    t,
    'rules:\n  - name: slow\n    kind: duration_quantile\n    service: a\n    threshold: fast',
    /rule "slow" \(rules\[0\]\) key "threshold" must be a duration above zero/,
  )
  rejects(
    t,
    'rules:\n  - name: slow\n    kind: duration_quantile\n    service: a\n    threshold: 1s\n    for: 5 minutes',
    /rule "slow" \(rules\[0\]\) key "for" must be a duration such as 500ms, 30s, 5m, 1h/,
  )
  rejects(
    t,
    'rules:\n  - name: e\n    kind: error_rate\n    service: a\n    threshold: 5',
    /rule "e" \(rules\[0\]\) key "threshold" must be a fraction between 0 and 1/,
  )
  rejects(
    t,
    'rules:\n  - name: e\n    kind: error_rate\n    service: a\n    threshold: 0.1\n    quantile: 0.9',
    /key "quantile" only applies to kind duration_quantile/,
  )
  rejects(
    t,
    'rules:\n  - name: e\n    kind: error_rate\n    service: a\n    threshold: 0.1\n    treshold: 0.2',
    /rule "e" \(rules\[0\]\) has an unknown key "treshold"/,
  )
  rejects(
    t,
    'rules:\n  - name: a\n    kind: error_rate\n    service: a\n    threshold: 0.1\n  - name: a\n    kind: error_rate\n    service: b\n    threshold: 0.1',
    /rule "a" \(rules\[1\]\) has the same name as rules\[0\]/,
  )
  rejects(t, 'rules:\n  - kind: error_rate\n    service: a\n    threshold: 0.1', /rules\[0\] is missing "name"/)
})

t.test('a missing file is named', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tracecar-rules-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  t.throws(() => loadAlertRulesFile(join(dir, 'nope.yaml')), /alert rules .*nope.yaml: cannot read the file/)
  writeFileSync(join(dir, 'empty.yaml'), '')
  t.throws(() => loadAlertRulesFile(join(dir, 'empty.yaml')), /empty.yaml:\n {2}the file is missing "rules"/)
})

t.test('tracecar collector refuses to start with a bad rules file and says why', async (t) => {
  const { spawnTracecar } = await import('../../helpers/proxy-process.js')
  const dir = mkdtempSync(join(tmpdir(), 'tracecar-rules-cli-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'alerts.yaml')
  writeFileSync(file, 'rules:\n  - name: cart-slow\n    kind: duration_quantile\n    service: checkout\n    threshold: 500ms\n    for: soon\n')
  const child = spawnTracecar(['collector', '--data-dir', dir, '--http-port', '0', '--otlp-http-port', '0', '--otlp-grpc-port', '0', '--alert-rules', file])
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  t.equal(code, 2)
  t.match(stderr, `tracecar collector: alert rules ${file}:\n  rule "cart-slow" (rules[0]) key "for" must be a duration such as 500ms, 30s, 5m, 1h`)
})
