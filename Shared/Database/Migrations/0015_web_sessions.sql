-- 0015: browser sessions held by account-service, and login devices (issue 19).
--
-- web-service keeps no session of its own: any replica, restarted or not, finds a browser's
-- session here. Only the SHA-256 of a session's secret is stored; access tokens are minted
-- per request of web-service and never stored.
CREATE TABLE web_sessions (
  province_code text NOT NULL,
  session_id uuid NOT NULL,
  account_id uuid NOT NULL,
  secret_hash bytea NOT NULL,
  csrf_token text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  ended_at timestamptz,
  client_address text NOT NULL DEFAULT '',
  PRIMARY KEY (province_code, session_id),
  FOREIGN KEY (province_code, account_id) REFERENCES accounts (province_code, account_id)
) PARTITION BY LIST (province_code);
SELECT safemap_make_tenant_table('web_sessions');
CREATE INDEX web_sessions_account_idx ON web_sessions (province_code, account_id, created_at);
-- DELETE: an account's ended sessions are pruned when it opens a new one.
GRANT SELECT, INSERT, UPDATE, DELETE ON web_sessions TO safemap_account;

-- Clients (browsers, CLIs) where a username signed in successfully: OWASP's device cookies.
-- A login presenting one is throttled for that device alone, so failures by others behind
-- the same address cannot slow the owner down. Global, like login_throttle: looked up before
-- any tenant is known.
CREATE TABLE login_devices (
  device_hash bytea PRIMARY KEY,
  username_key text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX login_devices_username_idx ON login_devices (username_key, created_at);
GRANT SELECT, INSERT, DELETE ON login_devices TO safemap_account;

-- The login throttle reserves a failure before each password check (so parallel guesses
-- cannot pass one check together) and keeps each key's rule beside its count; `refused`
-- counts attempts refused during the current block, so the audit log records the 1st, 10th,
-- 100th… instead of one row each.
ALTER TABLE login_throttle
  ADD COLUMN free_failures integer NOT NULL DEFAULT 0,
  ADD COLUMN maximum_delay double precision NOT NULL DEFAULT 900,
  ADD COLUMN refused integer NOT NULL DEFAULT 0;
