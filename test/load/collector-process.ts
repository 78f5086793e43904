import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/**
 * A collector (startCollector from src/collector) in its own process, on free ports
 * with its SQLite file in `dataDir`. Its own process because SQLite writes are
 * synchronous: in the test process they would stall the services and sidecars
 * whose latency the load test measures.
 */
export interface CollectorProcess {
  apiUrl: string
  otlpHttpUrl: string
  stop(): Promise<void>
}

const script = fileURLToPath(new URL('./run-collector.ts', import.meta.url))

export async function startCollectorProcess(dataDir: string): Promise<CollectorProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const ports = await new Promise<{ http: number; otlpHttp: number }>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const line = out.split('\n').find((l) => l.startsWith('{'))
      if (line !== undefined) resolve(JSON.parse(line) as { http: number; otlpHttp: number })
    })
    void exited.then(() => reject(new Error(`the collector process exited before listening: ${out}`)))
  })
  return {
    apiUrl: `http://127.0.0.1:${ports.http}`,
    otlpHttpUrl: `http://127.0.0.1:${ports.otlpHttp}`,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}
