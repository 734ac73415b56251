// Runs Prisma 7's CLI for the mirror without the internet (docs/prisma.md, "Offline"):
//
//   node prisma/offline.mjs validate|format|generate [args...]      (or: npm run prisma --prefix prisma -- generate)
//
// Before validate, format and generate, the CLI makes sure its schema-engine binary exists and downloads it from
// binaries.prisma.sh when it is missing, although these commands never run it: they use the WebAssembly builds
// that ship in the npm package (prisma/node_modules/prisma/build/*.wasm). PRISMA_SCHEMA_ENGINE_BINARY names
// prisma/no-schema-engine instead, which exists (so nothing is downloaded) and refuses to run. The commands that
// do run the engine (migrate, db) are refused here first: Alembic owns this database. The update check and
// telemetry (more network) are switched off.

import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const cli = createRequire(import.meta.url).resolve('prisma/build/index.js');
const SAFE = new Set(['validate', 'format', 'generate', 'version', '-v', '--version', '--help', '-h']);

const args = process.argv.slice(2);
if (!SAFE.has(args[0])) {
  process.stderr.write(
    `prisma/offline.mjs runs only ${[...SAFE].join(', ')}; \`prisma ${args[0] ?? ''}\` is refused: ` +
      'Alembic owns this database (docs/prisma.md).\n',
  );
  process.exit(2);
}
const hasConfig = args.some((arg) => arg === '--config' || arg.startsWith('--config='));
const result = spawnSync(process.execPath, [cli, ...args, ...(hasConfig ? [] : ['--config', join(here, 'prisma.config.ts')])], {
  cwd: here,
  stdio: 'inherit',
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: join(here, 'no-schema-engine'),
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
    CHECKPOINT_DISABLE: '1',
  },
});
process.exit(result.status ?? 1);
