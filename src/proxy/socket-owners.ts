import { readdir, readdirSync, readlink, readlinkSync } from 'node:fs'

/**
 * Which process holds a socket: `/proc/<pid>/fd` lists a process's open
 * files, a socket as a link to `socket:[inode]`. The sidecar sees the
 * service's processes only in a shared PID namespace (Kubernetes:
 * `shareProcessNamespace: true`) and may read their fd lists only as the same
 * user or with CAP_SYS_PTRACE; a process it cannot read is skipped.
 *
 * Every read is asynchronous: a process with many files, or a machine with
 * many processes, never stalls the proxy's event loop.
 */

/** The socket inodes process `pid` holds; undefined when it cannot be read (gone, or not ours to read). */
export function socketInodesOf(pid: number, callback: (inodes: Set<number> | undefined) => void): void {
  const dir = `/proc/${pid}/fd`
  readdir(dir, (err, fds) => {
    if (err !== null) return callback(undefined)
    const inodes = new Set<number>()
    let pending = fds.length
    if (pending === 0) return callback(inodes)
    for (const fd of fds) {
      readlink(`${dir}/${fd}`, (linkErr, target) => {
        if (linkErr === null) addSocketInode(inodes, target)
        if (--pending === 0) callback(inodes)
      })
    }
  })
}

/** Every process id this process can see (its PID namespace). */
export function listProcesses(callback: (pids: number[]) => void): void {
  readdir('/proc', (err, names) => {
    if (err !== null) return callback([])
    const pids: number[] = []
    for (const name of names) {
      const code = name.charCodeAt(0)
      if (code >= 48 && code <= 57) pids.push(Number(name))
    }
    callback(pids)
  })
}

/** The socket inodes of each of `pids` that could be read, all read at once. */
export function socketInodesOfAll(pids: readonly number[], callback: (byPid: Map<number, Set<number>>) => void): void {
  const byPid = new Map<number, Set<number>>()
  let pending = pids.length
  if (pending === 0) return callback(byPid)
  for (const pid of pids) {
    socketInodesOf(pid, (inodes) => {
      if (inodes !== undefined && inodes.size > 0) byPid.set(pid, inodes)
      if (--pending === 0) callback(byPid)
    })
  }
}

/**
 * The same, read synchronously: for the few processes of the service's
 * worker pool, read at each call whose process is not known yet. Asking the
 * thread pool costs two thread wake-ups per readlink, several times the read
 * itself (measured: 60 futex calls per outbound call for 30 readlinks); read
 * here, a pool of 5 processes of ~10 fds each holds the event loop for a
 * fraction of a millisecond.
 */
export function socketInodesOfAllNow(pids: readonly number[]): Map<number, Set<number>> {
  const byPid = new Map<number, Set<number>>()
  for (const pid of pids) {
    const dir = `/proc/${pid}/fd`
    let fds: string[]
    try {
      fds = readdirSync(dir)
    } catch {
      continue // gone, or not ours to read
    }
    const inodes = new Set<number>()
    for (const fd of fds) {
      try {
        addSocketInode(inodes, readlinkSync(`${dir}/${fd}`))
      } catch {
        // closed meanwhile
      }
    }
    if (inodes.size > 0) byPid.set(pid, inodes)
  }
  return byPid
}

/** `socket:[12345]` adds 12345; anything else an fd links to (files, pipes) is not a socket. */
function addSocketInode(inodes: Set<number>, linkTarget: string): void {
  if (linkTarget.startsWith('socket:[')) inodes.add(Number(linkTarget.slice(8, -1)))
}
