// Starts the real collector (temp data dir, port 0, dist/ui) with the RED metrics part mounted,
// and loads the fixture over OTLP/HTTP JSON. Builds dist/ui first when it is missing.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startCollector, type Collector } from '../../src/collector/index.ts'
import { checkObservability } from '../../src/collector/collector.ts'
import { logsBody, postOtlp, tracesBody } from './otlp-json.ts'
import type { Fixture } from './ui-fixture.ts'

const root = fileURLToPath(new URL('../../', import.meta.url))
export const UI_DIR = join(root, 'dist', 'ui')

/** Builds dist/ui when it is missing or older than any file in src/ui (a stale bundle would test old code). */
export function ensureUiBuilt(): void {
  const bundle = join(UI_DIR, 'assets', 'app.js')
  if (existsSync(join(UI_DIR, 'index.html')) && existsSync(bundle)) {
    const builtAt = statSync(bundle).mtimeMs
    const sources = readdirSync(join(root, 'src', 'ui'), { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile())
      .map((d) => statSync(join(d.parentPath, d.name)).mtimeMs)
    if (sources.every((m) => m <= builtAt)) return
  }
  execFileSync(process.execPath, [join(root, 'scripts', 'build-ui.js')], { stdio: 'inherit' })
}

export interface RunningCollector {
  collector: Collector
  baseUrl: string
  close: () => Promise<void>
}

// One rule that fires on the fixture (payments fails), one that stays quiet, one that waits.
const ALERT_RULES = `
evaluationInterval: 1h
rules:
  - name: payments-errors
    kind: error_rate
    service: payments
    threshold: 5%
    window: 10m
    for: 0s
    minRequests: 1
  - name: checkout-slow
    kind: duration_quantile
    service: checkout
    quantile: 0.99
    threshold: 10s
    window: 10m
    for: 0s
    minRequests: 1
  - name: frontend-traffic-dropped
    kind: request_rate
    service: frontend
    threshold: 100/s
    window: 10m
    for: 1h
`

/** `metrics`: mount the logs/metrics/alerts part as the collector command does, with ALERT_RULES. */
export async function startCollectorWithData(fixture: Fixture | null, options: { metrics: boolean }): Promise<RunningCollector> {
  ensureUiBuilt()
  const dataDir = mkdtempSync(join(tmpdir(), 'tracecar-ui-'))
  const rulesPath = join(dataDir, 'alerts.yaml')
  writeFileSync(rulesPath, ALERT_RULES)
  const collector = await startCollector({
    dataDir,
    otlpHttpPort: 0,
    otlpGrpcPort: 0,
    httpPort: 0,
    uiDir: UI_DIR,
    log: () => {},
    observability: options.metrics ? checkObservability({ alertRulesPath: rulesPath }) : undefined,
  })
  if (fixture) {
    const port = collector.ports.otlpHttp
    await postOtlp(port, '/v1/traces', tracesBody(fixture.spans))
    for (let i = 0; i < fixture.bigSpans.length; i += 2500) {
      await postOtlp(port, '/v1/traces', tracesBody(fixture.bigSpans.slice(i, i + 2500)))
    }
    await postOtlp(port, '/v1/logs', logsBody(fixture.logs))
    // Evaluate now rather than on the (hour-long) schedule: the alerts page sees settled states.
    await collector.alerts?.evaluate()
  }
  return {
    collector,
    baseUrl: `http://127.0.0.1:${collector.ports.http}`,
    close: async () => {
      await collector.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
