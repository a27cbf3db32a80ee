-- 0005: campaigns (reporting-service).

CREATE TABLE campaigns (
  province_code text NOT NULL,
  campaign_id uuid NOT NULL,
  title text NOT NULL,
  description text NOT NULL DEFAULT '',
  start_time timestamptz NOT NULL,
  deadline timestamptz NOT NULL,
  kinds text[] NOT NULL DEFAULT '{}',
  district_code text,
  created_by uuid NOT NULL,
  request_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (province_code, campaign_id),
  UNIQUE (province_code, request_id),
  CHECK (deadline > start_time),
  FOREIGN KEY (province_code, district_code) REFERENCES districts (province_code, code)
) PARTITION BY LIST (province_code);
SELECT safemap_make_tenant_table('campaigns');
CREATE INDEX campaigns_deadline_idx ON campaigns (province_code, deadline DESC);

GRANT SELECT, INSERT ON campaigns TO safemap_reporting;
