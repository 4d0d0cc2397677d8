import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createConnection, type Connection } from 'mariadb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../lib/config.js';
import { applyMigrations, MigrationError, readMigrations } from '../lib/infra/migrate.js';

// The migrations are written by hand, so this proves that applying them yields
// exactly the schema Prisma's own parser reads from schema.prisma: both sides are
// reduced to the same shape and compared whole.

// ---------- Prisma's datamodel (DMMF) ----------

interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: 'scalar' | 'object' | 'enum' | 'unsupported';
  isRequired: boolean;
  isId: boolean;
  isUpdatedAt: boolean;
  type: string;
  nativeType?: [string, string[]] | null;
  default?: unknown;
  relationFromFields?: string[];
  relationToFields?: string[];
  relationOnDelete?: string;
  relationOnUpdate?: string;
}
interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
  primaryKey: { fields: string[] } | null;
}
interface DmmfIndex {
  model: string;
  type: 'id' | 'unique' | 'normal' | 'fulltext';
  dbName?: string | null;
  fields: { name: string }[];
}
interface Datamodel {
  models: DmmfModel[];
  indexes: DmmfIndex[];
}

// lib is ES2023 without DOM, so the global WebAssembly API is typed here, as far as it is used.
interface WasmTable {
  grow(delta: number): number;
  get(index: number): unknown;
  set(index: number, value: unknown): void;
}
interface PrismaSchemaWasm {
  memory: { buffer: ArrayBuffer };
  __wbindgen_externrefs: WasmTable;
  __wbindgen_start(): void;
  __wbindgen_malloc(size: number, align: number): number;
  __wbindgen_free(ptr: number, size: number, align: number): void;
  get_dmmf(ptr: number, len: number): [ptr: number, len: number, errorRef: number, failed: number];
}
interface WasmApi {
  Module: { new (bytes: Uint8Array): object; imports(module: object): { module: string; name: string }[] };
  Instance: new (module: object, imports: object) => { exports: PrismaSchemaWasm };
}

/**
 * @prisma/internals is not installed, and the generated client keeps only a
 * stripped datamodel, so this calls get_dmmf in the prisma-schema-wasm module
 * that the `prisma` CLI package ships. Its four wasm-bindgen imports carry a
 * per-build hash, hence the match on their prefixes.
 */
function loadDatamodel(schemaPath: string): Datamodel {
  const { Module, Instance } = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  const prismaDir = dirname(createRequire(import.meta.url).resolve('prisma/package.json'));
  const module = new Module(readFileSync(join(prismaDir, 'build', 'prisma_schema_build_bg.wasm')));
  // The shims run only once `wasm` below exists: wasm-bindgen modules start via __wbindgen_start.
  const text = (ptr: number, len: number) => new TextDecoder().decode(new Uint8Array(wasm.memory.buffer, ptr, len));
  const shims: Record<string, (ptr: number, len: number) => unknown> = {
    __wbg_Error_: (ptr, len) => new Error(text(ptr, len)),
    __wbg___wbindgen_throw_: (ptr, len) => {
      throw new Error(text(ptr, len));
    },
    __wbg_set_message_: (ptr, len) => {
      throw new Error(`prisma-schema-wasm panicked: ${text(ptr, len)}`);
    },
    __wbindgen_init_externref_table: () => {
      const table = wasm.__wbindgen_externrefs;
      const base = table.grow(4);
      table.set(0, undefined);
      [undefined, null, true, false].forEach((v, i) => table.set(base + i, v));
    },
  };
  const imports: Record<string, Record<string, unknown>> = {};
  for (const { module: from, name } of Module.imports(module)) {
    const prefix = Object.keys(shims).find((p) => name.startsWith(p));
    if (!prefix) throw new Error(`prisma-schema-wasm wants an unknown import ${name}; update loadDatamodel`);
    (imports[from] ??= {})[name] = shims[prefix];
  }
  const wasm = new Instance(module, imports).exports;
  wasm.__wbindgen_start();

  const input = new TextEncoder().encode(
    JSON.stringify({ prismaSchema: [[schemaPath, readFileSync(schemaPath, 'utf8')]], noColor: true }),
  );
  const ptr = wasm.__wbindgen_malloc(input.length, 1) >>> 0;
  new Uint8Array(wasm.memory.buffer, ptr, input.length).set(input);
  const [outPtr, outLen, errorRef, failed] = wasm.get_dmmf(ptr, input.length);
  if (failed) throw wasm.__wbindgen_externrefs.get(errorRef);
  const json = text(outPtr, outLen);
  wasm.__wbindgen_free(outPtr, outLen, 1);
  return (JSON.parse(json) as { datamodel: Datamodel }).datamodel;
}

// ---------- the shape both sides are reduced to ----------

interface ColumnShape {
  type: string;
  nullable: boolean;
  default: string | null;
  extra: string;
}
interface TableShape {
  engine: string;
  collation: string;
  columns: Record<string, ColumnShape>;
  primaryKey: string[];
  indexes: Record<string, { kind: 'unique' | 'normal' | 'fulltext'; columns: string[] }>;
  foreignKeys: Record<
    string,
    { columns: string[]; referencedTable: string; referencedColumns: string[]; onDelete: string; onUpdate: string }
  >;
}
type SchemaShape = Record<string, TableShape>;

const MAX_IDENTIFIER = 64;

/** Prisma's default constraint name: table_col1_col2 cut to fit, then the suffix. */
function defaultName(table: string, columns: string[], suffix: string): string {
  return `${table}_${columns.join('_')}`.slice(0, MAX_IDENTIFIER - suffix.length) + suffix;
}

const SCALAR_DEFAULT_TYPES: Record<string, string> = {
  String: 'varchar(191)',
  Boolean: 'tinyint(1)',
  Int: 'int',
  BigInt: 'bigint',
  Float: 'double',
  Decimal: 'decimal(65,30)',
  DateTime: 'datetime(3)',
  Json: 'json',
  Bytes: 'longblob',
};

function expectedType(model: string, f: DmmfField): string {
  if (f.kind !== 'scalar') throw new Error(`${model}.${f.name}: ${f.kind} fields are not handled by this test yet`);
  if (f.type === 'Boolean') return 'tinyint(1)';
  if (!f.nativeType) {
    const type = SCALAR_DEFAULT_TYPES[f.type];
    if (!type) throw new Error(`${model}.${f.name}: no MySQL mapping for ${f.type} in this test`);
    return type;
  }
  const [name, args] = f.nativeType;
  if (name.startsWith('Unsigned')) return `${integerName(name.slice('Unsigned'.length))} unsigned`;
  if (/Int$/.test(name)) return integerName(name);
  if (['DateTime', 'Timestamp', 'Time'].includes(name)) return `${name.toLowerCase()}(${args[0] ?? 0})`;
  if (name === 'Decimal') return `decimal(${args.length ? args.join(',') : '10,0'})`;
  return args.length ? `${name.toLowerCase()}(${args.join(',')})` : name.toLowerCase();
}

const integerName = (name: string) => (name === 'Int' ? 'int' : name.toLowerCase());

function expectedDefault(model: string, f: DmmfField, type: string): string | null {
  const d = f.default;
  if (d === undefined || f.type === 'Json') return null; // Prisma never renders JSON defaults on MySQL
  if (typeof d === 'string' || typeof d === 'number') return String(d);
  if (typeof d === 'boolean') return d ? '1' : '0';
  const fn = (d as { name: string }).name;
  if (fn === 'now') return `current_timestamp(${/\((\d+)\)/.exec(type)?.[1] ?? 0})`;
  if (['autoincrement', 'uuid', 'cuid', 'nanoid', 'ulid'].includes(fn)) return null; // sequence or client-side
  throw new Error(`${model}.${f.name}: default ${JSON.stringify(d)} is not handled by this test yet`);
}

const REFERENTIAL_ACTIONS: Record<string, string> = {
  Cascade: 'CASCADE',
  Restrict: 'RESTRICT',
  NoAction: 'NO ACTION',
  SetNull: 'SET NULL',
  SetDefault: 'SET DEFAULT',
};

// The DMMF carries neither @relation(map:) nor `relationMode`; the schema uses
// neither, so FKs are expected under Prisma's default names. Adopting either
// makes this test fail rather than pass blindly.
function expectedShape(dm: Datamodel): SchemaShape {
  const byName = new Map(dm.models.map((m) => [m.name, m]));
  const tableOf = (m: DmmfModel) => m.dbName ?? m.name;
  const columnOf = (m: DmmfModel, field: string) => {
    const f = m.fields.find((x) => x.name === field);
    if (!f) throw new Error(`${m.name} has no field ${field}`);
    return f.dbName ?? f.name;
  };

  const shape: SchemaShape = {};
  for (const m of dm.models) {
    const table = tableOf(m);
    const t: TableShape = {
      engine: 'InnoDB',
      // Prisma has no syntax for it; every table compares text byte for byte (test/identifiers.test.ts).
      collation: 'utf8mb4_nopad_bin',
      columns: {},
      primaryKey: (m.primaryKey?.fields ?? m.fields.filter((f) => f.isId).map((f) => f.name)).map((f) =>
        columnOf(m, f),
      ),
      indexes: {},
      foreignKeys: {},
    };
    for (const f of m.fields.filter((x) => x.kind !== 'object')) {
      const type = expectedType(m.name, f);
      t.columns[f.dbName ?? f.name] = {
        type,
        nullable: !f.isRequired,
        default: expectedDefault(m.name, f, type),
        extra: (f.default as { name?: string } | undefined)?.name === 'autoincrement' ? 'auto_increment' : '',
      };
    }
    for (const idx of dm.indexes.filter((i) => i.model === m.name && i.type !== 'id')) {
      const columns = idx.fields.map((f) => columnOf(m, f.name));
      const name = idx.dbName ?? defaultName(table, columns, idx.type === 'unique' ? '_key' : '_idx');
      t.indexes[name] = { kind: idx.type as 'unique' | 'normal' | 'fulltext', columns };
    }
    for (const f of m.fields.filter((x) => x.kind === 'object' && x.relationFromFields?.length)) {
      const target = byName.get(f.type)!;
      const columns = f.relationFromFields!.map((x) => columnOf(m, x));
      t.foreignKeys[defaultName(table, columns, '_fkey')] = {
        columns,
        referencedTable: tableOf(target),
        referencedColumns: f.relationToFields!.map((x) => columnOf(target, x)),
        onDelete: REFERENTIAL_ACTIONS[f.relationOnDelete ?? (f.isRequired ? 'Restrict' : 'SetNull')]!,
        onUpdate: REFERENTIAL_ACTIONS[f.relationOnUpdate ?? 'Cascade']!,
      };
    }
    shape[table] = t;
  }
  return shape;
}

// ---------- the live database ----------

// information_schema's numeric columns arrive as bigint or number depending on the server.
type Num = number | bigint;
interface TableRow {
  TABLE_NAME: string;
  ENGINE: string;
  TABLE_COLLATION: string;
}
interface ColumnRow {
  TABLE_NAME: string;
  COLUMN_NAME: string;
  DATA_TYPE: string;
  COLUMN_TYPE: string;
  CHARACTER_MAXIMUM_LENGTH: Num | null;
  NUMERIC_PRECISION: Num | null;
  NUMERIC_SCALE: Num | null;
  DATETIME_PRECISION: Num | null;
  IS_NULLABLE: 'YES' | 'NO';
  COLUMN_DEFAULT: string | null;
  EXTRA: string;
}
interface CheckRow {
  TABLE_NAME: string;
  CONSTRAINT_NAME: string;
  CHECK_CLAUSE: string;
}
interface IndexRow {
  TABLE_NAME: string;
  INDEX_NAME: string;
  NON_UNIQUE: Num | string;
  INDEX_TYPE: string;
  COLUMN_NAME: string;
}
interface ForeignKeyRow {
  TABLE_NAME: string;
  CONSTRAINT_NAME: string;
  COLUMN_NAME: string;
  REFERENCED_COLUMN_NAME: string;
  REFERENCED_TABLE_NAME: string;
  DELETE_RULE: string;
  UPDATE_RULE: string;
}

function liveType(c: ColumnRow, jsonChecked: boolean): string {
  const dataType = c.DATA_TYPE.toLowerCase();
  const columnType = c.COLUMN_TYPE.toLowerCase();
  // MariaDB's JSON is an alias: LONGTEXT plus a json_valid() CHECK named after the column.
  if (dataType === 'json' || (dataType === 'longtext' && jsonChecked)) return 'json';
  if (columnType === 'tinyint(1)') return columnType;
  if (/int$/.test(dataType)) return columnType.includes('unsigned') ? `${dataType} unsigned` : dataType;
  if (['char', 'varchar', 'binary', 'varbinary'].includes(dataType)) return `${dataType}(${c.CHARACTER_MAXIMUM_LENGTH})`;
  if (['datetime', 'timestamp', 'time'].includes(dataType)) return `${dataType}(${c.DATETIME_PRECISION ?? 0})`;
  if (dataType === 'decimal') return `decimal(${c.NUMERIC_PRECISION},${c.NUMERIC_SCALE})`;
  return dataType;
}

function liveDefault(raw: string | null): string | null {
  if (raw === null || raw === 'NULL') return null; // MariaDB spells "no default" on a nullable column as NULL
  if (raw.startsWith("'") && raw.endsWith("'")) return raw.slice(1, -1).replace(/''/g, "'"); // MariaDB quotes literals
  return /^current_timestamp/i.test(raw) ? raw.toLowerCase() : raw;
}

async function liveShape(conn: Connection, database: string): Promise<SchemaShape> {
  const q = <T>(sql: string) => conn.query(sql, [database]) as Promise<T[]>;
  const tables = await q<TableRow>(
    `SELECT TABLE_NAME, ENGINE, TABLE_COLLATION FROM information_schema.TABLES
     WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' AND TABLE_NAME <> '_prisma_migrations'`,
  );
  const columns = await q<ColumnRow>(
    `SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, CHARACTER_MAXIMUM_LENGTH, NUMERIC_PRECISION,
            NUMERIC_SCALE, DATETIME_PRECISION, IS_NULLABLE, COLUMN_DEFAULT, EXTRA
     FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION`,
  );
  const checks = await q<CheckRow>(
    `SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?`,
  );
  const stats = await q<IndexRow>(
    `SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, INDEX_TYPE, COLUMN_NAME FROM information_schema.STATISTICS
     WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`,
  );
  const fkColumns = await q<ForeignKeyRow>(
    `SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_COLUMN_NAME,
            r.REFERENCED_TABLE_NAME, r.DELETE_RULE, r.UPDATE_RULE
     FROM information_schema.REFERENTIAL_CONSTRAINTS r
     JOIN information_schema.KEY_COLUMN_USAGE k
       ON k.CONSTRAINT_SCHEMA = r.CONSTRAINT_SCHEMA AND k.TABLE_NAME = r.TABLE_NAME AND k.CONSTRAINT_NAME = r.CONSTRAINT_NAME
     WHERE r.CONSTRAINT_SCHEMA = ? ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION`,
  );

  const shape: SchemaShape = {};
  for (const t of tables) {
    shape[t.TABLE_NAME] = {
      engine: t.ENGINE,
      collation: t.TABLE_COLLATION,
      columns: {},
      primaryKey: [],
      indexes: {},
      foreignKeys: {},
    };
  }
  for (const c of columns) {
    const t = shape[c.TABLE_NAME];
    if (!t) continue;
    const jsonChecked = checks.some(
      (k) =>
        k.TABLE_NAME === c.TABLE_NAME &&
        k.CONSTRAINT_NAME === c.COLUMN_NAME &&
        k.CHECK_CLAUSE === `json_valid(\`${c.COLUMN_NAME}\`)`,
    );
    t.columns[c.COLUMN_NAME] = {
      type: liveType(c, jsonChecked),
      nullable: c.IS_NULLABLE === 'YES',
      default: liveDefault(c.COLUMN_DEFAULT),
      extra: c.EXTRA.toLowerCase().replace('default_generated', '').trim(),
    };
  }
  for (const f of fkColumns) {
    const t = shape[f.TABLE_NAME];
    if (!t) continue;
    const fk = (t.foreignKeys[f.CONSTRAINT_NAME] ??= {
      columns: [],
      referencedTable: f.REFERENCED_TABLE_NAME,
      referencedColumns: [],
      onDelete: f.DELETE_RULE,
      onUpdate: f.UPDATE_RULE,
    });
    fk.columns.push(f.COLUMN_NAME);
    fk.referencedColumns.push(f.REFERENCED_COLUMN_NAME);
  }
  for (const s of stats) {
    const t = shape[s.TABLE_NAME];
    if (!t) continue;
    if (s.INDEX_NAME === 'PRIMARY') {
      t.primaryKey.push(s.COLUMN_NAME);
      continue;
    }
    const kind = s.INDEX_TYPE === 'FULLTEXT' ? 'fulltext' : Number(s.NON_UNIQUE) === 0 ? 'unique' : 'normal';
    (t.indexes[s.INDEX_NAME] ??= { kind, columns: [] }).columns.push(s.COLUMN_NAME);
  }
  // InnoDB silently adds an index named after a foreign key that no index covers;
  // Prisma's SQL never creates it, so it is not part of the comparison.
  for (const t of Object.values(shape)) {
    for (const [name, fk] of Object.entries(t.foreignKeys)) {
      const idx = t.indexes[name];
      if (idx?.kind === 'normal' && idx.columns.join() === fk.columns.join()) delete t.indexes[name];
    }
  }
  return shape;
}

// ---------- tests ----------

const base: Config['db'] = loadConfig().db;
const run = randomBytes(4).toString('hex');
const created: string[] = [];

function scratch(purpose: string): Config['db'] {
  const database = `scaiwave_scratch_${run}_${purpose}`;
  created.push(database);
  return { ...base, database };
}

async function connect(db: Config['db']): Promise<Connection> {
  return createConnection({ host: db.host, port: db.port, user: db.user, password: db.password, database: db.database });
}

describe('migrations', () => {
  const main = scratch('drift');
  let names: string[];

  beforeAll(async () => {
    names = (await readMigrations()).map((m) => m.name);
    await applyMigrations(main);
  }, 60_000);

  afterAll(async () => {
    const conn = await connect({ ...base, database: '' });
    try {
      for (const database of created) await conn.query(`DROP DATABASE IF EXISTS \`${database}\``);
    } finally {
      await conn.end();
    }
  }, 60_000);

  it('produce exactly the schema in prisma/schema.prisma', async () => {
    const expected = expectedShape(loadDatamodel(fileURLToPath(new URL('../prisma/schema.prisma', import.meta.url))));
    const conn = await connect(main);
    try {
      expect(await liveShape(conn, main.database)).toEqual(expected);
    } finally {
      await conn.end();
    }
  });

  it('apply nothing the second time', async () => {
    expect(await applyMigrations(main)).toEqual({ applied: [], alreadyApplied: names });
  });

  it('refuse a migration edited after it was applied', async () => {
    const db = scratch('tampered');
    await applyMigrations(db);
    const conn = await connect(db);
    try {
      await conn.query("UPDATE _prisma_migrations SET checksum = REPEAT('0', 64) WHERE migration_name = ?", [names[0]]);
    } finally {
      await conn.end();
    }
    const attempt = applyMigrations(db);
    await expect(attempt).rejects.toThrow(MigrationError);
    await expect(attempt).rejects.toThrow(/edited after it was applied/);
  }, 30_000);

  it('refuse to go on after a migration that never finished', async () => {
    const db = scratch('failed');
    await applyMigrations(db);
    const conn = await connect(db);
    try {
      await conn.query('UPDATE _prisma_migrations SET finished_at = NULL WHERE migration_name = ?', [names.at(-1)]);
    } finally {
      await conn.end();
    }
    await expect(applyMigrations(db)).rejects.toThrow(/never finished.*operator/s);
  }, 30_000);

  it('apply each migration once when two migrators race on a fresh database', async () => {
    const db = scratch('race');
    const results = await Promise.all([applyMigrations(db), applyMigrations(db)]);
    expect(results.map((r) => r.applied.length).sort()).toEqual([0, names.length]);
    expect(results.flatMap((r) => [...r.applied, ...r.alreadyApplied]).sort()).toEqual([...names, ...names].sort());
    const conn = await connect(db);
    try {
      const rows = (await conn.query(
        'SELECT migration_name, finished_at, applied_steps_count FROM _prisma_migrations ORDER BY migration_name',
      )) as { migration_name: string; finished_at: Date | null; applied_steps_count: number }[];
      expect(rows.map((r) => r.migration_name)).toEqual(names);
      expect(rows.every((r) => r.finished_at instanceof Date && r.applied_steps_count === 1)).toBe(true);
    } finally {
      await conn.end();
    }
  }, 60_000);
});
