import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))

/** TRACECAR_TEST_HTTP_ENGINE runs a whole suite on another inbound engine (see test/helpers/sidecar.ts). */
function engineEnv(): NodeJS.ProcessEnv {
  const engine = process.env.TRACECAR_TEST_HTTP_ENGINE
  return engine === undefined || engine === '' ? {} : { TRACECAR_HTTP_ENGINE: engine }
}

/** Runs `tracecar <args>` from source (tsx) as a real child process. */
export function spawnTracecar(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/cli/tracecar.ts', ...args], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...engineEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

export interface ProxyProcess {
  child: ChildProcess
  pid: number
  url: string
  adminUrl: string
  stdout: () => string
  stderr: () => string
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>
  exited: Promise<number | null>
}

/** Starts `tracecar proxy` on free loopback ports and waits until it listens. */
export async function startProxyProcess(flags: string[], env: NodeJS.ProcessEnv = {}): Promise<ProxyProcess> {
  const child = spawnTracecar(['proxy', '--listen-host', '127.0.0.1', '--listen-port', '0', '--admin-port', '0', '--outbound-port', '0', ...flags], env)
  let out = ''
  let err = ''
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const ports = await new Promise<{ inbound: number; admin: number }>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString()
      const m = /listening on [^:]+:(\d+) .*admin on [^:]+:(\d+)/.exec(err)
      if (m) resolve({ inbound: Number(m[1]), admin: Number(m[2]) })
    })
    void exited.then((code) => reject(new Error(`tracecar proxy exited with ${code} before listening:\n${err}`)))
  })
  return {
    child,
    pid: child.pid!,
    url: `http://127.0.0.1:${ports.inbound}`,
    adminUrl: `http://127.0.0.1:${ports.admin}`,
    stdout: () => out,
    stderr: () => err,
    exited,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM')
      return exited
    },
  }
}
