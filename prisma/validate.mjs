// Validates a Prisma schema with Prisma's own validator (the WebAssembly build of prisma-fmt, the code
// behind `prisma validate`, `prisma format` and the DMMF of `prisma generate`), offline: no engine
// binary, no database, no network.
//
//   node prisma/validate.mjs [schema.prisma | -]     (default: prisma/schema.prisma; "-" reads stdin)
//
// Prints one JSON object on stdout and exits 0 when the schema is valid:
//   {"ok": true, "formatted": <the file is exactly what `prisma format` would write>, "datamodel": <DMMF datamodel>}
// or exits 1 with
//   {"ok": false, "error_code": "P1012", "message": "<Prisma's own error text>"}
// tests/db/test_prisma_mirror.py runs it and compares the datamodel with the migrated database.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const wasm = require('@prisma/prisma-schema-wasm');

const arg = process.argv[2] ?? join(here, 'schema.prisma');
const name = arg === '-' ? 'schema.prisma' : arg;
const schema = readFileSync(arg === '-' ? 0 : arg, 'utf8');

function fail(error) {
  let detail;
  try {
    detail = JSON.parse(error.message);
  } catch {
    detail = { error_code: null, message: String(error.message ?? error) };
  }
  process.stdout.write(JSON.stringify({ ok: false, error_code: detail.error_code ?? null, message: detail.message }));
  process.exitCode = 1;
}

const params = JSON.stringify({ prismaSchema: [[name, schema]], noColor: true });
const formatting = JSON.stringify({ textDocument: { uri: 'file:/schema.prisma' }, options: { tabSize: 2, insertSpaces: true } });
try {
  wasm.validate(params);
  const dmmf = JSON.parse(wasm.get_dmmf(params));
  const formatted = wasm.format(schema, formatting) === schema;
  process.stdout.write(JSON.stringify({ ok: true, formatted, datamodel: dmmf.datamodel }));
} catch (error) {
  fail(error);
}
