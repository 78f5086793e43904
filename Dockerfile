# tracecar: one image for `proxy` (the sidecar, default), `collector` and `webhook`.
#   docker build -t tracecar:0.1.0 .        (or podman build; --build-arg NODE_VERSION=24)
#   docker build --build-arg BASE_IMAGE=registry.example.com/node --build-arg BASE_TAG=22-bookworm-slim -t tracecar:0.1.0 .
#   docker run --rm tracecar:0.1.0 proxy --upstream http://app:8080
#   docker run --rm -p 16686:16686 -e TRACECAR_HEALTHCHECK_URL=http://127.0.0.1:16686/api/services \
#     tracecar:0.1.0 collector --host 0.0.0.0 --data-dir /data
ARG NODE_VERSION=22
# The base of both stages, BASE_IMAGE:BASE_TAG (two arguments, so the tag is always
# explicit). Any Debian bookworm root filesystem does that has node and npm on PATH and a
# `node` user (uid 1000), like Node's own slim image: a mirror of it, or one built locally
# where no registry can be reached (test/image builds one with debootstrap).
ARG BASE_IMAGE=node
ARG BASE_TAG=${NODE_VERSION}-bookworm-slim

# Build: dev dependencies, TypeScript and the UI bundle; then the dev dependencies are
# pruned away. Compiled here where the compilers are (better-sqlite3 falls back to
# building from source when no prebuilt binary fits the platform or can be downloaded;
# pruning, not a second `npm ci`, keeps that build instead of compiling it twice).
FROM ${BASE_IMAGE}:${BASE_TAG} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build \
 && rm -f dist/.tsbuildinfo dist/.ui.tsbuildinfo dist/.ui-build-stamp.json \
 && npm prune --omit=dev --no-audit --no-fund \
 && npm cache clean --force

# Runtime: Node, the production dependencies, the compiled code; nothing else.
# iptables is for the tracecar-init container of `tracecar inject --capture iptables`.
FROM ${BASE_IMAGE}:${BASE_TAG}
RUN apt-get update \
 && apt-get install -y --no-install-recommends iptables \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
# The node user (uid 1000) of the base image; Kubernetes may run it as another non-root uid.
USER node
# sidecar inbound, sidecar admin, collector OTLP gRPC / HTTP / UI, webhook
EXPOSE 15006 15000 4317 4318 16686 8443
# The sidecar's admin /healthz by default; collector and webhook set TRACECAR_HEALTHCHECK_URL.
# (No --start-period: the first check comes after one interval anyway, and dockerfilelint
# 1.8 misreads hyphenated HEALTHCHECK options.)
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
  CMD ["node", "dist/k8s/healthcheck.js"]
ENTRYPOINT ["node", "bin/tracecar.js"]
CMD ["proxy"]
