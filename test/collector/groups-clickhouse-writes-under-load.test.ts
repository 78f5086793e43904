// How the ClickHouse store groups span batches into inserts
// (src/collector/store/clickhouse/clickhouse-write-groups.ts): an idle
// collector writes a batch at once; under load, the batches that arrive
// shortly after a write share the next one; a full group does not wait.
// The groups are observed through the function that would write them.
import t from 'tap'
import { setImmediate as turn } from 'node:timers/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { WriteGroups } from '../../src/collector/store/clickhouse/clickhouse-write-groups.js'
import type { GroupOutcome } from '../../src/collector/store/clickhouse/clickhouse-write-groups.js'

/** WriteGroups over batches named by strings, recording each group it writes. */
function recorder(maxRecords: number, lingerMs: number): { groups: string[][]; writes: WriteGroups<string, string> } {
  const groups: string[][] = []
  const writes = new WriteGroups<string, string>(
    async (batches) => {
      groups.push([...batches])
      return batches.map((b): GroupOutcome<string> => ({ ok: true, value: `stored ${b}` }))
    },
    maxRecords,
    lingerMs,
  )
  return { groups, writes }
}

t.test('an idle collector writes a batch at once', async (t) => {
  const { groups, writes } = recorder(100, 60_000)
  const stored = writes.submit('a', 1)
  await turn()
  await turn()
  t.same(groups, [['a']], 'written within the turn it arrived in, not after the linger')
  t.equal(await stored, 'stored a', 'and acknowledged with its own outcome')
})

t.test('under load, batches that arrive after a write share the next one', async (t) => {
  const { groups, writes } = recorder(100, 1000)
  await writes.submit('first', 1)
  // Three senders whose batches arrive in different turns of the event loop.
  const answers = [writes.submit('b1', 1)]
  await turn()
  answers.push(writes.submit('b2', 1))
  await turn()
  answers.push(writes.submit('b3', 1))
  t.same(await Promise.all(answers), ['stored b1', 'stored b2', 'stored b3'], 'each batch gets its own outcome')
  t.same(groups, [['first'], ['b1', 'b2', 'b3']], 'one insert for the three, not one per turn')
})

t.test('a full group does not wait for the linger', async (t) => {
  const { groups, writes } = recorder(3, 600_000)
  await writes.submit('first', 1)
  const answers = ['x', 'y', 'z'].map((b) => writes.submit(b, 1))
  // With the linger applied this would wait ten minutes (and the test time out).
  t.same(await Promise.all(answers), ['stored x', 'stored y', 'stored z'])
  t.same(groups, [['first'], ['x', 'y', 'z']])
})

t.test('a collector idle for the linger writes at once again', async (t) => {
  const { groups, writes } = recorder(100, 50)
  await writes.submit('first', 1)
  await sleep(150)
  void writes.submit('later', 1)
  await turn()
  await turn()
  t.same(groups, [['first'], ['later']], 'no wait after a quiet spell')
})
