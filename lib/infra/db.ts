import { PrismaMariaDb } from '@prisma/adapter-mariadb';
import { PrismaClient } from '../generated/prisma/client.js';
import type { Config } from '../config.js';

export type Db = PrismaClient;
export { PrismaClient };

export function createDb(db: Config['db']): Db {
  const adapter = new PrismaMariaDb({
    host: db.host,
    port: db.port,
    user: db.user,
    password: db.password,
    database: db.database,
    connectionLimit: db.poolSize,
    // Stored DATETIMEs are UTC; never let the driver shift them by the host's zone.
    timezone: 'Z',
  });
  return new PrismaClient({ adapter });
}
