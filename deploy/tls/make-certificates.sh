#!/usr/bin/env bash
# Makes a private CA and one certificate per service, each in its own folder for running SafeMap with TLS and mutual
# TLS (README "TLS"). Each service's certificate serves its gRPC port and is also its client
# certificate when it calls account-service, so it carries both serverAuth and clientAuth;
# web-service's serves nothing over TLS itself (its Ingress does) and is its client certificate.
#   deploy/tls/make-certificates.sh OUT_DIR [EXTRA_DNS_NAME...]
# Names: the compose/Kubernetes service names (account, assessment, reporting, and
# <name>.<namespace>.svc forms via EXTRA_DNS_NAME), localhost and 127.0.0.1.
# For production, use your organisation's CA instead; the file layout is the same.
set -euo pipefail
out=${1:?usage: make-certificates.sh OUT_DIR [EXTRA_DNS_NAME...]}
shift
mkdir -p "$out"
cd "$out"
umask 077
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 \
  -keyout ca.key -out ca.pem -subj "/CN=SafeMap private CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
for service in account assessment reporting web; do
  names="DNS:$service,DNS:$service-service,DNS:localhost,IP:127.0.0.1"
  for extra in "$@"; do names="$names,DNS:$service.$extra,DNS:$service-service.$extra"; done
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature\n' \
    "$names" > "$service.ext"
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$service.key" -out "$service.csr" -subj "/CN=$service"
  openssl x509 -req -in "$service.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 397 \
    -out "$service.pem" -extfile "$service.ext"
  rm -f "$service.csr" "$service.ext"
  # What the service's pod or container gets: its own certificate and key and the CA's
  # certificate. Never another service's key, never the CA's private key.
  mkdir -p "$service"
  cp ca.pem "$service/ca.pem"
  mv "$service.pem" "$service.key" "$service/"
done
rm -f ca.srl
echo "certificates in $out: one folder per service ({account,assessment,reporting,web}/:"
echo "ca.pem, <service>.pem, <service>.key). ca.key stays here: keep it offline, in no secret."
for service in account assessment reporting web; do
  echo "  kubectl -n safemap create secret generic safemap-tls-$service --from-file=$out/$service"
done
