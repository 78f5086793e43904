import { writeFileSync } from 'node:fs'
import { CollectorQuery, CollectorUnavailable } from '../load/collector-query.js'
import { formatLoadReport } from '../load/format-load-report.js'
import { ConfigError } from '../config/config-error.js'
import { commandSettings } from './command-settings.js'
import { LoadOptionError, loadHelpText, parseLoadOptions } from '../load/load-options.js'
import { type CollectorPart, buildLoadReport, runSearchUrl, wantedTraces } from '../load/load-report.js'
import { runLoad } from '../load/run-load.js'
import { newRunId } from '../load/run-trace-context.js'
import { awaitTraces } from '../load/trace-arrival.js'

/**
 * `tracecar load <url>`: autocannon load where every request is its own trace,
 * then the collector explains the slowest requests and the errors. Exit 2 on a bad
 * option, 1 when the target never answered, else 0 (error responses are findings,
 * not a failure of the run).
 */
export async function runLoadCommand(argv: string[]): Promise<void> {
  const options = commandSettings(
    argv,
    loadHelpText,
    () => parseLoadOptions(argv, undefined, process.env),
    (err): err is Error => err instanceof LoadOptionError || err instanceof ConfigError,
  )
  if (options === undefined) return

  const jsonToStdout = options.json === '-'
  const textOut = jsonToStdout ? process.stderr : process.stdout
  const runId = newRunId()
  const query = new CollectorQuery(options.collectorUrl)
  process.stderr.write(`tracecar load ${runId}: every request is a sampled trace with tracestate tracecar=${runId}\n`)
  process.stderr.write(`  traces: ${runSearchUrl(options.uiUrl, runId)}\n`)
  // Said before the run, so a 30 s run is not wasted on a typo in --collector.
  const early = await query.probe().then(
    () => undefined,
    (err: unknown) => (err instanceof CollectorUnavailable ? err.message : String(err)),
  )
  if (early !== undefined) process.stderr.write(`  warning: ${early}; the load runs anyway, the trace report will be missing\n`)

  const run = await runLoad(options, runId, { progress: process.stderr, stopOnSigint: true })

  let collector: CollectorPart
  try {
    await query.probe()
    const wanted = wantedTraces(run)
    const loadSpanIds = new Map(wanted.map((o) => [o.traceId, o.spanId]))
    if (wanted.length > 0) process.stderr.write(`waiting up to ${options.traceWaitSec} s for ${wanted.length} traces to reach ${options.collectorUrl} ...\n`)
    const arrival = await awaitTraces(query, [...loadSpanIds.keys()], { deadlineMs: options.traceWaitSec * 1000, loadSpanIds })
    collector = { reachable: true, ...arrival, loadSpanIds }
  } catch (err) {
    if (!(err instanceof CollectorUnavailable)) throw err
    collector = { reachable: false, message: err.message }
  }

  const report = buildLoadReport(run, options, collector)
  textOut.write(formatLoadReport(report))
  if (options.json !== undefined) {
    const json = JSON.stringify(report, null, 2) + '\n'
    if (jsonToStdout) process.stdout.write(json)
    else writeFileSync(options.json, json)
  }
  if (report.autocannon.responses === 0) {
    process.stderr.write(`tracecar load: no response from ${options.url} (${run.result.errors} connection errors); is it up?\n`)
    process.exitCode = 1
  }
}
