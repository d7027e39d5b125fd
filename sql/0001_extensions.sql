-- Extensions every module relies on: geometry (PostGIS), similarity search (pg_trgm),
-- case-insensitive text for e-mail addresses and slugs (citext).
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS citext;
