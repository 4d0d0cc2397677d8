// What a user of docker-compose.yml would notice: the file renders, refuses to
// start without its secrets, has every service, and wires api and worker to the
// same, valid configuration. Rendering needs only `docker-compose config`, no
// Docker engine.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, configVariables, loadConfig } from '../lib/config.js';
import { customSearchAttributes } from '../lib/temporal/search-attributes.js';

const run = promisify(execFile);
const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
const composeFile = join(repoRoot, 'docker-compose.yml');

type Scalar = string | number | boolean | null;
interface RawService {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  entrypoint?: string[] | string;
  environment?: Record<string, Scalar> | string[];
  depends_on?: Record<string, { condition?: string }> | string[];
  ports?: (string | number | { published?: string | number; target?: string | number; host_ip?: string })[];
  volumes?: (string | { type?: string; source?: string; target?: string })[];
  healthcheck?: { test?: string[] | string; disable?: boolean };
  restart?: string;
}
interface RawCompose {
  services: Record<string, RawService>;
  volumes?: Record<string, unknown>;
}

interface ComposeTool {
  argv: string[];
  /** v1 (Debian's docker-compose) prints YAML only; v2 prints JSON on request. */
  json: boolean;
}

function findComposeTool(): ComposeTool | undefined {
  for (const argv of [['docker-compose'], ['docker', 'compose']]) {
    const [bin, ...rest] = argv as [string, ...string[]];
    const r = spawnSync(bin, [...rest, 'version', '--short'], { encoding: 'utf8' });
    if (r.status === 0) {
      const major = Number(r.stdout.trim().replace(/^v/, '').split('.')[0]);
      return { argv, json: major >= 2 };
    }
  }
  return undefined;
}

// ${NAME:?message} marks what a user must set; everything else has a default.
const requiredComposeVars = [
  ...new Set([...readFileSync(composeFile, 'utf8').matchAll(/\$\{([A-Z][A-Z0-9_]*):\?/g)].map((m) => m[1]!)),
].sort();

function sampleValue(name: string): string {
  if (name.endsWith('_URL')) return 'https://scaikey.example.test';
  // Master keys have a form of their own (lib/codec/master-keys.ts): id:base64 of 32 bytes.
  if (name.endsWith('_MASTER_KEYS')) return `k1:${Buffer.alloc(32, 7).toString('base64')}`;
  // URL-safe and long enough for MinIO's 8-character minimum.
  return `test-${name.toLowerCase().replace(/_/g, '-')}`;
}
const userEnv = Object.fromEntries(requiredComposeVars.map((n) => [n, sampleValue(n)]));

let tool: ComposeTool | undefined;
let scratch: string;

async function render(env: Record<string, string>): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  if (!tool) throw new Error('docker-compose missing');
  const [bin, ...rest] = tool.argv as [string, ...string[]];
  // An empty --env-file and a bare environment: a developer's .env or shell
  // variables must not decide what this test sees.
  const args = [...rest, '--env-file', join(scratch, 'empty.env'), '-f', composeFile, 'config'];
  if (tool.json) args.push('--format', 'json');
  try {
    const { stdout, stderr } = await run(bin, args, {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: scratch, ...env },
      maxBuffer: 16 * 1024 * 1024,
    });
    return { ok: true, stdout, stderr };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
  }
}

function parse(stdout: string): RawCompose {
  if (tool?.json) return JSON.parse(stdout) as RawCompose;
  // python3-yaml is a dependency of Debian's docker-compose, so it is there
  // whenever v1 is; the project itself declares no YAML parser.
  const r = spawnSync('python3', ['-c', 'import sys, json, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'], {
    input: stdout,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`could not parse docker-compose output: ${r.stderr}`);
  return JSON.parse(r.stdout) as RawCompose;
}

// ---- views that hide the differences between compose v1 and v2 output

function env(s: RawService): Record<string, string> {
  const e = s.environment ?? {};
  if (Array.isArray(e)) {
    return Object.fromEntries(e.map((kv) => [kv.split('=')[0]!, kv.slice(kv.indexOf('=') + 1)]));
  }
  return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

function scaiwaveEnv(s: RawService): Record<string, string> {
  return Object.fromEntries(Object.entries(env(s)).filter(([k]) => k.startsWith('SCAIWAVE_')));
}

function deps(s: RawService): Record<string, string> {
  const d = s.depends_on ?? {};
  if (Array.isArray(d)) return Object.fromEntries(d.map((n) => [n, 'service_started']));
  return Object.fromEntries(Object.entries(d).map(([n, v]) => [n, v.condition ?? 'service_started']));
}

function ports(s: RawService): { hostIp?: string; published?: number; target: number }[] {
  return (s.ports ?? []).map((p) => {
    if (typeof p === 'object') {
      return { hostIp: p.host_ip, published: p.published === undefined ? undefined : Number(p.published), target: Number(p.target) };
    }
    const parts = String(p).replace(/\/\w+$/, '').split(':');
    const target = Number(parts.pop());
    const published = parts.length ? Number(parts.pop()) : undefined;
    return { hostIp: parts.pop(), published, target };
  });
}

function mounts(s: RawService): { type: string; source: string; target: string }[] {
  return (s.volumes ?? []).map((v) => {
    if (typeof v === 'object') return { type: v.type ?? 'volume', source: v.source ?? '', target: v.target ?? '' };
    const [source = '', target = ''] = v.split(':');
    return { type: /^[./~]/.test(source) ? 'bind' : 'volume', source, target };
  });
}

function argv(v: string[] | string | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v.map(String) : v.split(/\s+/);
}

function imageTag(image: string): string | undefined {
  if (image.includes('@sha256:')) return 'digest';
  const last = image.split('/').pop()!;
  return last.includes(':') ? last.slice(last.indexOf(':') + 1) : undefined;
}

/** Major.minor of an image tag, for "at least version X" checks. */
function tagVersion(image: string): [number, number] {
  const m = /^v?(\d+)\.(\d+)/.exec(imageTag(image) ?? '');
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}
const atLeast = (image: string, major: number, minor: number): boolean => {
  const [a, b] = tagVersion(image);
  return a > major || (a === major && b >= minor);
};

/** Config variables lib/config.ts requires and gives no default. */
function configRequiredWithoutDefault(): string[] {
  try {
    loadConfig({});
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems.filter((p) => / is missing:/.test(p)).map((p) => p.split(' ')[0]!);
  }
}

// ---- the suite

let compose: RawCompose;
let services: Record<string, RawService>;

function service(name: string): RawService {
  const s = services[name];
  if (!s) throw new Error(`docker-compose.yml has no service "${name}"`);
  return s;
}

function serviceByImage(pattern: RegExp): [string, RawService] {
  const hit = Object.entries(services).find(([, s]) => pattern.test(s.image ?? ''));
  if (!hit) throw new Error(`no service runs an image matching ${pattern}`);
  return hit;
}

beforeAll(async () => {
  tool = findComposeTool();
  if (!tool) {
    throw new Error(
      'docker-compose is not installed, so docker-compose.yml cannot be checked. ' +
        "Run the project's install script: `bash scripts/ensure-tools.sh` (installs Debian's docker-compose).",
    );
  }
  scratch = mkdtempSync(join(tmpdir(), 'scaiwave-compose-'));
  writeFileSync(join(scratch, 'empty.env'), '');
  const r = await render(userEnv);
  if (!r.ok) throw new Error(`docker-compose config rejected docker-compose.yml:\n${r.stderr}`);
  compose = parse(r.stdout);
  services = compose.services;
}, 60_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('docker-compose.yml', () => {
  it('validates once the documented secrets are set', () => {
    expect(Object.keys(services).length).toBeGreaterThan(0);
    // A stack with no required secret would ship default passwords.
    expect(requiredComposeVars).toEqual(expect.arrayContaining(['MARIADB_PASSWORD', 'REDIS_PASSWORD']));
  });

  it('refuses to render without each required variable, and names it', async () => {
    const results = await Promise.all(
      requiredComposeVars.map(async (name) => {
        const { [name]: _omit, ...rest } = userEnv;
        return { name, result: await render(rest) };
      }),
    );
    for (const { name, result } of results) {
      expect(result.ok, `compose rendered without ${name}`).toBe(false);
      expect(result.stderr).toContain(name);
    }
  }, 60_000);

  it('runs every service the product needs', () => {
    for (const name of ['api', 'worker', 'migrate', 'temporal-setup']) service(name);

    const [temporalName, temporal] = serviceByImage(/^temporalio\/(server|auto-setup):/);
    serviceByImage(/^temporalio\/ui:/);
    const [, mariadb] = serviceByImage(/^mariadb:/);
    const [, redis] = serviceByImage(/^redis:/);
    const [, nats] = serviceByImage(/^nats:/);
    serviceByImage(/(^|\/)minio\/minio:/);
    serviceByImage(/(^|\/)minio\/mc:/);
    const [, weaviate] = serviceByImage(/semitechnologies\/weaviate:/);
    const [, clamav] = serviceByImage(/^clamav\/clamav:/);

    expect(atLeast(mariadb.image!, 11, 0), mariadb.image).toBe(true);
    expect(atLeast(redis.image!, 7, 0), redis.image).toBe(true);
    expect(atLeast(nats.image!, 2, 10), nats.image).toBe(true);
    expect(atLeast(weaviate.image!, 1, 27), weaviate.image).toBe(true);
    expect(atLeast(clamav.image!, 1, 4), clamav.image).toBe(true);
    // Vectors come from ScaiGrid; a server-side vectorizer would be a second, unpaid model.
    expect(env(weaviate).DEFAULT_VECTORIZER_MODULE).toBe('none');

    // Temporal keeps its own PostgreSQL, not the product's MariaDB.
    const seeds = env(temporal).POSTGRES_SEEDS;
    expect(seeds, `${temporalName} has no POSTGRES_SEEDS`).toBeTruthy();
    expect(service(seeds!).image).toMatch(/^postgres:/);
    expect(deps(service('temporal-setup'))[temporalName]).toBe('service_healthy');
  });

  it('registers the custom search attributes the workflows set', () => {
    const s = service('temporal-setup');
    expect(s.image).toMatch(/^temporalio\/admin-tools:/);
    const script = [...argv(s.entrypoint), ...argv(s.command)].join(' ');
    expect(script).toContain('search-attribute create');
    for (const [name, type] of Object.entries(customSearchAttributes)) {
      expect(script).toContain(name);
      expect(script).toContain(`--type ${type}`);
    }
    expect(env(s).NAMESPACE).toBe(scaiwaveEnv(service('api')).SCAIWAVE_TEMPORAL_NAMESPACE);
  });

  it('gives api and worker the same SCAIWAVE_* settings, valid for lib/config.ts', () => {
    const api = scaiwaveEnv(service('api'));
    const worker = scaiwaveEnv(service('worker'));
    expect(worker).toEqual(api);
    expect(scaiwaveEnv(service('migrate')).SCAIWAVE_DB_URL).toBe(api.SCAIWAVE_DB_URL);

    for (const name of configRequiredWithoutDefault()) {
      expect(api[name], `${name} is required by lib/config.ts`).toBeTruthy();
    }
    // A misspelled name would be ignored silently and the default used.
    const known = new Set<string>(configVariables);
    expect(Object.keys(api).filter((k) => !known.has(k))).toEqual([]);
    // The processes exit at start on any value the schema rejects.
    expect(() => loadConfig(api)).not.toThrow();
  });

  it('points every connection at a service of the stack, with its credentials', () => {
    const api = scaiwaveEnv(service('api'));
    for (const name of [
      'SCAIWAVE_DB_URL',
      'SCAIWAVE_REDIS_URL',
      'SCAIWAVE_NATS_URL',
      'SCAIWAVE_S3_ENDPOINT',
      'SCAIWAVE_WEAVIATE_URL',
      'SCAIWAVE_CLAMAV_URL',
    ]) {
      expect(api[name], name).toBeTruthy();
      expect(Object.keys(services), name).toContain(new URL(api[name]!).hostname);
    }
    expect(Object.keys(services)).toContain(api.SCAIWAVE_TEMPORAL_ADDRESS!.split(':')[0]);

    const db = new URL(api.SCAIWAVE_DB_URL!);
    const mariadb = env(service(db.hostname));
    expect(decodeURIComponent(db.username)).toBe(mariadb.MARIADB_USER);
    expect(decodeURIComponent(db.password)).toBe(mariadb.MARIADB_PASSWORD);
    expect(db.pathname.slice(1)).toBe(mariadb.MARIADB_DATABASE);

    const redisUrl = new URL(api.SCAIWAVE_REDIS_URL!);
    const redisArgs = argv(service(redisUrl.hostname).command);
    expect(redisArgs[redisArgs.indexOf('--requirepass') + 1]).toBe(decodeURIComponent(redisUrl.password));

    // The app's S3 key is the one the setup job creates for the bucket.
    const minioSetup = Object.values(env(service('minio-setup')));
    expect(minioSetup).toContain(api.SCAIWAVE_S3_ACCESS_KEY);
    expect(minioSetup).toContain(api.SCAIWAVE_S3_SECRET_KEY);
    expect(minioSetup).toContain(api.SCAIWAVE_S3_BUCKET);
  });

  it('starts api and worker only after migrate and the Temporal setup completed', () => {
    for (const name of ['api', 'worker']) {
      const d = deps(service(name));
      expect(d.migrate, `${name} -> migrate`).toBe('service_completed_successfully');
      expect(d['temporal-setup'], `${name} -> temporal-setup`).toBe('service_completed_successfully');
    }
    expect(argv(service('migrate').command).join(' ')).toMatch(/dist\/cli\/main\.js migrate$/);
  });

  it('can actually start: healthy-waits have healthchecks, completed-waits are one-shots', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const [dep, condition] of Object.entries(deps(s))) {
        const target = service(dep);
        if (condition === 'service_healthy') {
          expect(target.healthcheck?.test, `${name} waits for ${dep} to be healthy`).toBeTruthy();
          expect(target.healthcheck?.disable ?? false).toBe(false);
        }
        if (condition === 'service_completed_successfully') {
          // A restart policy would bring a finished one-shot back up in a loop.
          expect([undefined, 'no'], `${dep} is a one-shot`).toContain(target.restart);
        }
      }
    }
  });

  it('probes /health of api and worker on their own ports', () => {
    const api = scaiwaveEnv(service('api'));
    const apiProbe = argv(service('api').healthcheck?.test).join(' ');
    const workerProbe = argv(service('worker').healthcheck?.test).join(' ');
    expect(apiProbe).toContain(`:${api.SCAIWAVE_PORT}/health`);
    expect(workerProbe).toContain(`:${api.SCAIWAVE_WORKER_PORT}/health`);
  });

  it('runs api, worker and migrate from one image', () => {
    const images = ['api', 'worker', 'migrate'].map((n) => service(n).image);
    expect(new Set(images).size).toBe(1);
    expect(service('api').build).toBeTruthy();
    expect(argv(service('api').command).join(' ')).toContain('dist/api/main.js');
    expect(argv(service('worker').command).join(' ')).toContain('dist/worker/main.js');
  });

  it('runs compiled code: no TypeScript loader in any scaiwave command', () => {
    for (const name of ['api', 'worker', 'migrate']) {
      expect(argv(service(name).command).join(' '), name).not.toMatch(/tsx|\.ts\b/);
    }
  });

  it('keeps the data of every stateful service in a named volume', () => {
    const declared = Object.keys(compose.volumes ?? {});
    const dataDirs: [string, string][] = [
      [serviceByImage(/^mariadb:/)[0], '/var/lib/mysql'],
      [env(serviceByImage(/^temporalio\/(server|auto-setup):/)[1]).POSTGRES_SEEDS!, '/var/lib/postgresql/data'],
      [serviceByImage(/^redis:/)[0], '/data'],
      [serviceByImage(/(^|\/)minio\/minio:/)[0], (() => {
        const a = argv(serviceByImage(/(^|\/)minio\/minio:/)[1].command);
        return a[a.indexOf('server') + 1]!;
      })()],
      [serviceByImage(/semitechnologies\/weaviate:/)[0], env(serviceByImage(/semitechnologies\/weaviate:/)[1]).PERSISTENCE_DATA_PATH!],
      [serviceByImage(/^nats:/)[0], (() => {
        const a = argv(serviceByImage(/^nats:/)[1].command);
        const i = a.findIndex((x) => x === '--store_dir' || x === '-sd');
        return i >= 0 ? a[i + 1]! : '';
      })()],
    ];
    for (const [name, dir] of dataDirs) {
      expect(dir, `${name} data dir`).toBeTruthy();
      const covering = mounts(service(name)).filter(
        (m) => m.type === 'volume' && (dir === m.target || dir.startsWith(`${m.target}/`)),
      );
      expect(covering.length, `${name} keeps ${dir} in a named volume`).toBe(1);
      expect(declared).toContain(covering[0]!.source);
    }

    const redisArgs = argv(serviceByImage(/^redis:/)[1].command);
    expect(redisArgs[redisArgs.indexOf('--appendonly') + 1]).toBe('yes');
    expect(argv(serviceByImage(/^nats:/)[1].command).some((a) => a === '--jetstream' || a === '-js')).toBe(true);
  });

  it('publishes the API on 8000 and the Temporal UI on 8233', () => {
    const api = scaiwaveEnv(service('api'));
    expect(ports(service('api'))).toContainEqual(
      expect.objectContaining({ published: 8000, target: Number(api.SCAIWAVE_PORT) }),
    );
    const [uiName, ui] = serviceByImage(/^temporalio\/ui:/);
    expect(ports(ui), uiName).toContainEqual(expect.objectContaining({ published: 8233, target: 8080 }));
  });

  it('pins every image to a tag other than latest', () => {
    for (const [name, s] of Object.entries(services)) {
      expect(s.image, `${name} has an image`).toBeTruthy();
      const tag = imageTag(s.image!);
      expect(tag, `${name}: ${s.image} has no tag`).toBeTruthy();
      expect(tag, `${name}: ${s.image}`).not.toBe('latest');
    }
  });
});
