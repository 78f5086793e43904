import { PerformanceObserver } from 'node:perf_hooks'
import v8 from 'node:v8'
import type { Worker } from 'node:worker_threads'

/**
 * How far V8 lets the old generation grow past what survived the last full GC
 * before the next one: 1.3x for the sidecar, the factor V8 itself uses for a heap
 * capped at 256 MiB or less (without the cap). On a machine with gigabytes of
 * memory V8 allows up to 4x, and under load the proxy's old generation (request
 * state promoted while in flight, garbage soon after) grew to 45 MiB and more
 * between mark-compacts. Measured peak RSS, 30 s at 50 connections: 128 MiB
 * instead of 197 with 2 MiB semi-spaces, 163 instead of 211 with Node's
 * default ones, for no measured CPU per request.
 *
 * This flag is read at every full GC and can be set from inside, so `tracecar
 * proxy` gets it however it is started.
 */
export const PROXY_HEAP_GROWING_PERCENT = 30

/**
 * The collector's (set the same way, by `tracecar collector`): 3x. With V8's
 * own factor its old generation (15-20 MiB live while ingesting) was allowed
 * about 2.5x, and V8 starts a full GC's marking as soon as the room left under
 * that limit is less than the young generation could promote at once (up to
 * 16 MiB semi-spaces): so every half second under load, each time marking the
 * whole old generation for little garbage.
 * Measured with bench/collector/run.js (300,000 spans into ClickHouse, two
 * runs each, alternating): 64,802 and 64,109 spans per collector CPU-second
 * against 60,982 and 55,665 with V8's factor, for a peak RSS of 140-142 MiB
 * instead of 118-126; 4x measured no better (61,356 and 63,973, 155-157 MiB).
 */
export const COLLECTOR_HEAP_GROWING_PERCENT = 200

/**
 * Options by which the user takes heap growth in hand: the factor itself (a node
 * command-line option only: NODE_OPTIONS does not accept it), or a heap size
 * (`--max-old-space-size` is accepted in NODE_OPTIONS; V8 then derives the factor
 * from it, 1.3x at 256 MiB or less).
 */
const HEAP_GROWTH_OPTION = /(?:^|\s)--(?:heap[-_]growing[-_]percent|max[-_]old[-_]space[-_]size|max[-_]heap[-_]size)\b/

/** Whether the node command line or NODE_OPTIONS already decides how the old generation grows. */
export function heapGrowthSetByUser(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  return execArgv.some((arg) => HEAP_GROWTH_OPTION.test(arg)) || HEAP_GROWTH_OPTION.test(nodeOptions ?? '')
}

/**
 * The most the sidecar's young generation (V8's new space, both semi-spaces)
 * grows to: two 2 MiB semi-spaces, what `--max-semi-space-size=2` would set.
 * Node lets them grow to 16 MiB each, and under load they do: 32 MiB of the
 * sidecar's peak RSS. Measured side by side
 * (bench/README.md), the capped sidecar peaked at 91 MiB instead of 127, for
 * the same CPU per request at 1,000 req/s and 3-7 % more at saturation (more
 * scavenges); two 4 MiB semi-spaces cost no less.
 */
export const PROXY_NEW_SPACE_CAP_BYTES = 4 * 1024 * 1024

/** Options by which the user sizes the young generation (of these NODE_OPTIONS accepts `--max-semi-space-size` only). */
const YOUNG_GENERATION_OPTION = /(?:^|\s)--(?:max|min)[-_]semi[-_]space[-_]size\b|(?:^|\s)--semi[-_]space[-_]growth[-_]factor\b/

/** Whether the node command line or NODE_OPTIONS already decides how large the young generation grows. */
export function youngGenerationSetByUser(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  return execArgv.some((arg) => YOUNG_GENERATION_OPTION.test(arg)) || YOUNG_GENERATION_OPTION.test(nodeOptions ?? '')
}

function newSpaceBytes(): number {
  for (const space of v8.getHeapSpaceStatistics()) if (space.space_name === 'new_space') return space.space_size
  return 0
}

/**
 * Keeps the young generation at or under `capBytes` from inside the process.
 *
 * Its largest size (`--max-semi-space-size`) is fixed when the heap is created,
 * but the factor by which it grows (`--semi-space-growth-factor`) is read at
 * each growth. So: the factor is 1 (no growth) while the proxy's modules load,
 * since that code runs without a turn of the event loop in which to look; then,
 * after each GC, 2 while the new space is at most half the cap and 1 from there.
 * V8 grows the new space by one step at most per GC, once more bytes survived
 * since the last step than it holds, and shrinks it when the process idles: the
 * same rule lets it grow back.
 *
 * The factor is a process-wide flag, and V8 raises it to 2 whenever it creates
 * a heap, so a worker thread's start undoes it: it is set again after every
 * GC, not only when it changes, and at every turn of the loop while a worker
 * starts.
 *
 * Not a hard limit: V8 can grow the new space more than once within one
 * stretch of synchronous code (a module loaded on first use), or before the
 * loop gets a turn after a worker's heap set the factor back to 2, and the
 * observer only runs after it: a step or two past the cap (8 MiB once and
 * 16 MiB once in full test-suite runs with both CPUs busy; 4 MiB when the
 * test runs alone, and 32 MiB without the cap). A hard limit would need the
 * factor held inside the GC, which Node gives JavaScript no hook for.
 */
export function capYoungGeneration(capBytes: number = PROXY_NEW_SPACE_CAP_BYTES): void {
  const apply = (): void => v8.setFlagsFromString(`--semi-space-growth-factor=${newSpaceBytes() * 2 <= capBytes ? 2 : 1}`)
  v8.setFlagsFromString('--semi-space-growth-factor=1')
  new PerformanceObserver(apply).observe({ entryTypes: ['gc'] })
  process.on('worker', (worker: Worker) => {
    // Its heap is created on its own thread, somewhere between here and
    // 'online': meanwhile the factor is set again at every turn of the loop.
    const meanwhile = setInterval(apply, 1)
    const done = (): void => {
      clearInterval(meanwhile)
      apply()
    }
    worker.once('online', done)
    worker.once('exit', done)
  })
}

/**
 * Sets the sidecar's heap growing factor and caps its young generation, before
 * the proxy's modules load, each unless the user decided (`node
 * --heap-growing-percent=N`, 0 for V8's own heuristics, or a
 * `--max-old-space-size` on the command line or in NODE_OPTIONS; a
 * `--max-semi-space-size` there).
 */
export function applyProxyHeapDefaults(execArgv: readonly string[] = process.execArgv, env: NodeJS.ProcessEnv = process.env): void {
  setHeapGrowingPercent(PROXY_HEAP_GROWING_PERCENT, execArgv, env)
  if (!youngGenerationSetByUser(execArgv, env.NODE_OPTIONS)) capYoungGeneration()
}

/** Sets the collector's heap growing factor, unless the user decided (as for the sidecar). */
export function applyCollectorHeapDefaults(execArgv: readonly string[] = process.execArgv, env: NodeJS.ProcessEnv = process.env): void {
  setHeapGrowingPercent(COLLECTOR_HEAP_GROWING_PERCENT, execArgv, env)
}

function setHeapGrowingPercent(percent: number, execArgv: readonly string[], env: NodeJS.ProcessEnv): void {
  if (!heapGrowthSetByUser(execArgv, env.NODE_OPTIONS)) v8.setFlagsFromString(`--heap-growing-percent=${percent}`)
}
