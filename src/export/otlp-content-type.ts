/** OTLP/HTTP protocols and their content types (a module of its own so workers can read it without loading an encoder). */
export type OtlpProtocol = 'http/protobuf' | 'http/json'

export const CONTENT_TYPE: Record<OtlpProtocol, string> = {
  'http/protobuf': 'application/x-protobuf',
  'http/json': 'application/json',
}
