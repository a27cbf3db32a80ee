-- 0002: accounts, sessions, signing keys, login throttling and the audit log (account-service).

-- Usernames are unique across the country and a login names no province, so this small global
-- directory maps a username to its account and tenant before any tenant is known.
CREATE TABLE account_directory (
  username_key text PRIMARY KEY,          -- lower-cased username
  account_id uuid NOT NULL UNIQUE,
  province_code text NOT NULL CHECK (province_code ~ '^[0-9]{2}$')
);

CREATE TABLE accounts (
  province_code text NOT NULL,
  account_id uuid NOT NULL,
  username text NOT NULL,
  role text NOT NULL CHECK (role IN ('MINISTRY_ADMIN', 'PROVINCE_OFFICER', 'DISTRICT_OFFICER',
                                     'ZONE_OFFICER', 'HEALTH_INSPECTOR', 'FACILITY')),
  district_code text,
  zone_id uuid,
  facility_id uuid,
  display_name text NOT NULL DEFAULT '',
  email text NOT NULL DEFAULT '',
  phone text NOT NULL DEFAULT '',
  -- Argon2id PHC string.
  password_hash text NOT NULL,
  -- Set while the password is a one-time password: it must be changed, and expires then.
  one_time_password_expires_at timestamptz,
  disabled boolean NOT NULL DEFAULT false,
  disabled_reason text NOT NULL DEFAULT '',
  request_id text,
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  last_login_at timestamptz,
  PRIMARY KEY (province_code, account_id),
  UNIQUE (province_code, facility_id),
  UNIQUE (province_code, request_id),
  CHECK ((role = 'MINISTRY_ADMIN') = (province_code = '00')),
  CHECK (role <> 'DISTRICT_OFFICER' OR district_code IS NOT NULL),
  CHECK (role <> 'ZONE_OFFICER' OR zone_id IS NOT NULL),
  CHECK ((role = 'FACILITY') = (facility_id IS NOT NULL))
) PARTITION BY LIST (province_code);
SELECT safemap_make_tenant_table('accounts');
CREATE INDEX accounts_role_idx ON accounts (province_code, role, username);

-- Rotating refresh tokens: single use; a reused token revokes its family (one login).
CREATE TABLE refresh_tokens (
  province_code text NOT NULL,
  token_id uuid NOT NULL,
  account_id uuid NOT NULL,
  family_id uuid NOT NULL,
  -- SHA-256 of the secret part; the token itself is never stored.
  secret_hash bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  revoked_at timestamptz,
  PRIMARY KEY (province_code, token_id),
  FOREIGN KEY (province_code, account_id) REFERENCES accounts (province_code, account_id)
) PARTITION BY LIST (province_code);
SELECT safemap_make_tenant_table('refresh_tokens');
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (province_code, family_id);
CREATE INDEX refresh_tokens_account_idx ON refresh_tokens (province_code, account_id);

-- Public halves of the token signing keys, so every account-service replica and every verifier
-- sees the same set; the private keys never enter the database.
CREATE TABLE signing_keys (
  key_id text PRIMARY KEY,
  public_key bytea NOT NULL CHECK (length(public_key) = 32),
  created_at timestamptz NOT NULL DEFAULT now(),
  -- Set when the key stops signing; it is still published until tokens it signed expire.
  retired_at timestamptz
);

-- Failed-login back-off per account and per client address. Global: an attack is not confined
-- to one province. Rows only slow logins down; nothing locks an account for good.
CREATE TABLE login_throttle (
  throttle_key text PRIMARY KEY,          -- 'account:<uuid>' or 'address:<ip>'
  failures integer NOT NULL DEFAULT 0,
  last_failure_at timestamptz NOT NULL DEFAULT now(),
  blocked_until timestamptz NOT NULL DEFAULT now()
);

-- Every mutating action. Never holds passwords, tokens or one-time passwords.
CREATE TABLE audit_events (
  province_code text NOT NULL,
  event_id uuid NOT NULL DEFAULT gen_random_uuid(),
  actor_account_id uuid,
  actor_username text NOT NULL DEFAULT '',
  actor_role text NOT NULL DEFAULT '',
  action text NOT NULL,
  target_type text NOT NULL DEFAULT '',
  target_id text NOT NULL DEFAULT '',
  outcome text NOT NULL CHECK (outcome IN ('SUCCESS', 'DENIED', 'FAILED')),
  detail text NOT NULL DEFAULT '',
  client_address text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (province_code, event_id)
) PARTITION BY LIST (province_code);
SELECT safemap_make_tenant_table('audit_events');
CREATE INDEX audit_events_time_idx ON audit_events (province_code, created_at DESC);

GRANT SELECT, INSERT, UPDATE, DELETE ON account_directory TO safemap_account;
GRANT SELECT, INSERT, UPDATE ON accounts TO safemap_account;
GRANT SELECT, INSERT, UPDATE, DELETE ON refresh_tokens TO safemap_account;
GRANT SELECT, INSERT, UPDATE ON signing_keys TO safemap_account;
GRANT SELECT, INSERT, UPDATE, DELETE ON login_throttle TO safemap_account;
GRANT SELECT, INSERT ON audit_events TO safemap_account;
-- Reports list the facility account's username and issue date.
GRANT SELECT ON accounts TO safemap_reporting;
