#!/usr/bin/env bash
# Makes a CA and a serving certificate for the webhook Service, stores them as the Secret
# tracecar-webhook-tls and prints 20-webhook.yaml with caBundle filled in:
#   config/k8s/make-webhook-cert.sh | kubectl apply -f -
# Re-run to rotate: the running webhook re-reads the Secret's files when they change.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
name=tracecar-webhook.tracecar.svc
openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=tracecar-webhook-ca" \
  -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=$name" -keyout "$dir/tls.key" -out "$dir/tls.csr" 2>/dev/null
printf 'subjectAltName=DNS:%s,DNS:%s.cluster.local,DNS:tracecar-webhook.tracecar\n' "$name" "$name" > "$dir/ext"
openssl x509 -req -in "$dir/tls.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 365 \
  -extfile "$dir/ext" -out "$dir/tls.crt" 2>/dev/null
kubectl -n tracecar create secret tls tracecar-webhook-tls --cert="$dir/tls.crt" --key="$dir/tls.key" \
  --dry-run=client -o yaml | kubectl apply -f - >&2
ca="$(base64 < "$dir/ca.crt" | tr -d '\n')"
sed "s|caBundle: \"\".*|caBundle: \"$ca\"|" "$here/20-webhook.yaml"
