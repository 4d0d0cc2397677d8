import { sqlRows, sqlWrite, type SqlOn } from '../infra/db.js';
import { newId } from '../infra/ids.js';
import { newDataKey, open, seal, wrapAad, type MasterKey } from './master-keys.js';
import type { KeyScope } from './key-scope.js';

// The data keys, in MariaDB (payload_keys), wrapped. Kept in memory for a
// short while, so a busy worker does not read a key per payload; the price is
// that a process which opened a key just before it was destroyed may still
// use it for up to KEY_CACHE_MS. What is at rest (histories, backups, the
// table) is unreadable from the moment the destroying transaction commits.

export const KEY_CACHE_MS = 30_000;

export interface DataKey {
  id: string;
  key: Buffer;
}

interface KeyRow {
  id: string;
  version: number;
  master_key_id: string;
  wrapped_key: Buffer | null;
}

interface Cached<T> {
  value: T;
  until: number;
}

export class PayloadKeys {
  private readonly current = new Map<string, Cached<DataKey>>();
  private readonly byIdCache = new Map<string, Cached<DataKey | null>>();

  constructor(
    private readonly sql: SqlOn,
    private readonly masters: MasterKey[],
  ) {}

  /** The newest live key of a scope, made on first use (two processes racing agree on one: the unique version). */
  async forScope(scope: KeyScope): Promise<DataKey> {
    const name = `${scope.scope}:${scope.id}`;
    const hit = this.current.get(name);
    if (hit && hit.until > Date.now()) return hit.value;
    let newest = await this.newest(scope);
    if (!newest || newest.wrapped_key === null) {
      await this.create(scope, (newest?.version ?? 0) + 1);
      newest = await this.newest(scope);
    }
    const key = this.unwrap(newest!);
    if (!key) throw new Error(`payload key ${newest!.id} of ${name} is destroyed`);
    this.current.set(name, { value: key, until: Date.now() + KEY_CACHE_MS });
    return key;
  }

  /** A key by its id, as a sealed payload names it; null when it was destroyed or never existed here. */
  async byId(id: string): Promise<DataKey | null> {
    const hit = this.byIdCache.get(id);
    if (hit && hit.until > Date.now()) return hit.value;
    const [row] = await sqlRows<KeyRow>(this.sql, 'SELECT id, version, master_key_id, wrapped_key FROM payload_keys WHERE id = ?', [id]);
    const key = row ? this.unwrap(row) : null;
    this.byIdCache.set(id, { value: key, until: Date.now() + KEY_CACHE_MS });
    return key;
  }

  /** A new version for the scope: payloads sealed from now on take it; older ones keep theirs. */
  async rotate(scope: KeyScope): Promise<string> {
    const newest = await this.newest(scope);
    await this.create(scope, (newest?.version ?? 0) + 1);
    this.current.delete(`${scope.scope}:${scope.id}`);
    return (await this.newest(scope))!.id;
  }

  private newest(scope: KeyScope): Promise<KeyRow | undefined> {
    return sqlRows<KeyRow>(
      this.sql,
      'SELECT id, version, master_key_id, wrapped_key FROM payload_keys WHERE scope = ? AND scope_id = ? ORDER BY version DESC LIMIT 1',
      [scope.scope, scope.id],
    ).then((rows) => rows[0]);
  }

  private async create(scope: KeyScope, version: number): Promise<void> {
    const id = newId();
    const master = this.masters[0]!;
    const wrapped = seal(master.key, newDataKey(), wrapAad(id));
    await sqlWrite(this.sql, 'INSERT IGNORE INTO payload_keys (id, scope, scope_id, version, master_key_id, wrapped_key) VALUES (?, ?, ?, ?, ?, ?)', [
      id,
      scope.scope,
      scope.id,
      version,
      master.id,
      wrapped,
    ]);
  }

  private unwrap(row: KeyRow): DataKey | null {
    if (row.wrapped_key === null) return null;
    const master = this.masters.find((m) => m.id === row.master_key_id);
    if (!master) throw new Error(`payload key ${row.id} is wrapped by master key ${row.master_key_id}, which SCAIWAVE_CODEC_MASTER_KEYS no longer lists`);
    return { id: row.id, key: open(master.key, Buffer.from(row.wrapped_key), wrapAad(row.id)) };
  }
}

/**
 * Destroys every key of a data subject, in the caller's transaction (the
 * erasure's, beside its receipt): what they sealed can never be opened again.
 * Answers the ids destroyed, for the receipt; a repeat finds none left.
 */
export async function destroySubjectKeys(on: SqlOn, scope: KeyScope): Promise<string[]> {
  const rows = await sqlRows<{ id: string }>(on, 'SELECT id FROM payload_keys WHERE scope = ? AND scope_id = ? AND destroyed_at IS NULL FOR UPDATE', [scope.scope, scope.id]);
  if (rows.length > 0) {
    await sqlWrite(on, 'UPDATE payload_keys SET wrapped_key = NULL, destroyed_at = NOW(3) WHERE scope = ? AND scope_id = ? AND destroyed_at IS NULL', [scope.scope, scope.id]);
  }
  return rows.map((r) => r.id);
}
