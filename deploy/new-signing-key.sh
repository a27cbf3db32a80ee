#!/usr/bin/env bash
# Prints a new Ed25519 signing key line for SAFEMAP_SIGNING_KEYS: "<kid>:<base64 raw key>".
# Rotation: append the new line below the current one and roll account-service (it publishes
# the new public key; verifiers pick it up within a minute); then move it to the first line and
# roll again (it signs from then on); retire the old line after 15 minutes (token lifetime).
set -euo pipefail
python3 - <<'PY'
import base64, hashlib, os
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization as s
key = Ed25519PrivateKey.generate()
raw = key.private_bytes(s.Encoding.Raw, s.PrivateFormat.Raw, s.NoEncryption())
pub = key.public_key().public_bytes(s.Encoding.Raw, s.PublicFormat.Raw)
print(f"ed25519-{hashlib.sha256(pub).hexdigest()[:16]}:{base64.b64encode(raw).decode()}")
PY
