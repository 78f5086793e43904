import t from 'tap'
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { startOtlpReceiver } from './otlp-receiver.js'

const run = promisify(execFile)
const repoRoot = fileURLToPath(new URL('../../', import.meta.url))

t.test('compiled to .js and run by plain node (no tsx), the exporter finds its .js worker and delivers', async (t) => {
  // Inside the repo so the compiled files resolve node_modules as dist/ does.
  const outDir = await mkdtemp(join(repoRoot, 'test/export/.compiled-'))
  t.teardown(() => rm(outDir, { recursive: true, force: true }))
  const tsc = join(repoRoot, 'node_modules/typescript/bin/tsc')
  const tscArgs = ['--outDir', outDir, '--rootDir', join(repoRoot, 'src'), '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022']
  tscArgs.push('--strict', '--skipLibCheck', '--types', 'node', '--resolveJsonModule')
  // The worker is loaded by file name, not imported, so it is named explicitly (tsconfig's include covers it for dist/).
  tscArgs.push(join(repoRoot, 'src/export/index.ts'), join(repoRoot, 'src/export/export-worker.ts'))
  await run(process.execPath, [tsc, ...tscArgs], { cwd: repoRoot })

  const receiver = await startOtlpReceiver()
  t.teardown(() => receiver.close())
  const script = join(outDir, 'run-exporter.mjs')
  await writeFile(
    script,
    `import { createOtlpSpanExporter } from './export/index.js'
import { Registry } from 'prom-client'
const exporter = createOtlpSpanExporter({
  config: { type: 'otlp', endpoint: process.argv[2], logsEndpoint: '', protocol: 'http/protobuf', compression: 'gzip', headers: {},
    timeoutMs: 2000, maxQueueSize: 100, maxExportBatchSize: 10, scheduledDelayMs: 10, workers: 1, maxAttempts: 2,
    initialBackoffMs: 10, maxBackoffMs: 20, maxConcurrentExports: 1 },
  resource: { 'service.name': 'compiled' }, registry: new Registry(), log: () => {},
})
const now = Date.now()
exporter.export({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', parentSpanId: '', traceFlags: 1, traceState: '',
  name: 'compiled', kind: 2, startUnixMs: now, endUnixMs: now + 1, statusCode: 0, statusMessage: '', attributes: {}, events: [], links: [] })
process.stdout.write(JSON.stringify({ report: await exporter.shutdown(3000), execArgv: process.execArgv }))
`,
  )
  const { stdout } = await run(process.execPath, [script, receiver.url], { cwd: outDir, env: { ...process.env, NODE_OPTIONS: '' } })
  const result = JSON.parse(stdout) as { report: unknown; execArgv: string[] }
  t.same(result.execArgv, [], 'the child ran without tsx')
  t.same(result.report, { exported: 1, dropped: 0 })
  t.equal(receiver.acceptedSpans.length, 1)
  t.equal(receiver.acceptedSpans[0]!.name, 'compiled')
})
