-- Gives the service roles (created by the migrations, without passwords) their passwords.
-- psql -v account=… -v assessment=… -v reporting=… -f set-role-passwords.sql
ALTER ROLE safemap_account PASSWORD :'account';
ALTER ROLE safemap_assessment PASSWORD :'assessment';
ALTER ROLE safemap_reporting PASSWORD :'reporting';
