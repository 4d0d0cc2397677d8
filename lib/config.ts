import proxyAddr from 'proxy-addr';
import { z } from 'zod';
import { isEd25519PrivateKey, publicKeyList } from './ed25519-keys.js';
import { parseMasterKeys } from './codec/master-keys.js';

// Every setting comes from a SCAIWAVE_* variable. Each entry names its default
// (or none when it is required) so `.env.example` and the README stay honest.

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .regex(/^\d+$/, { message: 'must be a whole number' })
    .transform(Number)
    .pipe(z.number().int().min(min, { message: `must be at least ${min}` }).max(max, { message: `must be at most ${max}` }));

const url = (protocols: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol.replace(/:$/, ''));
      } catch {
        return false;
      }
    },
    { message: `must be a URL with scheme ${protocols.join(' or ')}` },
  );

const isEd25519PublicKeyList = (text: string): boolean => {
  try {
    return publicKeyList(text).length > 0;
  } catch {
    return false;
  }
};

/** An origin as URL.origin spells it: scheme, host and port only. */
const isHttpOrigin = (v: string): boolean => {
  try {
    const u = new URL(v);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === v.replace(/\/$/, '');
  } catch {
    return false;
  }
};

const logLevel = z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, { message: 'must be host:port' });

const list = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

const schema = z.object({
  SCAIWAVE_HOST: z.string().min(1).default('127.0.0.1'),
  SCAIWAVE_PORT: int(1, 65535).default(8000),
  SCAIWAVE_SERVER_NAME: z.string().min(1).default('localhost'),
  SCAIWAVE_DEBUG: bool.default(false),
  SCAIWAVE_LOG_LEVEL: logLevel.default('info'),
  SCAIWAVE_ACCESS_LOG_LEVEL: logLevel.default('info'),

  SCAIWAVE_DB_URL: url(['mysql', 'mariadb', 'mysql+aiomysql']).default('mysql://root@127.0.0.1:3306/scaiwave'),
  SCAIWAVE_DB_POOL_SIZE: int(1, 500).default(10),
  SCAIWAVE_REDIS_URL: url(['redis', 'rediss']).default('redis://127.0.0.1:6379/0'),
  SCAIWAVE_REDIS_PREFIX: z.string().default('scaiwave:'),
  SCAIWAVE_NATS_URL: url(['nats', 'tls']).default('nats://127.0.0.1:4222'),
  SCAIWAVE_NATS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]*$/, { message: 'may hold only letters, digits, _ and -' })
    .default(''),

  SCAIWAVE_S3_ENDPOINT: url(['http', 'https']).default('http://127.0.0.1:8333'),
  SCAIWAVE_S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: 'must be a valid S3 bucket name' })
    .default('scaiwave-media'),
  SCAIWAVE_S3_ACCESS_KEY: z.string().min(1).default('scaiwave'),
  SCAIWAVE_S3_SECRET_KEY: z.string().min(1).default('scaiwave-dev-secret'),
  SCAIWAVE_S3_REGION: z.string().min(1).default('us-east-1'),
  SCAIWAVE_S3_FORCE_PATH_STYLE: bool.default(true),

  SCAIWAVE_WEAVIATE_URL: url(['http', 'https']).optional(),
  SCAIWAVE_WEAVIATE_GRPC_PORT: int(1, 65535).default(50051),
  SCAIWAVE_WEAVIATE_API_KEY: z.string().min(1).optional(),
  SCAIWAVE_SEARCH_DIR: z.string().min(1).default('.devstack/data/search'),
  SCAIWAVE_SEARCH_VECTOR_DIMENSION: int(1, 8192).default(384),
  SCAIWAVE_EXPORT_SIGNING_KEY: z
    .string()
    .refine(isEd25519PrivateKey, { message: 'must be an Ed25519 private key: PKCS#8 PEM, or its DER in base64' })
    .optional(),
  SCAIWAVE_EXPORT_URL_TTL_SECONDS: int(60, 7 * 24 * 3600).default(900),
  SCAIWAVE_IMPORT_MAX_BYTES: int(1).default(10 * 1024 ** 3),
  SCAIWAVE_IMPORT_PUBLIC_KEY: z
    .string()
    .refine(isEd25519PublicKeyList, { message: 'must be Ed25519 public keys, comma-separated: each PEM, or its SPKI DER in base64' })
    .optional(),
  SCAIWAVE_CLAMAV_URL: url(['tcp']).optional(),
  SCAIWAVE_WAVE_OUTBOX_POLL_MS: int(50, 60_000).default(1000),
  SCAIWAVE_WAVE_MEDIA_MAX_BYTES: int(1).default(100 * 1024 * 1024),
  SCAIWAVE_WAVE_SYNC_TIMEOUT_MS: int(0, 120_000).default(30_000),
  SCAIWAVE_WAVE_WS_HEARTBEAT_MS: int(1000, 300_000).default(25_000),
  SCAIWAVE_WAVE_WS_MAX_SOCKETS: int(1).default(10_000),
  SCAIWAVE_WAVE_WS_MAX_PER_USER: int(1).default(20),
  SCAIWAVE_LIVEKIT_URL: url(['ws', 'wss']).optional(),
  SCAIWAVE_LIVEKIT_API_KEY: z.string().optional(),
  SCAIWAVE_LIVEKIT_API_SECRET: z.string().optional(),

  SCAIWAVE_AUTH_MODE: z.enum(['scaikey', 'api_key']).default('scaikey'),
  SCAIWAVE_SCAIKEY_URL: url(['http', 'https']).default('http://127.0.0.1:8090'),
  SCAIWAVE_SCAIKEY_CLIENT_ID: z.string().min(1).default('scaiwave'),
  SCAIWAVE_SCAIKEY_CLIENT_SECRET: z.string().optional(),
  SCAIWAVE_JWKS_CACHE_SECONDS: int(1).default(600),
  SCAIWAVE_AUTH_CACHE_SECONDS: int(0, 3600).default(30),
  SCAIWAVE_AUTH_CACHE_MAX_ENTRIES: int(1).default(10_000),
  SCAIWAVE_API_KEY_LAST_USED_FLUSH_SECONDS: int(1, 3600).default(10),

  SCAIWAVE_SCAIGRID_URL: url(['http', 'https']).optional(),
  SCAIWAVE_SCAIGRID_API_KEY: z.string().optional(),
  SCAIWAVE_AI_EMBEDDING_MODEL: z.string().min(1).default('scailar-4'),
  SCAIWAVE_SCAIGRID_EMBEDDING_BATCH_SIZE: int(1, 2048).default(64),
  SCAIWAVE_SCAIGRID_TIMEOUT_MS: int(100, 600_000).default(30_000),
  SCAIWAVE_SCAIGRID_MAX_RETRIES: int(0, 10).default(3),

  SCAIWAVE_TEMPORAL_ADDRESS: hostPort.default('127.0.0.1:7233'),
  SCAIWAVE_TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  SCAIWAVE_TEMPORAL_TASK_QUEUE: z.string().min(1).default('scaiwave'),
  SCAIWAVE_TEMPORAL_UI_URL: url(['http', 'https']).default('http://127.0.0.1:8233'),
  SCAIWAVE_CODEC_MASTER_KEYS: z
    .string()
    .superRefine((v, ctx) => {
      try {
        parseMasterKeys(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    })
    .optional(),
  SCAIWAVE_CODEC_SERVER_PORT: int(0, 65535).default(8089),
  SCAIWAVE_CODEC_CORS_ORIGINS: list.default(['http://127.0.0.1:8233', 'http://localhost:8233']),

  SCAIWAVE_MAX_JSON_BODY_BYTES: int(1).default(1024 * 1024),
  SCAIWAVE_IDEMPOTENCY_KEY_TTL_SECONDS: int(60).default(24 * 3600),
  SCAIWAVE_IDEMPOTENCY_WAIT_SECONDS: int(1).default(60),
  SCAIWAVE_IDEMPOTENCY_LEASE_SECONDS: int(1).default(30),
  SCAIWAVE_RATE_LIMIT_TENANT_PER_MINUTE: int(1).default(6000),
  SCAIWAVE_RATE_LIMIT_KEY_PER_MINUTE: int(1).default(600),
  SCAIWAVE_RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: int(1).default(30),
  SCAIWAVE_RATE_LIMIT_CREDENTIAL_FAILURES_PER_MINUTE: int(1).default(10),
  SCAIWAVE_CORS_ORIGINS: list.default([]),
  SCAIWAVE_TRUSTED_PROXIES: list
    .refine(
      (entries) => {
        try {
          proxyAddr.compile(entries);
          return true;
        } catch {
          return false;
        }
      },
      { message: 'must be comma-separated IP addresses or CIDR ranges (or loopback, linklocal, uniquelocal)' },
    )
    .default([]),
  SCAIWAVE_SHUTDOWN_GRACE_MS: int(0).default(10_000),

  SCAIWAVE_SCAIECHO_ASYNC_AUDIO_THRESHOLD_BYTES: int(1).default(5 * 1024 * 1024),
  SCAIWAVE_SCAIECHO_MAX_UPLOAD_BYTES: int(1).default(200 * 1024 * 1024),
  SCAIWAVE_SCAIECHO_NODE_TTL_SECONDS: int(1).default(10),
  SCAIWAVE_SCAIECHO_RELAY_URL: url(['http', 'https']).optional(),
  SCAIWAVE_SCAIECHO_RELAY_API_KEY: z.string().min(1).optional(),
  SCAIWAVE_SCAIECHO_DISPATCH_TIMEOUT_MS: int(1000).default(300_000),
  SCAIWAVE_SCAIECHO_SYNC_TIMEOUT_MS: int(1000).default(120_000),
  SCAIWAVE_MCP_MAX_BASE64_AUDIO_BYTES: int(1, 64 * 1024 * 1024).default(10 * 1024 * 1024),
  SCAIWAVE_MCP_URL_ALLOWLIST: list
    .refine((entries) => entries.every(isHttpOrigin), { message: 'must be comma-separated origins like https://audio.example.com' })
    .default([]),
  SCAIWAVE_MCP_URL_ALLOW_PRIVATE: bool.default(false),
  SCAIWAVE_SCAIECHO_MAX_AUDIO_MS: int(1000, 2_000_000_000).default(4 * 3600 * 1000),
  SCAIWAVE_SCAIECHO_SPEAKER_MIN_AUDIO_MS: int(1000).default(3000),
  SCAIWAVE_SCAIECHO_SPEAKER_MAX_AUDIO_MS: int(1000).default(120_000),
  SCAIWAVE_SCAIECHO_DIARIZE_TIMEOUT_MS: int(100).default(10_000),
  SCAIWAVE_SCAIECHO_STREAM_IDLE_SECONDS: int(1, 3600).default(30),
  SCAIWAVE_SCAIECHO_STREAM_MAX_SECONDS: int(10, 86_400).default(3600),
  SCAIWAVE_SCAIECHO_WEBRTC_MAX_SESSIONS: int(1, 100_000).default(200),
  SCAIWAVE_SCAIECHO_WEBRTC_HOST_ADDRESSES: list.pipe(z.array(z.union([z.ipv4(), z.ipv6()], { message: 'must be IP addresses' }))).default([]),
  SCAIWAVE_SCAIECHO_WEBRTC_UDP_PORTS: z
    .string()
    .regex(/^\d{1,5}-\d{1,5}$/, { message: 'must be MIN-MAX' })
    .transform((v) => v.split('-').map(Number) as [number, number])
    .refine(([min, max]) => min >= 1024 && max <= 65_535 && min < max, { message: 'must be MIN-MAX with 1024 <= MIN < MAX <= 65535' })
    .optional(),
  SCAIWAVE_PLATFORM_TENANT: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, { message: 'must be a tenant slug' }).optional(),
  SCAIWAVE_SERVICE_TOKEN: z.string().min(24, { message: 'must be at least 24 characters' }).optional(),

  SCAIWAVE_WORKER_PORT: int(0, 65535).default(8001),
  SCAIWAVE_WORKER_SDK_METRICS_ADDRESS: hostPort.default('127.0.0.1:9464'),
  SCAIWAVE_WORKFLOW_BUNDLE: z.string().optional(),

  SCAIWAVE_ACCOUNTING_FLUSH_INTERVAL_SECONDS: int(1, 86_400).default(30),
  SCAIWAVE_IDENTITY_SYNC_INTERVAL_SECONDS: int(60).default(3600),
  SCAIWAVE_IDENTITY_SYNC_PAGE_SIZE: int(1, 1000).default(100),
  SCAIWAVE_IDENTITY_SYNC_MIN_PRESENT_PERCENT: int(0, 100).default(50),
  SCAIWAVE_RETENTION_INTERVAL_SECONDS: int(60).default(86_400),
  SCAIWAVE_WARM_RECONCILE_INTERVAL_SECONDS: int(30).default(300),
  SCAIWAVE_RETENTION_STAGED_AUDIO_DAYS: int(1).default(7),
  SCAIWAVE_RETENTION_JOB_DAYS: int(1).default(90),
  SCAIWAVE_ERASURE_REQUEST_DEADLINE_SECONDS: int(1).default(30 * 86_400),

  SCAIWAVE_WEBHOOKS_FEED: bool.default(true),
  SCAIWAVE_WEBHOOKS_ALLOW_PRIVATE_ADDRESSES: bool.default(false),
  SCAIWAVE_WEBHOOKS_ROTATION_OVERLAP_SECONDS: int(0, 30 * 86_400).default(86_400),
  SCAIWAVE_WEBHOOKS_RETRY_INITIAL_SECONDS: int(1, 86_400).default(5),
  SCAIWAVE_WEBHOOKS_RETRY_MAX_INTERVAL_SECONDS: int(1, 86_400).default(6 * 3600),
  SCAIWAVE_WEBHOOKS_RETRY_WINDOW_SECONDS: int(1, 30 * 86_400).default(3 * 86_400),
  SCAIWAVE_WEBHOOKS_TIMEOUT_MS: int(100, 120_000).default(15_000),
});

export type Env = z.output<typeof schema>;

export interface Config {
  env: Env;
  db: { url: string; host: string; port: number; user: string; password: string; database: string; poolSize: number };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Every variable the service reads, with its default, for docs and `.env.example`. */
export const configVariables = Object.keys(schema.shape) as (keyof Env)[];

/** Each variable's default as it would be written in the environment; undefined when it has none. */
export function configDefaults(): Record<keyof Env, string | undefined> {
  const parsed: Partial<Record<keyof Env, unknown>> = schema.parse({});
  const asEnv = (v: unknown): string | undefined =>
    v === undefined ? undefined : Array.isArray(v) ? v.join(',') : String(v);
  return Object.fromEntries(configVariables.map((k) => [k, asEnv(parsed[k])])) as Record<keyof Env, string | undefined>;
}

function parseDbUrl(raw: string, poolSize: number): Config['db'] {
  const u = new URL(raw);
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!database) throw new ConfigError(['SCAIWAVE_DB_URL: must name a database in its path']);
  return {
    url: raw,
    host: u.hostname,
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username) || 'root',
    password: decodeURIComponent(u.password),
    database,
    poolSize,
  };
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const relevant = Object.fromEntries(
    Object.entries(source).filter(([k, v]) => k.startsWith('SCAIWAVE_') && v !== undefined && v !== ''),
  );
  const parsed = schema.safeParse(relevant);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => {
        const name = String(i.path[0] ?? '?');
        const value = relevant[name];
        // Secrets are named, never echoed: this message goes to logs.
        const secret = /SECRET|TOKEN|PASSWORD|API_KEY|SIGNING_KEY|MASTER_KEYS/.test(name);
        const shown = value === undefined ? 'is missing' : secret ? 'is set' : `is ${JSON.stringify(value)}`;
        return `${name} ${shown}: ${i.message}`;
      }),
    );
  }
  const env = parsed.data;
  return { env, db: parseDbUrl(env.SCAIWAVE_DB_URL, env.SCAIWAVE_DB_POOL_SIZE) };
}

/** For process entry points: a bad variable ends the process with a message naming it. */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`scaiwave: ${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
}
