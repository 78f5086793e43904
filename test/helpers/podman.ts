import { execFileSync, spawn } from 'node:child_process'
import {
  appendFileSync,
  chmodSync,
  chownSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'

/** What a command printed (stdout and stderr, interleaved) and how it ended. */
export interface CommandResult {
  code: number | null
  output: string
}

/** Runs a command to its end; the output is kept whole (a build prints a lot, but not megabytes). */
export function runCommand(command: string, args: string[], options: { cwd?: string; input?: string } = {}): Promise<CommandResult> {
  return new Promise((done) => {
    const child = spawn(command, args, { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d: Buffer) => (output += d.toString()))
    child.stderr.on('data', (d: Buffer) => (output += d.toString()))
    child.on('error', (error) => done({ code: null, output: `${output}${error.message}` }))
    child.on('close', (code) => done({ code, output }))
    child.stdin.end(options.input ?? '')
  })
}

/** The last lines of a long output, for a failure message. */
export function tail(output: string, lines = 40): string {
  return output.trimEnd().split('\n').slice(-lines).join('\n')
}

export function onPath(program: string): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v "$1"', 'sh', program], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** This machine's Debian release (the base is built from the same one, so its node runs there). */
export function debianCodename(): string | undefined {
  const osRelease = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : ''
  return /^VERSION_CODENAME=("?)([a-z]+)\1$/m.exec(osRelease)?.[2]
}

/**
 * The Debian archive apt is configured with for `codename` (one-line .list or deb822
 * .sources files), so debootstrap fetches from where this machine's packages come from.
 */
export function debianMirror(codename: string): string {
  const files = ['/etc/apt/sources.list']
  if (existsSync('/etc/apt/sources.list.d')) files.push(...readdirSync('/etc/apt/sources.list.d').map((f) => `/etc/apt/sources.list.d/${f}`))
  for (const file of files) {
    if (!existsSync(file)) continue
    const text = readFileSync(file, 'utf8')
    if (file.endsWith('.sources')) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const field = (name: string) => new RegExp(`^${name}:\\s*(.+)$`, 'mi').exec(stanza)?.[1].trim().split(/\s+/) ?? []
        if (field('Types').includes('deb') && field('Suites').includes(codename) && field('URIs')[0]) return field('URIs')[0]!
      }
    } else {
      for (const line of text.split('\n')) {
        const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line.trim())
        if (m && m[2] === codename) return m[1]!
      }
    }
  }
  return 'http://deb.debian.org/debian'
}

/**
 * Podman's default limits ask for more open files than a sandbox's hard limit allows, and
 * setrlimit above it needs CAP_SYS_RESOURCE: containers get this process's own limit.
 */
export function ulimitFlags(): string[] {
  const limits = readFileSync('/proc/self/limits', 'utf8')
  const files = /^Max open files\s+(\d+)\s+(\d+)/m.exec(limits)
  return ['--ulimit', files ? `nofile=${files[1]}:${files[2]}` : 'nofile=1024:4096', '--ulimit', 'nproc=4096:4096']
}

const hostCertificates = '/etc/ssl/certs/ca-certificates.crt'
const baseCertificates = '/usr/local/etc/host-ca-certificates.crt'

/**
 * A Node base image made here, for where no registry serves Node's own: a minimal Debian
 * root filesystem (debootstrap --variant=minbase from `mirror`) plus this machine's node,
 * npm and node headers laid out as in Node's images (/usr/local), and a `node` user with
 * uid 1000. The headers let node-gyp build native modules with nothing downloaded; this
 * machine's CA bundle, when it has one, is added to node's trusted certificates.
 * Returns debootstrap's or podman's output when either fails.
 */
export async function buildNodeBase(image: string, codename: string, mirror: string): Promise<CommandResult> {
  const root = mkdtempSync(join(tmpdir(), 'tracecar-base-'))
  try {
    const debootstrap = await runCommand('debootstrap', ['--variant=minbase', codename, root, mirror])
    if (debootstrap.code !== 0) return debootstrap
    rmSync(join(root, 'var/cache/apt/archives'), { recursive: true, force: true })
    mkdirSync(join(root, 'var/cache/apt/archives/partial'), { recursive: true })
    const prefix = resolve(dirname(process.execPath), '..')
    copyFileSync(process.execPath, join(root, 'usr/local/bin/node'))
    chmodSync(join(root, 'usr/local/bin/node'), 0o755)
    cpSync(join(prefix, 'lib/node_modules/npm'), join(root, 'usr/local/lib/node_modules/npm'), { recursive: true, verbatimSymlinks: true })
    symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(root, 'usr/local/bin/npm'))
    symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(root, 'usr/local/bin/npx'))
    if (existsSync(join(prefix, 'include/node'))) cpSync(join(prefix, 'include/node'), join(root, 'usr/local/include/node'), { recursive: true })
    // This machine's trusted certificates too: where egress passes a TLS-inspecting proxy,
    // npm in the build trusts what this machine trusts. Kept apart from Debian's bundle,
    // which installing ca-certificates in the build would rewrite.
    if (existsSync(hostCertificates)) copyFileSync(hostCertificates, join(root, baseCertificates.slice(1)))
    appendFileSync(join(root, 'etc/passwd'), 'node:x:1000:1000::/home/node:/bin/sh\n')
    appendFileSync(join(root, 'etc/group'), 'node:x:1000:\n')
    mkdirSync(join(root, 'home/node'))
    chownSync(join(root, 'home/node'), 1000, 1000)
    return await runCommand('sh', [
      '-c',
      'tar -C "$1" -c . | podman import --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" --change "ENV npm_config_nodedir=/usr/local" --change "ENV NODE_EXTRA_CA_CERTS=$3" - "$2"',
      'sh',
      root,
      image,
      baseCertificates,
    ])
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}
