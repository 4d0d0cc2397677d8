import { Prisma, type WaveWorkspace } from '../../lib/generated/prisma/client.js';
import type { Db } from '../../lib/infra/db.js';
import { newId } from '../../lib/infra/ids.js';
import { AppError, notFound } from '../../lib/errors.js';

// Workspaces group a tenant's rooms. Tenant admins create and archive them;
// every user of the tenant sees them (what is inside is guarded per room).

interface NewWorkspace {
  slug: string;
  name: string;
}

/** `by`: the tenant admin who asked, or null for an operator at the CLI. */
export async function createWorkspace(db: Db, tenantId: string, by: string | null, input: NewWorkspace): Promise<WaveWorkspace> {
  try {
    return await db.waveWorkspace.create({
      data: { id: newId(), tenantId, slug: input.slug, name: input.name, createdById: by },
    });
  } catch (err) {
    if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
      throw new AppError('CONFLICT', `workspace "${input.slug}" already exists`);
    }
    throw err;
  }
}

export function listWorkspaces(db: Db, tenantId: string, opts: { includeArchived: boolean }): Promise<WaveWorkspace[]> {
  return db.waveWorkspace.findMany({
    where: { tenantId, ...(opts.includeArchived ? {} : { archivedAt: null }) },
    orderBy: { createdAt: 'asc' },
  });
}

async function findWorkspace(db: Db, tenantId: string, id: string): Promise<WaveWorkspace> {
  const ws = await db.waveWorkspace.findFirst({ where: { id, tenantId } });
  if (!ws) throw notFound('workspace');
  return ws;
}

/** Archiving is idempotent: a second call answers the workspace as it is. */
export async function archiveWorkspace(db: Db, tenantId: string, id: string): Promise<WaveWorkspace> {
  const ws = await findWorkspace(db, tenantId, id);
  if (ws.archivedAt) return ws;
  return db.waveWorkspace.update({ where: { id }, data: { archivedAt: new Date() } });
}
