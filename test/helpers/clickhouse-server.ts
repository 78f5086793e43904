/**
 * A real clickhouse-server as a child process for the ClickHouse store's
 * tests: free loopback ports, a temp data dir and a config written for it
 * (as test/collector/prometheus-processes.ts starts Prometheus). Debian's
 * package (clickhouse-server, 18.16; .ci/run installs it) or a newer
 * `clickhouse` binary. `missingClickHouse()` says why a test must be skipped.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { freePort } from './servers.js'

/** How each known install is started: the server binary, or the all-in-one binary with `server`. */
const CANDIDATES: ReadonlyArray<{ bin: string; args: string[] }> = [
  { bin: '/usr/bin/clickhouse-server', args: [] },
  { bin: '/usr/sbin/clickhouse-server', args: [] },
  { bin: '/usr/bin/clickhouse', args: ['server'] },
]

function installed(): { bin: string; args: string[] } | undefined {
  return CANDIDATES.find((c) => existsSync(c.bin))
}

export function missingClickHouse(): string | false {
  return installed() === undefined
    ? `no clickhouse-server (looked for ${CANDIDATES.map((c) => c.bin).join(', ')}): install the Debian package clickhouse-server (listed in .ci/run apt_packages) to run this test`
    : false
}

export interface ClickHouseServer {
  /** http://127.0.0.1:port of the HTTP interface */
  httpUrl: string
  /** A `--store` URL for a database of its own on this server (created by the collector when missing). */
  storeUrl(database?: string): string
  /** Runs one statement on the HTTP interface; resolves with the answer's text. */
  sql(statement: string): Promise<string>
  output(): string
  /** SIGKILL, as a crashed or unreachable server; `start()` brings it back on the same port and data. */
  kill(): Promise<void>
  start(): Promise<void>
  stop(): Promise<void>
}

function configXml(dir: string, httpPort: number, tcpPort: number): string {
  return `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><console>1</console></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>${httpPort}</http_port>
  <tcp_port>${tcpPort}</tcp_port>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/data/tmp/</tmp_path>
  <user_files_path>${dir}/data/user_files/</user_files_path>
  <format_schema_path>${dir}/data/format_schemas/</format_schema_path>
  <users_config>${dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>5368709120</mark_cache_size>
  <timezone>UTC</timezone>
  <mlock_executable>false</mlock_executable>
</yandex>
`
}

const USERS_XML = `<?xml version="1.0"?>
<yandex>
  <profiles><default></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
`

export async function startClickHouse(): Promise<ClickHouseServer> {
  const install = installed()
  if (install === undefined) throw new Error(String(missingClickHouse()))
  const dir = mkdtempSync(join(tmpdir(), 'tracecar-clickhouse-'))
  mkdirSync(join(dir, 'data'), { recursive: true })
  const httpPort = await freePort()
  const tcpPort = await freePort()
  writeFileSync(join(dir, 'config.xml'), configXml(dir, httpPort, tcpPort))
  writeFileSync(join(dir, 'users.xml'), USERS_XML)
  const httpUrl = `http://127.0.0.1:${httpPort}`
  let child: ChildProcess | undefined
  let exited: Promise<void> = Promise.resolve()
  let output = ''

  const sql = async (statement: string): Promise<string> => {
    const res = await fetch(`${httpUrl}/`, { method: 'POST', body: statement })
    const text = await res.text()
    if (!res.ok) throw new Error(`ClickHouse answered ${res.status} to ${statement.slice(0, 80)}: ${text}`)
    return text
  }

  const start = async (): Promise<void> => {
    const proc = spawn(install.bin, [...install.args, `--config-file=${join(dir, 'config.xml')}`], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
    child = proc
    proc.stdout!.on('data', (d: Buffer) => (output += d.toString()))
    proc.stderr!.on('data', (d: Buffer) => (output += d.toString()))
    exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
    const deadline = Date.now() + 60_000
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`clickhouse-server exited at start: ${output.slice(-2000)}`)
      try {
        if ((await sql('SELECT 1')).trim() === '1') return
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`clickhouse-server did not answer on ${httpUrl} within 60 s: ${output.slice(-2000)}`)
      await new Promise((r) => setTimeout(r, 200))
    }
  }

  const kill = async (): Promise<void> => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
  }

  try {
    await start()
  } catch (err) {
    await kill()
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
  return {
    httpUrl,
    storeUrl: (database = `t_${randomBytes(6).toString('hex')}`) => `clickhouse://default@127.0.0.1:${httpPort}/${database}`,
    sql,
    output: () => output,
    kill,
    start,
    stop: async () => {
      if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      const timer = setTimeout(() => child?.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
