// Prisma 7's CLI config for the mirror (docs/prisma.md). No datasource on purpose: only `prisma validate`,
// `prisma format` and `prisma generate` are ever run against this schema, and none of them connects. The
// commands that would need one (migrate, db push/pull, introspection) must never touch this database, which
// Alembic owns. Run the CLI through prisma/offline.mjs (`npm run prisma --prefix prisma -- generate`): it works
// offline, and it refuses migrate and db.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'schema.prisma',
});
