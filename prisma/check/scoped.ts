// Row-level security from Node (docs/prisma.md, "Row-level security"): a Prisma Client extension that runs a unit
// of work in one interactive transaction whose first statement sets the transaction's scope and acting user.
//
//   const db = new PrismaClient({ adapter }).$extends(rowScopes);
//   const beds = await db.$scoped(hospitalId /* or NETWORK */, userId, (tx) => tx.hospitalResource.findMany());
//
// The settings are the dashboard's own (db/row_scope.py): `healthdash.scope` is a hospital id or NETWORK ('*'),
// `healthdash.user_id` the user the database stamps and checks audit rows with ('' for none).
import { Prisma } from '../generated/client.ts';

export const NETWORK = '*';

export const rowScopes = Prisma.defineExtension((client) =>
  client.$extends({
    name: 'healthdash-row-scopes',
    client: {
      $scoped<T>(scope: string, userId: string | null, work: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> {
        return client.$transaction(async (tx) => {
          // `true`: the settings end with this transaction. With `false` they stay on the pooled connection and
          // the next request that borrows it reads under this scope, whoever it is for.
          await tx.$queryRaw`SELECT set_config('healthdash.scope', ${scope}, true),
                                    set_config('healthdash.user_id', ${userId ?? ''}, true)`;
          return work(tx);
        });
      },
    },
  }),
);
