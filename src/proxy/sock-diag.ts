import { createRequire } from 'node:module'
import { endpointBytes, type TcpEndpoint } from './tcp-endpoint.js'

/**
 * The kernel's socket diagnostics (netlink `NETLINK_SOCK_DIAG`, what `ss`
 * uses): the inode of one TCP socket, asked for by its four-tuple, and the
 * inodes of the sockets listening on a port.
 *
 * Why not `/proc/net/tcp`: the kernel prints that table whole on every read,
 * TIME_WAIT sockets included, at 1 to 5 µs a line. A service that opens a
 * connection per call (python-requests without a session) or a server that
 * closes each connection (gunicorn's sync workers) fills it with thousands of
 * TIME_WAIT lines at a few hundred requests a second, and a lookup then costs
 * milliseconds of the sidecar's CPU per call, growing with the service's
 * rate. A lookup by four-tuple here is one hash lookup in the kernel: tens of
 * microseconds whatever the table holds.
 *
 * The socket comes from the `netlink` package's prebuilt native binding,
 * loaded on first use; where it cannot load (no prebuilt binary for the
 * platform) or the kernel refuses, `open` says so and the caller reads /proc.
 */

// <linux/netlink.h>: the protocol, request flags and the kernel's closing messages.
const NETLINK_SOCK_DIAG = 4
const NLM_F_REQUEST = 0x1
const NLM_F_DUMP = 0x300
const NLMSG_ERROR = 2
const NLMSG_DONE = 3
// <linux/sock_diag.h>, <sys/socket.h>, <netinet/in.h>: what is asked about.
const SOCK_DIAG_BY_FAMILY = 20
const AF_INET = 2
const AF_INET6 = 10
const IPPROTO_TCP = 6
// TCP states as a bit mask (1 << TCP_LISTEN), and the answer "no such socket".
const TCPF_ALL = 0xfff
const TCPF_LISTEN = 1 << 10
const ENOENT = 2
/** struct nlmsghdr + struct inet_diag_req_v2. */
const REQUEST_BYTES = 16 + 56
/** In an answer: struct nlmsghdr, then struct inet_diag_msg with the local port at 4, uid at 64 and inode at 68. */
const ANSWER_SPORT = 16 + 4
const ANSWER_INODE = 16 + 68
/** The kernel answers at once; this only bounds a call's wait should an answer never come. */
const ANSWER_TIMEOUT_MS = 1000

/** The part of the `netlink` package's RawNetlinkSocket used here (its own types pull in an old @types/node). */
interface RawNetlinkSocket {
  on(event: 'message', listener: (msg: Buffer) => void): void
  on(event: 'error', listener: (err: Error) => void): void
  send(msg: Uint8Array, options?: object, callback?: (err?: Error) => void): void
  ref(): void
  unref(): void
  close(): void
}
type RawNetlinkSocketClass = new (protocol: number, options?: object) => RawNetlinkSocket

/** A request waiting for its answer: the inodes found so far, `done` at its end. */
interface Pending {
  inodes: number[]
  /** For a dump of listening sockets: the port they must listen on (a dump answers every port). */
  port: number | undefined
  done: (inodes: number[] | Error) => void
  timer: NodeJS.Timeout
}

export class SockDiag {
  private seq = 0
  private readonly pending = new Map<number, Pending>()

  private constructor(private readonly socket: RawNetlinkSocket) {
    socket.on('message', (msg) => this.onMessage(msg))
    // An error of the socket itself (not an answer): every request waiting gets it.
    socket.on('error', (err) => {
      for (const seq of [...this.pending.keys()]) this.finish(seq, err)
    })
    socket.unref()
  }

  /** A socket diagnostics channel, or the reason there is none here. */
  static open(): SockDiag | Error {
    try {
      const { RawNetlinkSocket } = createRequire(import.meta.url)('netlink') as { RawNetlinkSocket: RawNetlinkSocketClass }
      return new SockDiag(new RawNetlinkSocket(NETLINK_SOCK_DIAG))
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err))
    }
  }

  /**
   * The inode of the socket whose own address is `local` and whose peer is
   * `remote` (0 when there is none, or it has no inode yet: a connection
   * still in a listen queue). An IPv4 connection's end may be an IPv6 socket
   * (a dual-stack listener): that form is asked for when the first is not found.
   */
  inodeOf(local: TcpEndpoint, remote: TcpEndpoint, done: (inode: number | Error) => void): void {
    const l = endpointBytes(local.address)
    const r = endpointBytes(remote.address)
    if (l === undefined || r === undefined) return done(0)
    const asV6 = (): void => this.request(AF_INET6, TCPF_ALL, local.port, l.v6, remote.port, r.v6, undefined, (found) => done(first(found)))
    if (l.v4 === undefined || r.v4 === undefined) return asV6()
    this.request(AF_INET, TCPF_ALL, local.port, l.v4, remote.port, r.v4, undefined, (found) => {
      if (found instanceof Error || found.length > 0) return done(first(found))
      asV6()
    })
  }

  /** The inodes of the sockets listening on `port`, IPv4 and IPv6. */
  listenerInodes(port: number, done: (inodes: number[] | Error) => void): void {
    this.request(AF_INET, TCPF_LISTEN, undefined, undefined, undefined, undefined, port, (v4) => {
      if (v4 instanceof Error) return done(v4)
      this.request(AF_INET6, TCPF_LISTEN, undefined, undefined, undefined, undefined, port, (v6) => done(v6 instanceof Error ? v6 : [...v4, ...v6]))
    })
  }

  close(): void {
    try {
      this.socket.close()
    } catch {
      // already closed by the error that made the caller give up on it
    }
  }

  /**
   * One request: with a four-tuple, the kernel looks that socket up; without
   * one, it dumps the sockets in `states` (listening sockets only: a short
   * table, the established ones are not walked) and those on `dumpPort` are kept.
   */
  private request(
    family: number,
    states: number,
    sport: number | undefined,
    src: readonly number[] | undefined,
    dport: number | undefined,
    dst: readonly number[] | undefined,
    dumpPort: number | undefined,
    done: (inodes: number[] | Error) => void,
  ): void {
    const seq = (this.seq = (this.seq + 1) >>> 0)
    const msg = Buffer.alloc(REQUEST_BYTES)
    msg.writeUInt32LE(REQUEST_BYTES, 0)
    msg.writeUInt16LE(SOCK_DIAG_BY_FAMILY, 4)
    msg.writeUInt16LE(sport === undefined ? NLM_F_REQUEST | NLM_F_DUMP : NLM_F_REQUEST, 6)
    msg.writeUInt32LE(seq, 8)
    msg[16] = family
    msg[17] = IPPROTO_TCP
    msg.writeUInt32LE(states, 20)
    // struct inet_diag_sockid: ports and addresses in network byte order, then the interface and "no cookie".
    if (sport !== undefined && dport !== undefined && src !== undefined && dst !== undefined) {
      msg.writeUInt16BE(sport, 24)
      msg.writeUInt16BE(dport, 26)
      msg.set(src, 28)
      msg.set(dst, 44)
    }
    msg.writeUInt32LE(0xffffffff, 64)
    msg.writeUInt32LE(0xffffffff, 68)
    const timer = setTimeout(() => this.finish(seq, new Error('socket diagnostics: no answer from the kernel')), ANSWER_TIMEOUT_MS)
    timer.unref()
    // Held open only while an answer is awaited: an idle channel never keeps the process alive.
    if (this.pending.size === 0) this.socket.ref()
    this.pending.set(seq, { inodes: [], port: dumpPort, done, timer })
    this.socket.send(msg, {}, (err) => {
      if (err !== undefined && err !== null) this.finish(seq, err)
    })
  }

  /** A datagram from the kernel: one or more netlink messages, each naming the request it answers. */
  private onMessage(msg: Buffer): void {
    for (let at = 0; at + 16 <= msg.length;) {
      const length = msg.readUInt32LE(at)
      if (length < 16) return
      const type = msg.readUInt16LE(at + 4)
      const seq = msg.readUInt32LE(at + 8)
      const pending = this.pending.get(seq)
      if (pending !== undefined) {
        if (type === NLMSG_ERROR) {
          // Exact lookups answer "no such socket" as ENOENT: found nothing, not a failure.
          const errno = -msg.readInt32LE(at + 16)
          this.finish(seq, errno === 0 || errno === ENOENT ? undefined : new Error(`socket diagnostics refused: errno ${errno}`))
        } else if (type === NLMSG_DONE) {
          this.finish(seq, undefined)
        } else if (type === SOCK_DIAG_BY_FAMILY && at + ANSWER_INODE + 4 <= msg.length) {
          if (pending.port === undefined || msg.readUInt16BE(at + ANSWER_SPORT) === pending.port) pending.inodes.push(msg.readUInt32LE(at + ANSWER_INODE))
          // An exact lookup has one answer and no NLMSG_DONE.
          if (pending.port === undefined) this.finish(seq, undefined)
        }
      }
      at += (length + 3) & ~3
    }
  }

  private finish(seq: number, err: Error | undefined): void {
    const pending = this.pending.get(seq)
    if (pending === undefined) return
    this.pending.delete(seq)
    clearTimeout(pending.timer)
    if (this.pending.size === 0) this.socket.unref()
    pending.done(err ?? pending.inodes)
  }
}

function first(found: number[] | Error): number | Error {
  return found instanceof Error ? found : (found.find((inode) => inode > 0) ?? 0)
}
