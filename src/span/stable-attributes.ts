/**
 * The stable attribute names of OpenTelemetry's semantic conventions that the
 * sidecar writes on every span and on its resource, copied here.
 *
 * Why not import them: the package's main entry is every stable attribute and
 * metric name, and also every deprecated constant of the old naming; loading it
 * cost the sidecar 0.6-0.9 MiB of heap and about 1 MiB of RSS before its first
 * request, for these 25 strings (bench/startup-memory.js; bench/README.md).
 *
 * The package stays the authority: each constant is typed as the package's own
 * (a type-only import, gone at run time), so a copy that differs from it does not
 * compile, and test/span/copied-attributes.test.ts checks the values as well.
 */
import type * as semconv from '@opentelemetry/semantic-conventions'

export const ATTR_CLIENT_ADDRESS: typeof semconv.ATTR_CLIENT_ADDRESS = 'client.address'
export const ATTR_ERROR_TYPE: typeof semconv.ATTR_ERROR_TYPE = 'error.type'
export const ATTR_HTTP_REQUEST_METHOD: typeof semconv.ATTR_HTTP_REQUEST_METHOD = 'http.request.method'
export const ATTR_HTTP_REQUEST_METHOD_ORIGINAL: typeof semconv.ATTR_HTTP_REQUEST_METHOD_ORIGINAL = 'http.request.method_original'
export const ATTR_HTTP_RESPONSE_STATUS_CODE: typeof semconv.ATTR_HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code'
export const ATTR_HTTP_ROUTE: typeof semconv.ATTR_HTTP_ROUTE = 'http.route'
export const ATTR_K8S_CONTAINER_NAME: typeof semconv.ATTR_K8S_CONTAINER_NAME = 'k8s.container.name'
export const ATTR_K8S_NAMESPACE_NAME: typeof semconv.ATTR_K8S_NAMESPACE_NAME = 'k8s.namespace.name'
export const ATTR_K8S_NODE_NAME: typeof semconv.ATTR_K8S_NODE_NAME = 'k8s.node.name'
export const ATTR_K8S_POD_NAME: typeof semconv.ATTR_K8S_POD_NAME = 'k8s.pod.name'
export const ATTR_K8S_POD_UID: typeof semconv.ATTR_K8S_POD_UID = 'k8s.pod.uid'
export const ATTR_NETWORK_PEER_ADDRESS: typeof semconv.ATTR_NETWORK_PEER_ADDRESS = 'network.peer.address'
export const ATTR_NETWORK_PEER_PORT: typeof semconv.ATTR_NETWORK_PEER_PORT = 'network.peer.port'
export const ATTR_NETWORK_PROTOCOL_VERSION: typeof semconv.ATTR_NETWORK_PROTOCOL_VERSION = 'network.protocol.version'
export const ATTR_SERVER_ADDRESS: typeof semconv.ATTR_SERVER_ADDRESS = 'server.address'
export const ATTR_SERVER_PORT: typeof semconv.ATTR_SERVER_PORT = 'server.port'
export const ATTR_SERVICE_INSTANCE_ID: typeof semconv.ATTR_SERVICE_INSTANCE_ID = 'service.instance.id'
export const ATTR_SERVICE_NAME: typeof semconv.ATTR_SERVICE_NAME = 'service.name'
export const ATTR_TELEMETRY_SDK_LANGUAGE: typeof semconv.ATTR_TELEMETRY_SDK_LANGUAGE = 'telemetry.sdk.language'
export const ATTR_TELEMETRY_SDK_NAME: typeof semconv.ATTR_TELEMETRY_SDK_NAME = 'telemetry.sdk.name'
export const ATTR_TELEMETRY_SDK_VERSION: typeof semconv.ATTR_TELEMETRY_SDK_VERSION = 'telemetry.sdk.version'
export const ATTR_URL_FULL: typeof semconv.ATTR_URL_FULL = 'url.full'
export const ATTR_URL_PATH: typeof semconv.ATTR_URL_PATH = 'url.path'
export const ATTR_URL_SCHEME: typeof semconv.ATTR_URL_SCHEME = 'url.scheme'
export const ATTR_USER_AGENT_ORIGINAL: typeof semconv.ATTR_USER_AGENT_ORIGINAL = 'user_agent.original'
