/** `tracecar collector` as a real child process, ports read from its listening line. */
import type { ChildProcess } from 'node:child_process'
import { spawnTracecar } from '../helpers/proxy-process.js'
import { testStoreUrl } from '../helpers/test-store.js'

export interface CollectorProcess {
  child: ChildProcess
  otlpUrl: string
  grpcPort: number
  apiUrl: string
  httpPort: number
  stderr: () => string
  exited: Promise<number | null>
}

/** `serveUi`: serve the built UI (dist/ui) instead of passing --no-ui. */
export async function startCollectorProcess(dataDir: string, flags: string[] = [], serveUi = false): Promise<CollectorProcess> {
  const store = testStoreUrl(dataDir)
  const child = spawnTracecar([
    'collector',
    ...(store === undefined ? [] : ['--store', store]),
    '--data-dir',
    dataDir,
    '--otlp-http-port',
    '0',
    '--otlp-grpc-port',
    '0',
    '--http-port',
    '0',
    ...(serveUi ? [] : ['--no-ui']),
    ...flags,
  ])
  let out = ''
  let err = ''
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const ports = await new Promise<{ otlpHttpPort: number; otlpGrpcPort: number; httpPort: number }>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const line = out.split('\n').find((l) => l.includes('"listening"'))
      if (line !== undefined) resolve(JSON.parse(line))
    })
    void exited.then((code) => reject(new Error(`tracecar collector exited with ${code} before listening:\n${err}`)))
  })
  return {
    child,
    otlpUrl: `http://127.0.0.1:${ports.otlpHttpPort}`,
    grpcPort: ports.otlpGrpcPort,
    apiUrl: `http://127.0.0.1:${ports.httpPort}`,
    httpPort: ports.httpPort,
    stderr: () => err,
    exited,
  }
}
