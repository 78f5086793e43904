/**
 * The attribute names tracecar uses that OpenTelemetry's semantic conventions
 * still call incubating, copied here as the package itself advises
 * (@opentelemetry/semantic-conventions README: "copy the relevant
 * definitions into your code" rather than import `/incubating`).
 *
 * Why not import them: the `/incubating` entry is every experimental
 * attribute and value of every domain, and loading it costs the sidecar
 * ~3.5 MiB of heap and ~5.5 MiB of RSS at start-up (bench/startup-memory.js)
 * for these six strings. test/span/copied-attributes.test.ts checks
 * each one against the package, so a rename upstream fails the tests.
 */
export const ATTR_HTTP_REQUEST_BODY_SIZE = 'http.request.body.size' as const
export const ATTR_HTTP_RESPONSE_BODY_SIZE = 'http.response.body.size' as const
export const ATTR_HOST_NAME = 'host.name' as const
export const ATTR_PROCESS_PID = 'process.pid' as const
export const ATTR_PROCESS_RUNTIME_NAME = 'process.runtime.name' as const
export const ATTR_PROCESS_RUNTIME_VERSION = 'process.runtime.version' as const
