/**
 * Debian's Prometheus and Alertmanager as real child processes on free
 * loopback ports with temp configs and storage, for the RED metrics and alerts tests.
 * `missingBinary` says why a test must be skipped on a machine without them.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../helpers/servers.js'
import { eventually } from './observability-process.js'

export const PROMETHEUS_BIN = '/usr/bin/prometheus'
export const ALERTMANAGER_BIN = '/usr/bin/prometheus-alertmanager'

export function missingBinary(path: string, pkg: string): string | false {
  return existsSync(path) ? false : `${path} is missing: install the Debian package ${pkg} (listed in .ci/run apt_packages) to run this test`
}

export interface ServiceProcess {
  url: string
  output: () => string
  stop(): Promise<void>
}

async function startProcess(bin: string, args: string[], dir: string, port: number, readyPath: string): Promise<ServiceProcess> {
  const child: ChildProcess = spawn(bin, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const url = `http://127.0.0.1:${port}`
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    await eventually(
      `${bin} to be ready`,
      async () => {
        if (child.exitCode !== null) throw new Error(`${bin} exited: ${output}`)
        const res = await fetch(`${url}${readyPath}`)
        return res.ok ? true : undefined
      },
      60_000,
      250,
    )
  } catch (err) {
    await stop()
    throw err
  }
  return { url, output: () => output, stop }
}

/** Prometheus with exemplar storage, scraping `target` (host:port) every second. */
export async function startPrometheus(target: string): Promise<ServiceProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'tracecar-prom-'))
  const port = await freePort()
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: tracecar\n    metrics_path: /metrics\n    static_configs:\n      - targets: ['${target}']\n`,
  )
  return startProcess(
    PROMETHEUS_BIN,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--enable-feature=exemplar-storage',
    ],
    dir,
    port,
    '/-/ready',
  )
}

/** Alertmanager without clustering, routing every alert to `webhookUrl` quickly (resolved alerts too). */
export async function startAlertmanager(webhookUrl: string): Promise<ServiceProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'tracecar-am-'))
  const port = await freePort()
  writeFileSync(
    join(dir, 'alertmanager.yml'),
    `route:\n  receiver: hook\n  group_by: ['alertname']\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n  - name: hook\n    webhook_configs:\n      - url: '${webhookUrl}'\n        send_resolved: true\n`,
  )
  return startProcess(
    ALERTMANAGER_BIN,
    [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
    ],
    dir,
    port,
    '/-/ready',
  )
}
