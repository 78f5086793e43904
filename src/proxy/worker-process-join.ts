import type { Socket } from 'node:net'
import type { Exchange } from './exchange.js'
import type { InflightExchanges } from './inflight-exchanges.js'
import { findListenerInodes, findSocketInode, procSocketKeys, readTcpTable } from './proc-net-tcp.js'
import { SockDiag } from './sock-diag.js'
import { listProcesses, socketInodesOfAll, socketInodesOfAllNow } from './socket-owners.js'
import { endpointBytes, type TcpEndpoint } from './tcp-endpoint.js'

/** Why the worker-process rule found no parent (the label of `tracecar_outbound_join_declines_total`). */
export type WorkerProcessDecline =
  /** The calling process holds the connections of two or more requests in flight: a threaded or evented server. */
  | 'several_requests'
  /** The calling process serves no request in flight: a background job, or a call after its request ended. */
  | 'no_request'
  /** The calling process could not be found: no shared PID namespace, not allowed to read it, or the call's connection is gone. */
  | 'process_unknown'

export type WorkerProcessResult = { inbound: Exchange; decline?: undefined } | { inbound?: undefined; decline: WorkerProcessDecline }

/** What is known of one connection, kept for its life: neither changes while it is open. */
interface SocketFacts {
  /** The other end's own address, and its peer (us). */
  other: TcpEndpoint
  peer: TcpEndpoint
  /** Socket inode of the other end (the service's); 0 until the service has accepted it. */
  inode: number
  /** The process holding the other end; 0 until found. */
  owner: number
}

/** A call waiting for a snapshot of /proc. */
interface Waiter {
  callFacts: SocketFacts
  serving: ReadonlyArray<readonly [Exchange, Socket]>
  done: (result: WorkerProcessResult) => void
}

/** A full scan of every process is a few ms to 100 ms on a busy machine: at most one this often. */
const FULL_SCAN_INTERVAL_MS = 1000
/** How long the service's listening sockets, once found, are taken as they are. */
const LISTENERS_REFRESH_MS = 1000
/** The service's known processes are read synchronously up to this many (a worker pool); more, through the thread pool. */
const SYNC_READ_MAX_PROCESSES = 16

/**
 * The `worker-process` join rule: an outbound call from process P belongs to
 * the request P is serving, when P serves exactly one.
 *
 * The sidecar holds both connections that matter: the one it sent the
 * inbound request over (to the service) and the one the service opened to
 * the outbound proxy for its call. The other end of each is a socket of the
 * service's, listed in the shared network namespace's /proc/net/tcp with its
 * inode; /proc/<pid>/fd says which process holds that inode. A worker of a
 * prefork server (gunicorn sync, PHP-FPM, Apache prefork, Unicorn) holds only
 * the connection of the request it is handling, so its call joins that
 * request. A process holding the connections of several requests in flight
 * (threads, an event loop) is ambiguous: the rule declines, and the next rule
 * is tried.
 *
 * Costs nothing until a call needs it. Per call: a lookup of each new
 * connection's other end by its addresses (the kernel's socket diagnostics,
 * sock-diag.ts; one read of /proc/net/tcp{,6} where those cannot be had), and
 * the fd lists of the service's processes already known (those holding its
 * listening socket: the master and its workers), shared by the calls that
 * wait at the same moment; all of /proc only when the caller is a process
 * not known yet, at most once a second. What a connection's other end is, and
 * which process holds it, is cached for the connection's life. The known
 * processes' fds are read synchronously (up to 16 processes: a worker pool's
 * few dozen fds); everything else asynchronously: the call waits, the event
 * loop does not.
 */
export class WorkerProcessJoin {
  private readonly facts = new WeakMap<Socket, SocketFacts>()
  /** The service's processes (holding its listening socket, or a connection of ours): the worker pool, read first. */
  private readonly knownPids = new Set<number>()
  /** Inodes of the service's listening sockets, from the last lookup. */
  private listenerInodes: number[] = []
  private listenersReadMs = 0
  private lastFullScanMs = 0
  /** Calls waiting for the next snapshot, and whether one is being read. */
  private waiting: Waiter[] = []
  private reading = false
  /** Callers waiting for the full scan under way. */
  private scanWaiters: Array<(byPid: Map<number, Set<number>>) => void> | undefined
  /** The kernel's socket diagnostics: undefined until first needed, null where they cannot be had (then /proc/net/tcp is read). */
  private diag: SockDiag | null | undefined

  constructor(private readonly inflight: InflightExchanges) {}

  /**
   * Finds the inbound request of the process that made the call on `call`
   * (the outbound proxy's end of the service's connection). `done` is called
   * once, maybe synchronously.
   */
  find(call: Socket, done: (result: WorkerProcessResult) => void): void {
    // The requests in flight now: the call's own request is among them (it cannot end while its call waits).
    const serving = this.inflight.upstreamSockets()
    if (serving.length === 0) return done({ decline: 'no_request' })
    const callFacts = this.factsOf(call)
    if (callFacts === undefined) return done({ decline: 'process_unknown' })
    if (callFacts.owner !== 0 && serving.every(([, socket]) => this.factsOf(socket)?.owner !== 0)) {
      // A kept-alive call connection and requests whose workers are all known: no I/O.
      return done(this.decide(callFacts.owner, serving, undefined))
    }
    this.waiting.push({ callFacts, serving, done })
    if (!this.reading) this.readSnapshot()
  }

  /**
   * One read of the socket table and of the known processes' fds for every
   * call waiting when it starts (each read lists the connections made before
   * it); calls that come meanwhile wait for the next. Under load the reads
   * are shared, so their cost per call falls as calls pile up.
   */
  private readSnapshot(): void {
    const batch = this.waiting
    this.waiting = []
    this.reading = true
    const unknown = new Set<SocketFacts>()
    for (const { callFacts, serving } of batch) {
      if (callFacts.inode === 0) unknown.add(callFacts)
      for (const [, socket] of serving) {
        const facts = this.factsOf(socket)
        if (facts !== undefined && facts.inode === 0) unknown.add(facts)
      }
    }
    // The service's listening sockets change only when it restarts: asked for again at most once a second.
    const now = Date.now()
    const listenersDue = now - this.listenersReadMs >= LISTENERS_REFRESH_MS
    if (listenersDue) this.listenersReadMs = now
    this.lookUpInodes([...unknown], listenersDue ? batch[0]!.serving[0]![1].remotePort : undefined, () => {
      const known = [...this.knownPids]
      const withSnapshot = (byPid: Map<number, Set<number>>): void => {
        for (const pid of known) if (!byPid.has(pid)) this.knownPids.delete(pid)
        for (const waiter of batch) this.resolve(waiter, known, byPid)
        this.reading = false
        if (this.waiting.length > 0) this.readSnapshot()
      }
      if (known.length <= SYNC_READ_MAX_PROCESSES) withSnapshot(socketInodesOfAllNow(known))
      else socketInodesOfAll(known, withSnapshot)
    })
  }

  /**
   * Fills in the other end's inode of each of `unknown` that exists by now,
   * and the service's listening sockets on `servicePort` when given: from the kernel's
   * socket diagnostics (a lookup per socket), or where those cannot be had,
   * from one read of /proc/net/tcp{,6} (the whole table, its cost growing
   * with the sockets the namespace holds, TIME_WAIT ones included).
   */
  private lookUpInodes(unknown: SocketFacts[], servicePort: number | undefined, done: () => void): void {
    if (this.diag === undefined) {
      const opened = SockDiag.open()
      this.diag = opened instanceof Error ? null : opened
      if (opened instanceof Error) warnProcFallback(opened)
    }
    const diag = this.diag
    if (diag === null) return this.readProcTable(unknown, servicePort, done)
    let pending = unknown.length + (servicePort === undefined ? 0 : 1)
    let failed = false
    const settled = (err: Error | undefined): void => {
      if (err !== undefined && !failed) {
        failed = true
        warnProcFallback(err)
      }
      if (--pending > 0) return
      if (!failed) return done()
      // Refused (a kernel without inet_diag, a sandbox): /proc from now on.
      diag.close()
      this.diag = null
      this.readProcTable(unknown, servicePort, done)
    }
    if (pending === 0) return done()
    for (const facts of unknown) {
      diag.inodeOf(facts.other, facts.peer, (inode) => {
        if (typeof inode === 'number') facts.inode = inode
        settled(inode instanceof Error ? inode : undefined)
      })
    }
    if (servicePort !== undefined) {
      diag.listenerInodes(servicePort, (inodes) => {
        if (!(inodes instanceof Error)) this.listenerInodes = inodes
        settled(inodes instanceof Error ? inodes : undefined)
      })
    }
  }

  /** The same from the text of /proc/net/tcp{,6}. */
  private readProcTable(unknown: SocketFacts[], servicePort: number | undefined, done: () => void): void {
    readTcpTable((table) => {
      for (const facts of unknown) if (facts.inode === 0) facts.inode = findSocketInode(table, procSocketKeys(facts.other, facts.peer))
      if (servicePort !== undefined) this.listenerInodes = findListenerInodes(table, servicePort)
      done()
    })
  }

  /** One waiting call against a snapshot of the known processes; all of /proc when its caller is not among them. */
  private resolve(waiter: Waiter, known: readonly number[], byPid: Map<number, Set<number>>): void {
    const { callFacts, serving, done } = waiter
    if (callFacts.inode === 0) return done({ decline: 'process_unknown' })
    const owner = this.search(callFacts, serving, byPid)
    if (owner !== 0) {
      const inodes = byPid.get(owner)
      return done(inodes === undefined ? { decline: 'process_unknown' } : this.decide(owner, serving, inodes))
    }
    this.fullScan((all) => {
      const owner = this.search(callFacts, serving, all)
      if (owner !== 0) return done(this.decide(owner, serving, all.get(owner)!))
      // A scan that began before this call's connection was made does not list it; the workers it found may.
      const found = [...this.knownPids].filter((pid) => !known.includes(pid))
      if (found.length === 0) return done({ decline: 'process_unknown' })
      socketInodesOfAll(found, (more) => {
        const owner = this.search(callFacts, serving, more)
        done(owner === 0 ? { decline: 'process_unknown' } : this.decide(owner, serving, more.get(owner)!))
      })
    })
  }

  /**
   * The process in `byPid` holding the call's other end (0: none); on the way,
   * every process holding the service's listening socket or the other end of
   * a request's connection is remembered as one of the service's.
   */
  private search(callFacts: SocketFacts, serving: ReadonlyArray<readonly [Exchange, Socket]>, byPid: Map<number, Set<number>>): number {
    let owner = callFacts.owner
    for (const [pid, inodes] of byPid) {
      if (inodes.has(callFacts.inode)) owner = pid
      // Every process of a prefork server holds its listening socket: all its workers, idle or not, are known at once.
      for (const listener of this.listenerInodes) if (inodes.has(listener)) this.knownPids.add(pid)
      for (const [, socket] of serving) {
        const facts = this.factsOf(socket)
        if (facts !== undefined && facts.owner === 0 && facts.inode !== 0 && inodes.has(facts.inode)) {
          facts.owner = pid
          this.knownPids.add(pid)
        }
      }
    }
    if (owner !== 0 && callFacts.owner === 0) {
      callFacts.owner = owner
      this.knownPids.add(owner)
    }
    return owner
  }

  /** The requests `owner` serves among `serving`: the call joins the one, or declines. */
  private decide(owner: number, serving: ReadonlyArray<readonly [Exchange, Socket]>, ownerInodes: Set<number> | undefined): WorkerProcessResult {
    let found: Exchange | undefined
    let count = 0
    for (const [exchange, socket] of serving) {
      const facts = this.factsOf(socket)
      if (facts === undefined) continue
      if (facts.owner === 0 && ownerInodes !== undefined && facts.inode !== 0 && ownerInodes.has(facts.inode)) facts.owner = owner
      if (facts.owner !== owner) continue
      found = exchange
      count++
    }
    if (count === 0) return { decline: 'no_request' }
    if (count > 1) return { decline: 'several_requests' }
    return { inbound: found! }
  }

  /** Every process's socket inodes; callers during a scan share it; an empty map when one ran less than a second ago. */
  private fullScan(done: (byPid: Map<number, Set<number>>) => void): void {
    if (this.scanWaiters !== undefined) {
      this.scanWaiters.push(done)
      return
    }
    const now = Date.now()
    if (now - this.lastFullScanMs < FULL_SCAN_INTERVAL_MS) return done(new Map())
    this.lastFullScanMs = now
    const waiters = [done]
    this.scanWaiters = waiters
    listProcesses((pids) => {
      socketInodesOfAll(pids, (byPid) => {
        this.scanWaiters = undefined
        for (const waiter of waiters) waiter(byPid)
      })
    })
  }

  /** The cached facts of a connection we hold (created on first sight); undefined when its addresses are unknown. */
  private factsOf(socket: Socket): SocketFacts | undefined {
    let facts = this.facts.get(socket)
    if (facts !== undefined) return facts
    const { localAddress, localPort, remoteAddress, remotePort } = socket
    if (localAddress === undefined || localPort === undefined || remoteAddress === undefined || remotePort === undefined) return undefined
    // The other end's own address is our peer, its peer is us.
    if (endpointBytes(remoteAddress) === undefined || endpointBytes(localAddress) === undefined) return undefined
    facts = { other: { address: remoteAddress, port: remotePort }, peer: { address: localAddress, port: localPort }, inode: 0, owner: 0 }
    this.facts.set(socket, facts)
    return facts
  }
}

/** Said once, on stderr: the rule works on, but each lookup now costs in proportion to the sockets of the namespace. */
function warnProcFallback(reason: Error): void {
  process.emitWarning(
    `tracecar: the worker-process join rule cannot use the kernel's socket diagnostics (${reason.message}); ` +
      'it reads /proc/net/tcp{,6} instead, whose cost per lookup grows with the sockets of the network namespace, TIME_WAIT ones included',
  )
}
