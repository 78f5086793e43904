// CPU time and memory of processes as the kernel counts them, for the
// benchmarks' CPU per request or per span (user + system time of every
// thread, from /proc/<pid>/stat) and peak RSS (/proc/<pid>/status).
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

/** Clock ticks per second, the unit of /proc/<pid>/stat's times. */
export const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100

/** CPU seconds (user + system, all threads) of one process or the sum of several. */
export function cpuSeconds(pids) {
  let ticks = 0
  for (const pid of Array.isArray(pids) ? pids : [pids]) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // utime and stime are fields 14 and 15 of the line; 12 and 13 after "pid (comm) ", whose name may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    ticks += Number(fields[11]) + Number(fields[12])
  }
  return ticks / CLK_TCK
}

/** Peak resident memory (VmHWM) in MiB of one process or the sum of several. */
export function peakRssMiB(pids) {
  let kb = 0
  for (const pid of Array.isArray(pids) ? pids : [pids]) kb += Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1])
  return kb / 1024
}
