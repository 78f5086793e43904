// Starts the real collector (temp data dir, port 0, dist/ui) with the RED metrics part mounted,
// and loads the fixture over OTLP/HTTP JSON. Builds dist/ui first when it is missing.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startCollector, type Collector } from '../../src/collector/index.ts'
import { RedMetrics } from '../../src/collector/metrics/red-metrics.ts'
import { logsBody, postOtlp, tracesBody } from './otlp-json.ts'
import type { Fixture } from './ui-fixture.ts'

const root = fileURLToPath(new URL('../../', import.meta.url))
export const UI_DIR = join(root, 'dist', 'ui')

export function ensureUiBuilt(): void {
  if (existsSync(join(UI_DIR, 'index.html')) && existsSync(join(UI_DIR, 'assets', 'app.js'))) return
  execFileSync(process.execPath, [join(root, 'scripts', 'build-ui.js')], { stdio: 'inherit' })
}

export interface RunningCollector {
  collector: Collector
  baseUrl: string
  close: () => Promise<void>
}

export async function startCollectorWithData(fixture: Fixture | null, options: { metrics: boolean }): Promise<RunningCollector> {
  ensureUiBuilt()
  const dataDir = mkdtempSync(join(tmpdir(), 'tracecar-ui-'))
  const collector = await startCollector({
    dataDir,
    otlpHttpPort: 0,
    otlpGrpcPort: 0,
    httpPort: 0,
    uiDir: UI_DIR,
    log: () => {},
    extensions: options.metrics
      ? [({ db, log }) => {
          const red = new RedMetrics({ db, log })
          return { ingestListeners: [red], apiRoutes: red.routes, close: () => red.stop() }
        }]
      : [],
  })
  if (fixture) {
    const port = collector.ports.otlpHttp
    await postOtlp(port, '/v1/traces', tracesBody(fixture.spans))
    for (let i = 0; i < fixture.bigSpans.length; i += 2500) {
      await postOtlp(port, '/v1/traces', tracesBody(fixture.bigSpans.slice(i, i + 2500)))
    }
    await postOtlp(port, '/v1/logs', logsBody(fixture.logs))
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
