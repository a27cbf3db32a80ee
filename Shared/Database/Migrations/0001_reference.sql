-- 0001: service roles, reference data (provinces, districts) and the tenant-table helper.
--
-- The tenant is the province. Every tenant table is LIST-partitioned by province_code with one
-- partition per province plus '00', the national tenant that holds ministry-level rows (ministry
-- accounts, their sessions and audit events). safemap_make_tenant_table() gives a new tenant
-- table its partitions and its forced row-level security in one place.

DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['safemap_account', 'safemap_assessment', 'safemap_reporting'] LOOP
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS', r);
    END IF;
  END LOOP;
END $$;

CREATE TABLE provinces (
  code text PRIMARY KEY CHECK (code ~ '^[0-9]{2}$' AND code <> '00'),
  name text NOT NULL,
  full_name text NOT NULL
);

CREATE TABLE districts (
  code text PRIMARY KEY CHECK (code ~ '^[0-9]{3}$'),
  province_code text NOT NULL REFERENCES provinces (code),
  name text NOT NULL,
  full_name text NOT NULL,
  UNIQUE (province_code, code)
);

GRANT SELECT ON provinces, districts TO safemap_account, safemap_assessment, safemap_reporting;

-- Every tenant code: the national tenant '00' and each province.
CREATE FUNCTION safemap_tenant_codes() RETURNS SETOF text
LANGUAGE sql STABLE AS $$
  SELECT '00' UNION ALL SELECT code FROM provinces ORDER BY 1
$$;

-- Gives a table declared PARTITION BY LIST (province_code) one partition per tenant code and
-- forced row-level security: a role sees and writes only the rows of the province it set with
-- set_config('app.province', …, true); with none set it sees nothing. Reporting may also read
-- every province under the explicit national setting '*'. Partitions get no grants, so the
-- policies on the parent cannot be side-stepped.
CREATE FUNCTION safemap_make_tenant_table(tbl text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE code text;
BEGIN
  FOR code IN SELECT safemap_tenant_codes() LOOP
    EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF %I FOR VALUES IN (%L)',
                   tbl || '_p' || code, tbl, code);
  END LOOP;
  EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tbl);
  EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', tbl);
  EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
                   USING (province_code = current_setting('app.province', true))
                   WITH CHECK (province_code = current_setting('app.province', true))$p$, tbl);
  EXECUTE format($p$CREATE POLICY national_read ON %I FOR SELECT TO safemap_reporting
                   USING (current_setting('app.province', true) = '*')$p$, tbl);
END $$;

-- Adds the partitions of a new province to every tenant table (after inserting it into
-- provinces), so a change of the administrative map needs no new migration.
CREATE FUNCTION safemap_add_province_partitions(code text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE tbl text;
BEGIN
  FOR tbl IN
    SELECT c.relname FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema()
  LOOP
    EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF %I FOR VALUES IN (%L)',
                   tbl || '_p' || code, tbl, code);
  END LOOP;
END $$;

-- The 63 provinces of the 2021 code list.
INSERT INTO provinces (code, name, full_name) VALUES
  ('01', 'Hà Nội', 'Thành phố Hà Nội'),
  ('02', 'Hà Giang', 'Tỉnh Hà Giang'),
  ('04', 'Cao Bằng', 'Tỉnh Cao Bằng'),
  ('06', 'Bắc Kạn', 'Tỉnh Bắc Kạn'),
  ('08', 'Tuyên Quang', 'Tỉnh Tuyên Quang'),
  ('10', 'Lào Cai', 'Tỉnh Lào Cai'),
  ('11', 'Điện Biên', 'Tỉnh Điện Biên'),
  ('12', 'Lai Châu', 'Tỉnh Lai Châu'),
  ('14', 'Sơn La', 'Tỉnh Sơn La'),
  ('15', 'Yên Bái', 'Tỉnh Yên Bái'),
  ('17', 'Hoà Bình', 'Tỉnh Hoà Bình'),
  ('19', 'Thái Nguyên', 'Tỉnh Thái Nguyên'),
  ('20', 'Lạng Sơn', 'Tỉnh Lạng Sơn'),
  ('22', 'Quảng Ninh', 'Tỉnh Quảng Ninh'),
  ('24', 'Bắc Giang', 'Tỉnh Bắc Giang'),
  ('25', 'Phú Thọ', 'Tỉnh Phú Thọ'),
  ('26', 'Vĩnh Phúc', 'Tỉnh Vĩnh Phúc'),
  ('27', 'Bắc Ninh', 'Tỉnh Bắc Ninh'),
  ('30', 'Hải Dương', 'Tỉnh Hải Dương'),
  ('31', 'Hải Phòng', 'Thành phố Hải Phòng'),
  ('33', 'Hưng Yên', 'Tỉnh Hưng Yên'),
  ('34', 'Thái Bình', 'Tỉnh Thái Bình'),
  ('35', 'Hà Nam', 'Tỉnh Hà Nam'),
  ('36', 'Nam Định', 'Tỉnh Nam Định'),
  ('37', 'Ninh Bình', 'Tỉnh Ninh Bình'),
  ('38', 'Thanh Hóa', 'Tỉnh Thanh Hóa'),
  ('40', 'Nghệ An', 'Tỉnh Nghệ An'),
  ('42', 'Hà Tĩnh', 'Tỉnh Hà Tĩnh'),
  ('44', 'Quảng Bình', 'Tỉnh Quảng Bình'),
  ('45', 'Quảng Trị', 'Tỉnh Quảng Trị'),
  ('46', 'Thừa Thiên Huế', 'Tỉnh Thừa Thiên Huế'),
  ('48', 'Đà Nẵng', 'Thành phố Đà Nẵng'),
  ('49', 'Quảng Nam', 'Tỉnh Quảng Nam'),
  ('51', 'Quảng Ngãi', 'Tỉnh Quảng Ngãi'),
  ('52', 'Bình Định', 'Tỉnh Bình Định'),
  ('54', 'Phú Yên', 'Tỉnh Phú Yên'),
  ('56', 'Khánh Hòa', 'Tỉnh Khánh Hòa'),
  ('58', 'Ninh Thuận', 'Tỉnh Ninh Thuận'),
  ('60', 'Bình Thuận', 'Tỉnh Bình Thuận'),
  ('62', 'Kon Tum', 'Tỉnh Kon Tum'),
  ('64', 'Gia Lai', 'Tỉnh Gia Lai'),
  ('66', 'Đắk Lắk', 'Tỉnh Đắk Lắk'),
  ('67', 'Đắk Nông', 'Tỉnh Đắk Nông'),
  ('68', 'Lâm Đồng', 'Tỉnh Lâm Đồng'),
  ('70', 'Bình Phước', 'Tỉnh Bình Phước'),
  ('72', 'Tây Ninh', 'Tỉnh Tây Ninh'),
  ('74', 'Bình Dương', 'Tỉnh Bình Dương'),
  ('75', 'Đồng Nai', 'Tỉnh Đồng Nai'),
  ('77', 'Bà Rịa - Vũng Tàu', 'Tỉnh Bà Rịa - Vũng Tàu'),
  ('79', 'Hồ Chí Minh', 'Thành phố Hồ Chí Minh'),
  ('80', 'Long An', 'Tỉnh Long An'),
  ('82', 'Tiền Giang', 'Tỉnh Tiền Giang'),
  ('83', 'Bến Tre', 'Tỉnh Bến Tre'),
  ('84', 'Trà Vinh', 'Tỉnh Trà Vinh'),
  ('86', 'Vĩnh Long', 'Tỉnh Vĩnh Long'),
  ('87', 'Đồng Tháp', 'Tỉnh Đồng Tháp'),
  ('89', 'An Giang', 'Tỉnh An Giang'),
  ('91', 'Kiên Giang', 'Tỉnh Kiên Giang'),
  ('92', 'Cần Thơ', 'Thành phố Cần Thơ'),
  ('93', 'Hậu Giang', 'Tỉnh Hậu Giang'),
  ('94', 'Sóc Trăng', 'Tỉnh Sóc Trăng'),
  ('95', 'Bạc Liêu', 'Tỉnh Bạc Liêu'),
  ('96', 'Cà Mau', 'Tỉnh Cà Mau');

-- The districts of Phú Thọ (25) and Bình Phước (70); safemap-admin import-districts loads the
-- full official list from a CSV.
INSERT INTO districts (code, province_code, name, full_name) VALUES
  ('227', '25', 'Việt Trì', 'Thành phố Việt Trì'),
  ('228', '25', 'Phú Thọ', 'Thị xã Phú Thọ'),
  ('230', '25', 'Đoan Hùng', 'Huyện Đoan Hùng'),
  ('231', '25', 'Hạ Hoà', 'Huyện Hạ Hoà'),
  ('232', '25', 'Thanh Ba', 'Huyện Thanh Ba'),
  ('233', '25', 'Phù Ninh', 'Huyện Phù Ninh'),
  ('234', '25', 'Yên Lập', 'Huyện Yên Lập'),
  ('235', '25', 'Cẩm Khê', 'Huyện Cẩm Khê'),
  ('236', '25', 'Tam Nông', 'Huyện Tam Nông'),
  ('237', '25', 'Lâm Thao', 'Huyện Lâm Thao'),
  ('238', '25', 'Thanh Sơn', 'Huyện Thanh Sơn'),
  ('239', '25', 'Thanh Thuỷ', 'Huyện Thanh Thuỷ'),
  ('240', '25', 'Tân Sơn', 'Huyện Tân Sơn'),
  ('688', '70', 'Phước Long', 'Thị xã Phước Long'),
  ('689', '70', 'Đồng Xoài', 'Thành phố Đồng Xoài'),
  ('690', '70', 'Bình Long', 'Thị xã Bình Long'),
  ('691', '70', 'Bù Gia Mập', 'Huyện Bù Gia Mập'),
  ('692', '70', 'Lộc Ninh', 'Huyện Lộc Ninh'),
  ('693', '70', 'Bù Đốp', 'Huyện Bù Đốp'),
  ('694', '70', 'Hớn Quản', 'Huyện Hớn Quản'),
  ('695', '70', 'Đồng Phú', 'Huyện Đồng Phú'),
  ('696', '70', 'Bù Đăng', 'Huyện Bù Đăng'),
  ('697', '70', 'Chơn Thành', 'Thị xã Chơn Thành'),
  ('698', '70', 'Phú Riềng', 'Huyện Phú Riềng');
