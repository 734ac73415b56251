// A Node backend's day against the Alembic-owned database, run by tests/db/test_prisma_node.py after it generates the
// client (prisma/offline.mjs generate) and migrates a throwaway database:
//
//   HEALTHDASH_NODE_CHECK='{"url": ..., ...}' prisma/node_modules/.bin/tsx prisma/check/node_backend.ts
//
// It connects as the least-privilege app role through @prisma/adapter-pg, reads and writes under row-level security
// scopes, and prints one JSON object of what it saw (time zones, precision, errors, scope leaks); the test holds it
// to docs/prisma.md. The database's own TimeZone is Africa/Lagos there, so a connection that does not set UTC shows
// what goes wrong.
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/client.ts';
import { NETWORK, rowScopes } from './scoped.ts';

type Fixture = {
  url: string; // the app role's connection URL
  a: string; // hospital A
  b: string; // hospital B
  physician: string; // a physician's profile at A
  patient: string; // a patient's user id
  user: string; // the staff user acting in A's writes
  booked: { id: string; date: string; time: string }; // A's appointment, date written by Python in UTC
  audit: { id: string; createdAt: string }; // an audit row at microsecond precision (A's)
  resource: string; // A's ICU beds
};
const fixture: Fixture = JSON.parse(process.env.HEALTHDASH_NODE_CHECK ?? '');

// Every Node connection sets TimeZone=UTC (docs/prisma.md, "Time zones"); `lagos` is the one that forgets.
function client(timeZone: string | null, max = 2) {
  const adapter = new PrismaPg({
    connectionString: fixture.url,
    max,
    ...(timeZone ? { options: `-c TimeZone=${timeZone}` } : {}),
  });
  return new PrismaClient({ adapter }).$extends(rowScopes);
}
type Db = ReturnType<typeof client>;

function failure(error: unknown) {
  const e = error as { name?: string; code?: string; meta?: unknown; message?: string; cause?: unknown };
  return { class: e.name ?? null, code: e.code ?? null, meta: e.meta ?? null, message: String(e.message ?? error) };
}
async function refused(work: () => Promise<unknown>) {
  try {
    await work();
    return { class: null, code: null, meta: null, message: 'accepted' };
  } catch (error) {
    return failure(error);
  }
}
const utcText = (db: Db, id: string) =>
  db.$scoped(NETWORK, null, async (tx) => {
    const rows = await tx.$queryRaw<{ at: string }[]>`
      SELECT to_char(appointment_date AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS at FROM appointments WHERE id = ${id}`;
    return rows[0]?.at ?? null;
  });

async function timeZones(utc: Db, lagos: Db, out: Record<string, unknown>) {
  const zone = async (db: Db) => ((await db.$queryRaw<{ z: string }[]>`SELECT current_setting('TimeZone') AS z`)[0].z);
  const read = async (db: Db) =>
    (await db.$scoped(fixture.a, null, (tx) => tx.appointment.findUniqueOrThrow({ where: { id: fixture.booked.id } })))
      .appointmentDate.toISOString();
  const written = new Date('2025-03-12T14:00:00.000Z');
  const write = async (db: Db, time: string) => {
    const row = await db.$scoped(fixture.a, fixture.user, (tx) =>
      tx.appointment.create({
        data: { patientId: fixture.patient, physicianId: fixture.physician, hospitalId: fixture.a,
                appointmentDate: written, appointmentTime: time },
      }),
    );
    return utcText(db, row.id);
  };
  out.timeZone = {
    stored: fixture.booked.date,
    written: written.toISOString(),
    utc: { session: await zone(utc), read: await read(utc), wrote: await write(utc, '15:00') },
    lagos: { session: await zone(lagos), read: await read(lagos), wrote: await write(lagos, '15:30') },
  };
}

async function scopes(utc: Db, out: Record<string, unknown>) {
  const count = (scope: string | null) =>
    scope === null
      ? utc.$transaction((tx) => tx.hospitalResource.count())
      : utc.$scoped(scope, null, (tx) => tx.hospitalResource.count());
  // A write under A's scope with its audit row, in one transaction: the database stamps the row's time and checks
  // that it names the acting user.
  const made = await utc.$scoped(fixture.a, fixture.user, async (tx) => {
    const resource = await tx.hospitalResource.create({
      data: { hospitalId: fixture.a, name: 'Node ward', category: 'beds', totalQuantity: 3, availableQuantity: 3 },
    });
    const audit = await tx.auditLog.create({
      data: { userId: fixture.user, hospitalId: fixture.a, actionCategory: 'resources', actionType: 'create',
              resourceType: 'hospital_resource', resourceId: resource.id },
    });
    return { resource: resource.id, audit: audit.id, auditUser: audit.userId };
  });
  const otherHospitals = await utc.$scoped(fixture.a, fixture.user, (tx) =>
    tx.hospitalResource.updateMany({ where: { hospitalId: fixture.b }, data: { name: 'taken over' } }),
  );
  out.scopes = {
    none: await count(null),
    a: await count(fixture.a),
    b: await count(fixture.b),
    network: await count(NETWORK),
    made,
    updatedOtherHospitals: otherHospitals.count,
    unscopedWrite: await refused(() =>
      utc.hospitalResource.create({
        data: { hospitalId: fixture.a, name: 'No scope', category: 'beds', totalQuantity: 1, availableQuantity: 1 },
      }),
    ),
  };
}

async function precision(utc: Db, out: Record<string, unknown>) {
  const audit = await utc.$scoped(NETWORK, null, async (tx) => {
    const byId = await tx.auditLog.findFirst({ where: { id: fixture.audit.id } });
    const seen = byId!.createdAt;
    const byKey = await tx.auditLog.findUnique({ where: { id_createdAt: { id: fixture.audit.id, createdAt: seen } } });
    const window = await tx.auditLog.findFirst({
      where: { id: fixture.audit.id, createdAt: { gte: seen, lt: new Date(seen.getTime() + 1) } },
    });
    return { stored: fixture.audit.createdAt, read: seen.toISOString(), byId: !!byId, byKey: !!byKey, byWindow: !!window };
  });
  // Optimistic locking on updatedAt (the trigger writes it to the microsecond).
  const locking = await utc.$scoped(fixture.a, fixture.user, async (tx) => {
    const seen = (await tx.hospitalResource.findUniqueOrThrow({ where: { id: fixture.resource } })).updatedAt;
    const stored = await tx.$queryRaw<{ at: string }[]>`
      SELECT to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS at FROM hospital_resources
       WHERE id = ${fixture.resource}`;
    const exact = await tx.hospitalResource.updateMany({
      where: { id: fixture.resource, updatedAt: seen },
      data: { availableQuantity: 3, inUseQuantity: 1 },
    });
    return { seen, stored: stored[0].at, exact: exact.count };
  });
  const sameMillisecond = (seen: Date) => ({ gte: seen, lt: new Date(seen.getTime() + 1) });
  const first = await utc.$scoped(fixture.a, fixture.user, (tx) =>
    tx.hospitalResource.updateMany({
      where: { id: fixture.resource, updatedAt: sameMillisecond(locking.seen) },
      data: { availableQuantity: 3, inUseQuantity: 1 },
    }),
  );
  const stale = await utc.$scoped(fixture.a, fixture.user, (tx) =>
    tx.hospitalResource.updateMany({
      where: { id: fixture.resource, updatedAt: sameMillisecond(locking.seen) },
      data: { availableQuantity: 4, inUseQuantity: 0 },
    }),
  );
  out.precision = {
    audit,
    locking: { read: locking.seen.toISOString(), stored: locking.stored, exact: locking.exact,
               window: first.count, staleWindow: stale.count },
  };
}

async function errors(utc: Db, out: Record<string, unknown>) {
  const inA = (work: Parameters<Db['$scoped']>[2]) => refused(() => utc.$scoped(fixture.a, fixture.user, work));
  out.errors = {
    doubleBooking: await inA((tx) =>
      tx.appointment.create({
        data: { patientId: fixture.patient, physicianId: fixture.physician, hospitalId: fixture.a,
                appointmentDate: new Date(fixture.booked.date), appointmentTime: fixture.booked.time },
      }),
    ),
    checkStatus: await inA((tx) =>
      tx.appointment.create({
        data: { patientId: fixture.patient, physicianId: fixture.physician, hospitalId: fixture.a,
                appointmentDate: new Date('2025-04-01T08:00:00Z'), appointmentTime: '09:00', status: 'maybe' },
      }),
    ),
    checkQuantities: await inA((tx) =>
      tx.hospitalResource.update({ where: { id: fixture.resource }, data: { availableQuantity: 99 } }),
    ),
    triggerAuditUser: await inA((tx) =>
      tx.auditLog.create({ data: { userId: 'someone-else', actionCategory: 'resources', actionType: 'create' } }),
    ),
    // The app role may read only some of a notification's columns; `create` returns every column unless told.
    columnGrantAll: await inA((tx) =>
      tx.notification.create({ data: { userId: fixture.patient, title: 'Booked', message: 'See you' } }),
    ),
    columnGrantSelected: await inA((tx) =>
      tx.notification.create({
        data: { userId: fixture.patient, title: 'Booked', message: 'See you' },
        select: { id: true },
      }),
    ),
    otherHospitalById: await inA((tx) =>
      tx.hospitalResource.update({ where: { id: 'res_node_b' }, data: { name: 'taken over' } }),
    ),
    foreignKey: await inA((tx) =>
      tx.appointment.create({
        data: { patientId: fixture.patient, physicianId: 'nobody', hospitalId: fixture.a,
                appointmentDate: new Date('2025-04-02T08:00:00Z'), appointmentTime: '09:00' },
      }),
    ),
    rowSecurity: await refused(() =>
      utc.$scoped(fixture.b, fixture.user, (tx) =>
        tx.hospitalResource.create({
          data: { hospitalId: fixture.a, name: 'Wrong scope', category: 'beds', totalQuantity: 1, availableQuantity: 1 },
        }),
      ),
    ),
  };
}

async function leaks(out: Record<string, unknown>) {
  // One pooled connection, so every transaction below borrows the same session, as a busy pool eventually does.
  const visible = (db: Db) => db.$transaction((tx) => tx.hospitalResource.count());
  const leaky = client('UTC', 1);
  await leaky.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT set_config('healthdash.scope', ${fixture.a}, false)`;
    return tx.hospitalResource.count();
  });
  const afterFalse = await visible(leaky);
  await leaky.$disconnect();
  const safe = client('UTC', 1);
  const during = await safe.$scoped(fixture.a, fixture.user, (tx) => tx.hospitalResource.count());
  const afterTrue = await visible(safe);
  const setting = await safe.$queryRaw<{ s: string }[]>`SELECT coalesce(current_setting('healthdash.scope', true), '') AS s`;
  await safe.$disconnect();
  out.leaks = { afterFalse, during, afterTrue, settingAfterTrue: setting[0].s };
}

const out: Record<string, unknown> = {};
const utc = client('UTC');
const lagos = client(null);
try {
  await timeZones(utc, lagos, out);
  await scopes(utc, out);
  await precision(utc, out);
  await errors(utc, out);
  await leaks(out);
} finally {
  await utc.$disconnect();
  await lagos.$disconnect();
}
process.stdout.write(JSON.stringify(out));
