/**
 * Loki push API, protobuf form (`Content-Type: application/x-protobuf`, the
 * body snappy-compressed in block format): what Promtail, Grafana Alloy and
 * Fluent Bit's loki output send by default. The schema is logproto's
 * PushRequest/StreamAdapter/EntryAdapter (grafana/loki pkg/push/push.proto),
 * built with protobufjs reflection so no generated code is kept.
 */
import protobuf from 'protobufjs'
import SnappyJS from 'snappyjs'
import type { LokiEntry } from './loki-entry.js'
import { LokiPushError } from './loki-entry.js'
import { parseLokiLabels } from './loki-labels.js'

const root = protobuf.Root.fromJSON({
  nested: {
    logproto: {
      nested: {
        Timestamp: { fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } } },
        LabelPairAdapter: { fields: { name: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
        EntryAdapter: {
          fields: {
            timestamp: { type: 'Timestamp', id: 1 },
            line: { type: 'string', id: 2 },
            structuredMetadata: { rule: 'repeated', type: 'LabelPairAdapter', id: 3 },
          },
        },
        StreamAdapter: {
          fields: {
            labels: { type: 'string', id: 1 },
            entries: { rule: 'repeated', type: 'EntryAdapter', id: 2 },
            hash: { type: 'uint64', id: 3 },
          },
        },
        PushRequest: { fields: { streams: { rule: 'repeated', type: 'StreamAdapter', id: 1 } } },
      },
    },
  },
})

/** The PushRequest message type, exported so tests and tools can encode a request like Promtail does. */
export const PushRequest = root.lookupType('logproto.PushRequest')

interface PlainPush {
  streams?: {
    labels?: string
    entries?: { timestamp?: { seconds?: string; nanos?: number }; line?: string; structuredMetadata?: { name?: string; value?: string }[] }[]
  }[]
}

/** Snappy block-decompresses (unless `compressed` is false) and decodes a push body. */
export function decodeLokiPushProto(body: Uint8Array, compressed = true): LokiEntry[] {
  let raw: Uint8Array
  if (compressed) {
    try {
      raw = SnappyJS.uncompress(body)
    } catch (err) {
      throw new LokiPushError(`Loki protobuf push body is not snappy block-compressed: ${(err as Error).message}`)
    }
  } else {
    raw = body
  }
  let plain: PlainPush
  try {
    plain = PushRequest.toObject(PushRequest.decode(raw), { longs: String, defaults: true }) as PlainPush
  } catch (err) {
    throw new LokiPushError(`Loki protobuf push body is not a logproto.PushRequest: ${(err as Error).message}`)
  }
  const out: LokiEntry[] = []
  ;(plain.streams ?? []).forEach((stream, si) => {
    let labels: Record<string, string>
    try {
      labels = parseLokiLabels(stream.labels ?? '')
    } catch (err) {
      throw new LokiPushError(`streams[${si}].labels: ${(err as Error).message}`)
    }
    for (const entry of stream.entries ?? []) {
      const seconds = BigInt(entry.timestamp?.seconds ?? '0')
      const nanos = BigInt(entry.timestamp?.nanos ?? 0)
      const metadata: Record<string, string> = {}
      for (const pair of entry.structuredMetadata ?? []) if (pair.name) metadata[pair.name] = pair.value ?? ''
      out.push({ labels, timeUnixNano: seconds * 1_000_000_000n + nanos, line: entry.line ?? '', metadata })
    }
  })
  return out
}
