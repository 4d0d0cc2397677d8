import type { Env } from './config.js';

// What each SCAIWAVE_* variable is for. The defaults live in lib/config.ts's
// schema; scripts/gen-config-docs.ts joins the two into docs/configuration.md
// and .env.example. The Record type makes a variable added to the schema
// without a description here (or a description for one that no longer exists)
// fail the typecheck.

/** Sections of the docs and of `.env.example`, in the order they appear. */
export const configGroups = [
  'Server',
  'Database',
  'Cache',
  'Events',
  'Storage',
  'Search',
  'Realtime media',
  'Identity',
  'Inference',
  'Temporal',
  'API limits',
  'ScaiEcho',
  'Worker',
  'Schedules',
  'Retention',
  'Erasure',
  'Compliance export',
  'Webhooks',
] as const;

type ConfigGroup = (typeof configGroups)[number];

interface ConfigDoc {
  group: ConfigGroup;
  /** One or two plain sentences; rendered on one line, so no line breaks. */
  description: string;
}

export const configDocs: Record<keyof Env, ConfigDoc> = {
  SCAIWAVE_HOST: {
    group: 'Server',
    description:
      'Interface the API and the worker\'s health/metrics port listen on. Loopback by default; set 0.0.0.0 (all interfaces) only behind a load balancer or in a container.',
  },
  SCAIWAVE_PORT: {
    group: 'Server',
    description: 'TCP port of the API process (HTTP routes and WebSocket upgrades share it).',
  },
  SCAIWAVE_SERVER_NAME: {
    group: 'Server',
    description: 'Public host name of this deployment (e.g. scaiwave.example.com), used where the service names itself.',
  },
  SCAIWAVE_DEBUG: {
    group: 'Server',
    description: 'Development mode (true/false). Never enable in production.',
  },
  SCAIWAVE_LOG_LEVEL: {
    group: 'Server',
    description: 'Least severe log level written: trace, debug, info, warn, error, fatal or silent.',
  },

  SCAIWAVE_ACCESS_LOG_LEVEL: {
    group: 'Server',
    description:
      'The API writes one line per request (method, route template, status, ms, request id, tenant) at info; set warn or silent to drop those lines, whatever SCAIWAVE_LOG_LEVEL says.',
  },

  SCAIWAVE_DB_URL: {
    group: 'Database',
    description:
      'MariaDB connection URL, mysql://user:password@host:port/database (mariadb:// and mysql+aiomysql:// are accepted). `scaiwave migrate` creates the database if it is missing.',
  },
  SCAIWAVE_DB_POOL_SIZE: {
    group: 'Database',
    description: 'Connections each process keeps in its MariaDB pool (1-500).',
  },

  SCAIWAVE_REDIS_URL: {
    group: 'Cache',
    description: 'Redis URL (redis:// or rediss:// for TLS), used for rate limits, counters and caches.',
  },
  SCAIWAVE_REDIS_PREFIX: {
    group: 'Cache',
    description: 'Prefix of every Redis key, so deployments sharing one Redis never collide.',
  },

  SCAIWAVE_NATS_URL: {
    group: 'Events',
    description: 'NATS server URL (nats:// or tls://); JetStream must be enabled.',
  },
  SCAIWAVE_NATS_PREFIX: {
    group: 'Events',
    description:
      'Prefix of NATS subjects and stream names (letters, digits, _ and -), so deployments sharing a NATS cluster never share a stream. Empty means none.',
  },

  SCAIWAVE_S3_ENDPOINT: {
    group: 'Storage',
    description: 'S3-compatible endpoint for media and exports (MinIO, Garage, SeaweedFS, AWS S3).',
  },
  SCAIWAVE_S3_BUCKET: {
    group: 'Storage',
    description: 'Bucket holding media, staged audio and room exports; it must exist.',
  },
  SCAIWAVE_S3_ACCESS_KEY: {
    group: 'Storage',
    description: 'S3 access key id.',
  },
  SCAIWAVE_S3_SECRET_KEY: {
    group: 'Storage',
    description: 'S3 secret key. The default only suits the local dev stack: set your own everywhere else.',
  },
  SCAIWAVE_S3_REGION: {
    group: 'Storage',
    description: 'Region sent with S3 requests; most self-hosted stores accept any value.',
  },
  SCAIWAVE_S3_FORCE_PATH_STYLE: {
    group: 'Storage',
    description: 'Address buckets as endpoint/bucket instead of bucket.endpoint (true for MinIO, Garage and SeaweedFS).',
  },
  SCAIWAVE_CLAMAV_URL: {
    group: 'Storage',
    description: 'clamd address, tcp://host:3310, used to scan uploads before they are stored. Unset: no scanning.',
  },

  SCAIWAVE_WAVE_MEDIA_MAX_BYTES: {
    group: 'Storage',
    description:
      "The largest file a room member may upload (413 past it). Keep it within clamd's StreamMaxLength, or larger files are quarantined as unscannable.",
  },
  SCAIWAVE_WAVE_SYNC_TIMEOUT_MS: {
    group: 'Storage',
    description: 'The longest GET /v1/wave/sync waits for an event before answering empty (seed 000: 30 s); keep load balancer timeouts above it.',
  },
  SCAIWAVE_WAVE_WS_HEARTBEAT_MS: {
    group: 'Storage',
    description: 'How often an idle WebSocket gets a heartbeat frame and a ping; a client that misses a ping is dropped.',
  },
  SCAIWAVE_WAVE_WS_MAX_SOCKETS: {
    group: 'Storage',
    description:
      'The most WebSockets one API process holds; an upgrade past it is refused with 503 SERVICE_UNAVAILABLE and Retry-After, so a load balancer tries another process.',
  },
  SCAIWAVE_WAVE_WS_MAX_PER_USER: {
    group: 'Storage',
    description:
      "The most WebSockets one user holds open on one API process (tabs, devices); one more is refused with 429 RATE_LIMITED, so one credential cannot take the process's sockets.",
  },
  SCAIWAVE_WAVE_OUTBOX_POLL_MS: {
    group: 'Storage',
    description:
      'How often an API process looks for room events another process committed but did not publish to JetStream (it died first); its own it publishes at once.',
  },

  SCAIWAVE_WEAVIATE_URL: {
    group: 'Search',
    description:
      'Weaviate URL (http or https) of the message search index (one collection, one Weaviate tenant per tenant). Unset: the embedded index under SCAIWAVE_SEARCH_DIR, which needs no server.',
  },
  SCAIWAVE_WEAVIATE_GRPC_PORT: {
    group: 'Search',
    description: 'gRPC port of that Weaviate server (same host as SCAIWAVE_WEAVIATE_URL); the client queries over gRPC.',
  },
  SCAIWAVE_WEAVIATE_API_KEY: {
    group: 'Search',
    description: 'API key for that Weaviate server. Unset: no authentication.',
  },
  SCAIWAVE_SEARCH_DIR: {
    group: 'Search',
    description:
      'Directory of the embedded search index (LanceDB files, one table per tenant), relative to the project root unless absolute. Used when SCAIWAVE_WEAVIATE_URL is unset; every API and worker process on the host must see the same directory.',
  },
  SCAIWAVE_EXPORT_SIGNING_KEY: {
    group: 'Compliance export',
    description:
      'Ed25519 private key (PKCS#8 PEM, or its DER in base64) that signs every room export bundle (manifest.sig), so a recipient can prove the bundle came from this deployment. Unset: bundles are checksummed but not signed. Make one with `openssl genpkey -algorithm ed25519`; publish its public key to recipients.',
  },
  SCAIWAVE_EXPORT_URL_TTL_SECONDS: {
    group: 'Compliance export',
    description: 'How long the download URL of a finished export stays valid.',
  },
  SCAIWAVE_IMPORT_MAX_BYTES: {
    group: 'Compliance export',
    description:
      'The largest room bundle `POST /v1/wave/workspaces/{id}/imports` and `scaiwave room import` accept (413 past it). The bundle is streamed to S3, never held in memory, so this bounds storage, not memory.',
  },
  SCAIWAVE_IMPORT_PUBLIC_KEY: {
    group: 'Compliance export',
    description:
      "Ed25519 public keys (each PEM, or its SPKI DER in base64; several separated by commas) of the other deployments whose bundles this one imports: theirs from `openssl pkey -pubout`. An import takes only bundles signed by one of these or by this deployment's own SCAIWAVE_EXPORT_SIGNING_KEY; anything else, unsigned bundles included, is refused (422 IMPORT_SIGNATURE_INVALID / IMPORT_UNTRUSTED_SIGNER), unless an operator imports it with `scaiwave room import --allow-unsigned`, which is audited. Unset: only this deployment's own bundles.",
  },
  SCAIWAVE_SEARCH_VECTOR_DIMENSION: {
    group: 'Search',
    description:
      'Length of the embedding vectors the search index stores: the output size of SCAIWAVE_AI_EMBEDDING_MODEL. Changing it needs a reindex.',
  },

  SCAIWAVE_LIVEKIT_URL: {
    group: 'Realtime media',
    description: 'LiveKit server URL (ws:// or wss://) for calls. Unset: calls are off.',
  },
  SCAIWAVE_LIVEKIT_API_KEY: {
    group: 'Realtime media',
    description: 'LiveKit API key used to sign room access tokens.',
  },
  SCAIWAVE_LIVEKIT_API_SECRET: {
    group: 'Realtime media',
    description: 'LiveKit API secret paired with SCAIWAVE_LIVEKIT_API_KEY.',
  },

  SCAIWAVE_AUTH_MODE: {
    group: 'Identity',
    description:
      'How callers authenticate: scaikey accepts ScaiKey JWTs and API keys; api_key accepts API keys only.',
  },
  SCAIWAVE_SCAIKEY_URL: {
    group: 'Identity',
    description: 'ScaiKey (OIDC) issuer URL; its discovery document and JWKS are fetched from here.',
  },
  SCAIWAVE_SCAIKEY_CLIENT_ID: {
    group: 'Identity',
    description: 'OIDC client id of this service; tokens must name it in their audience.',
  },
  SCAIWAVE_SCAIKEY_CLIENT_SECRET: {
    group: 'Identity',
    description: 'OIDC client secret, for calls this service makes to ScaiKey itself (identity sync).',
  },
  SCAIWAVE_JWKS_CACHE_SECONDS: {
    group: 'Identity',
    description: "Seconds ScaiKey's signing keys are cached before they are fetched again.",
  },
  SCAIWAVE_AUTH_CACHE_SECONDS: {
    group: 'Identity',
    description:
      'Seconds an API process reuses a resolved API key or ScaiKey user without asking MariaDB again (0 turns the cache off). Revocations, deactivations and suspensions reach every API process at once over Redis; this bounds how long one could be missed.',
  },
  SCAIWAVE_AUTH_CACHE_MAX_ENTRIES: {
    group: 'Identity',
    description: 'Most credentials each API process keeps resolved (the oldest go first), and most verified ScaiKey tokens it remembers until they expire (the least recently used go first).',
  },
  SCAIWAVE_API_KEY_LAST_USED_FLUSH_SECONDS: {
    group: 'Identity',
    description:
      "How often an API process writes the API keys' last_used_at stamps it has gathered, in one statement (each key is stamped at most once a minute).",
  },

  SCAIWAVE_SCAIGRID_URL: {
    group: 'Inference',
    description: 'ScaiGrid URL for embeddings and model calls. Unset: features that need it are off.',
  },
  SCAIWAVE_SCAIGRID_API_KEY: {
    group: 'Inference',
    description: 'Service-wide ScaiGrid API key; a fallback only, per-user token exchange is preferred.',
  },
  SCAIWAVE_AI_EMBEDDING_MODEL: {
    group: 'Inference',
    description: 'ScaiGrid model that embeds messages for search.',
  },
  SCAIWAVE_SCAIGRID_EMBEDDING_BATCH_SIZE: {
    group: 'Inference',
    description:
      'Most texts in one ScaiGrid embeddings request; longer lists go out as several requests. Keep it at or below the batch limit of the ScaiGrid model (a larger batch is refused, not retried).',
  },
  SCAIWAVE_SCAIGRID_TIMEOUT_MS: {
    group: 'Inference',
    description: 'Limit of each attempt of a ScaiGrid call; an attempt that takes longer is abandoned and retried.',
  },
  SCAIWAVE_SCAIGRID_MAX_RETRIES: {
    group: 'Inference',
    description:
      'Retries of a ScaiGrid call after network errors, timeouts, 429 and 5xx, with exponential backoff and jitter (0.5 s doubling up to 8 s) or the Retry-After ScaiGrid sends (up to 60 s). Other 4xx answers are never retried.',
  },

  SCAIWAVE_TEMPORAL_ADDRESS: {
    group: 'Temporal',
    description: 'Temporal frontend as host:port.',
  },
  SCAIWAVE_TEMPORAL_NAMESPACE: {
    group: 'Temporal',
    description: 'Temporal namespace holding all workflows of this deployment.',
  },
  SCAIWAVE_TEMPORAL_TASK_QUEUE: {
    group: 'Temporal',
    description: 'Task queue the worker polls and the API and CLI start workflows on.',
  },
  SCAIWAVE_TEMPORAL_UI_URL: {
    group: 'Temporal',
    description: 'Temporal Web UI base URL, used in links shown to operators.',
  },
  SCAIWAVE_CODEC_MASTER_KEYS: {
    group: 'Temporal',
    description:
      'Master keys wrapping the payload codec\'s data keys, newest first: `id:base64` of 32 random bytes each, comma-separated (`openssl rand -base64 32`). New data keys are wrapped by the first; keep an old one listed while keys it wrapped remain. Required by every process that talks to Temporal; `npm start` and the tests set their own.',
  },
  SCAIWAVE_CODEC_SERVER_PORT: {
    group: 'Temporal',
    description: 'Port of `scaiwave codec-server`, the Temporal UI\'s remote codec endpoint (decodes payloads for authenticated operators; 0 picks a free port).',
  },
  SCAIWAVE_CODEC_CORS_ORIGINS: {
    group: 'Temporal',
    description: 'Origins (comma-separated) of the Temporal UI allowed to call the codec server from the browser, with credentials.',
  },

  SCAIWAVE_MAX_JSON_BODY_BYTES: {
    group: 'API limits',
    description: 'Largest JSON request body accepted, in bytes; larger ones get 413 PAYLOAD_TOO_LARGE.',
  },
  SCAIWAVE_IDEMPOTENCY_KEY_TTL_SECONDS: {
    group: 'API limits',
    description: 'How long the answer to a request sent with an Idempotency-Key is kept: a retry with the key within it gets the same job or message; after it the key starts over.',
  },
  SCAIWAVE_IDEMPOTENCY_WAIT_SECONDS: {
    group: 'API limits',
    description: 'How long a retry waits for the first request with its Idempotency-Key (still uploading or transcribing) to answer, before it is told 409 IDEMPOTENCY_KEY_IN_USE with Retry-After.',
  },
  SCAIWAVE_IDEMPOTENCY_LEASE_SECONDS: {
    group: 'API limits',
    description: 'How long a request holds its Idempotency-Key without renewing it (it renews every third of this while it runs). A retry takes over the key of a request whose API process died once this has passed.',
  },
  SCAIWAVE_RATE_LIMIT_TENANT_PER_MINUTE: {
    group: 'API limits',
    description:
      'Requests per minute a tenant may make across all its callers, unless the tenant sets features.rate_limits.tenant_per_minute.',
  },
  SCAIWAVE_RATE_LIMIT_KEY_PER_MINUTE: {
    group: 'API limits',
    description:
      'Requests per minute one API key or user may make, unless the tenant sets features.rate_limits.key_per_minute.',
  },
  SCAIWAVE_RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: {
    group: 'API limits',
    description:
      'Failed authentications per minute from one client address before its further attempts get 429 with Retry-After, unless they present a credential that has not failed this minute: those are still checked, and admitted if valid (one office behind a NAT is not shut out by one script).',
  },
  SCAIWAVE_RATE_LIMIT_CREDENTIAL_FAILURES_PER_MINUTE: {
    group: 'API limits',
    description:
      'Failed authentications per minute naming one credential (an API key by its prefix, a ScaiKey token by its claimed subject), from any address, before further attempts with it get 429 with Retry-After from every address it has failed from. Its owner, presenting it from an address it has not failed from, is still checked and admitted if valid.',
  },
  SCAIWAVE_CORS_ORIGINS: {
    group: 'API limits',
    description:
      'Comma-separated browser origins allowed by CORS and to open the WebSocket (e.g. https://app.example.com), or * for any. Empty allows none; clients that send no Origin (not browsers) are not affected.',
  },
  SCAIWAVE_TRUSTED_PROXIES: {
    group: 'API limits',
    description:
      'Comma-separated addresses or CIDR ranges of the reverse proxies / load balancers in front of the API. X-Forwarded-For is believed only from them, hop by hop: the client address (rate limits, audit) is the nearest hop not in the list.',
  },
  SCAIWAVE_SHUTDOWN_GRACE_MS: {
    group: 'API limits',
    description:
      'On SIGTERM, milliseconds the API lets open requests finish and the worker lets running activities finish before stopping.',
  },

  SCAIWAVE_SCAIECHO_ASYNC_AUDIO_THRESHOLD_BYTES: {
    group: 'ScaiEcho',
    description: 'Audio larger than this (bytes) is transcribed as an async job (202 + job id) instead of inline.',
  },
  SCAIWAVE_MCP_MAX_BASE64_AUDIO_BYTES: {
    group: 'ScaiEcho',
    description: 'Largest audio (decoded bytes) the MCP tool scaiecho.transcribe takes inline as audio_base64; larger audio goes by url or media_id.',
  },
  SCAIWAVE_MCP_URL_ALLOWLIST: {
    group: 'ScaiEcho',
    description: 'Comma-separated origins (e.g. https://audio.example.com) whose URLs the MCP tool scaiecho.transcribe may fetch audio from. Empty refuses every URL.',
  },
  SCAIWAVE_MCP_URL_ALLOW_PRIVATE: {
    group: 'ScaiEcho',
    description: 'Whether the MCP tool may fetch from an allow-listed origin that resolves to a private, loopback or link-local address. Off by default (SSRF); checked on the address actually connected to, redirects included.',
  },
  SCAIWAVE_SCAIECHO_MAX_UPLOAD_BYTES: {
    group: 'ScaiEcho',
    description: 'Largest audio upload accepted for transcription or enrollment, in bytes.',
  },
  SCAIWAVE_SCAIECHO_NODE_TTL_SECONDS: {
    group: 'ScaiEcho',
    description: 'A ScaiInfer node counts as online while its last heartbeat is younger than this many seconds.',
  },
  SCAIWAVE_SCAIECHO_RELAY_URL: {
    group: 'ScaiEcho',
    description: 'Base URL of the managed STT relay (backend B). Unset: backend B is unavailable.',
  },
  SCAIWAVE_SCAIECHO_RELAY_API_KEY: {
    group: 'ScaiEcho',
    description: 'Platform credential sent to the STT relay as a bearer token.',
  },
  SCAIWAVE_SCAIECHO_DISPATCH_TIMEOUT_MS: {
    group: 'ScaiEcho',
    description: 'Longest a single transcription call to a backend may take before it is abandoned and retried.',
  },
  SCAIWAVE_SCAIECHO_SYNC_TIMEOUT_MS: {
    group: 'ScaiEcho',
    description:
      'Longest an inline (200) transcription may take, every backend tried included; past it the caller gets 504 UPSTREAM_TIMEOUT and the backend call is cancelled.',
  },
  SCAIWAVE_SCAIECHO_MAX_AUDIO_MS: {
    group: 'ScaiEcho',
    description:
      'Longest audio accepted for transcription, in ms of playing time (413 AUDIO_TOO_LONG above it), unless the tenant sets features.scaiecho.max_audio_ms lower or higher.',
  },
  SCAIWAVE_SCAIECHO_SPEAKER_MIN_AUDIO_MS: {
    group: 'ScaiEcho',
    description: 'Shortest reference recording speaker enrollment accepts, in ms; shorter ones are refused with 422.',
  },
  SCAIWAVE_SCAIECHO_SPEAKER_MAX_AUDIO_MS: {
    group: 'ScaiEcho',
    description: 'Longest reference recording speaker enrollment accepts, in ms; longer ones are refused with 422.',
  },
  SCAIWAVE_SCAIECHO_STREAM_IDLE_SECONDS: {
    group: 'ScaiEcho',
    description: 'A live transcription socket that sends no audio for this long is closed (code 4408).',
  },
  SCAIWAVE_SCAIECHO_STREAM_MAX_SECONDS: {
    group: 'ScaiEcho',
    description: 'Longest a live transcription session may stream; at the limit it is drained and closed (code 4413).',
  },
  SCAIWAVE_SCAIECHO_WEBRTC_MAX_SESSIONS: {
    group: 'ScaiEcho',
    description:
      'The most live transcription sessions over WebRTC one API process holds (each decodes Opus and runs DTLS/SRTP in the process); an offer past it is refused with 503 SERVICE_UNAVAILABLE and Retry-After.',
  },
  SCAIWAVE_SCAIECHO_WEBRTC_HOST_ADDRESSES: {
    group: 'ScaiEcho',
    description:
      'Comma-separated IP addresses the API offers browsers as its WebRTC host candidates (e.g. its public address, or 127.0.0.1 for a browser on the same machine). Empty offers every non-loopback address of the machine.',
  },
  SCAIWAVE_SCAIECHO_WEBRTC_UDP_PORTS: {
    group: 'ScaiEcho',
    description: 'MIN-MAX: the UDP ports WebRTC media is received on, for a firewall to open. Unset: any free port.',
  },
  SCAIWAVE_SCAIECHO_DIARIZE_TIMEOUT_MS: {
    group: 'ScaiEcho',
    description:
      'Longest a single call to a diarization node (embedding, accept, evict, list, attribution) may take before it counts as failed and is retried.',
  },
  SCAIWAVE_PLATFORM_TENANT: {
    group: 'Identity',
    description:
      'Slug of the operators\' own tenant. Its users with the platform-operator role act on the whole cluster (ScaiInfer nodes); no other tenant\'s roles can. Unset: only the service token can.',
  },
  SCAIWAVE_SERVICE_TOKEN: {
    group: 'Identity',
    description:
      'Shared secret internal components (ScaiInfer nodes) present to register and heartbeat. Unset: node registration is refused.',
  },

  SCAIWAVE_WORKER_PORT: {
    group: 'Worker',
    description: 'Port of the worker health and metrics endpoint (0 picks a free port).',
  },
  SCAIWAVE_WORKER_SDK_METRICS_ADDRESS: {
    group: 'Worker',
    description: "host:port where the Temporal SDK's Prometheus metrics are served.",
  },
  SCAIWAVE_WORKFLOW_BUNDLE: {
    group: 'Worker',
    description:
      'Path of a prebuilt workflow bundle (production images set it). Unset: workflows are bundled from source at start, for development.',
  },

  SCAIWAVE_ACCOUNTING_FLUSH_INTERVAL_SECONDS: {
    group: 'Schedules',
    description:
      'Seconds between accounting flushes, which move usage counted in Redis into MariaDB. Takes effect at the next `scaiwave schedules apply`.',
  },
  SCAIWAVE_IDENTITY_SYNC_INTERVAL_SECONDS: {
    group: 'Schedules',
    description: 'Seconds between identity syncs of every tenant against ScaiKey. Takes effect at the next `scaiwave schedules apply`.',
  },
  SCAIWAVE_RETENTION_INTERVAL_SECONDS: {
    group: 'Schedules',
    description:
      'Seconds between retention purges of staged audio and expired jobs. Takes effect at the next `scaiwave schedules apply`.',
  },
  SCAIWAVE_WARM_RECONCILE_INTERVAL_SECONDS: {
    group: 'Schedules',
    description:
      'Seconds between warm-registry reconciles: stale holders are dropped from the registry and online diarization nodes missing a speaker get it again. Takes effect at the next `scaiwave schedules apply`.',
  },
  SCAIWAVE_IDENTITY_SYNC_PAGE_SIZE: {
    group: 'Identity',
    description: 'Users or groups asked of the ScaiKey SCIM endpoint per page during identity sync (1-1000).',
  },
  SCAIWAVE_IDENTITY_SYNC_MIN_PRESENT_PERCENT: {
    group: 'Identity',
    description:
      'Identity sync deactivates nobody when ScaiKey lists fewer active users than this percentage of the users known active here (0 turns the guard off).',
  },
  SCAIWAVE_RETENTION_STAGED_AUDIO_DAYS: {
    group: 'Retention',
    description:
      'Days the staged audio of a finished transcription job stays in S3, counted from submission, unless the tenant sets features.retention.staged_audio_days.',
  },
  SCAIWAVE_RETENTION_JOB_DAYS: {
    group: 'Retention',
    description:
      'Days a finished transcription job (row, transcript and audio) is kept, counted from submission, unless the tenant sets features.retention.job_days.',
  },
  SCAIWAVE_ERASURE_REQUEST_DEADLINE_SECONDS: {
    group: 'Erasure',
    description:
      "How long compliance has to decide a user's own erasure request (POST /v1/me/erasure-request) before it is marked overdue and listed by `scaiwave erasure list --overdue`. The default is 30 days, the GDPR's one month.",
  },
  SCAIWAVE_WEBHOOKS_FEED: {
    group: 'Webhooks',
    description:
      "Whether this worker reads the lifecycle events (jobs, exports, erasures) and starts their webhook deliveries. Every worker of a task queue may: they share one durable consumer. The tests turn it off for the run and on for the suite that needs it, as each test stack has a task queue of its own.",
  },
  SCAIWAVE_WEBHOOKS_ALLOW_PRIVATE_ADDRESSES: {
    group: 'Webhooks',
    description:
      'Allow webhook endpoints on private, loopback, link-local, multicast and unspecified addresses (IPv4 and IPv6). Off, such endpoints are refused at registration and at every delivery, checked on the resolved address; only for deployments whose receivers live on their own network, and for tests.',
  },
  SCAIWAVE_WEBHOOKS_ROTATION_OVERLAP_SECONDS: {
    group: 'Webhooks',
    description: "How long after a webhook secret's rotation deliveries are signed with the previous secret too, so receivers can switch without missing one.",
  },
  SCAIWAVE_WEBHOOKS_RETRY_INITIAL_SECONDS: {
    group: 'Webhooks',
    description: 'The wait after the first failed try of a webhook delivery; each further wait doubles, up to SCAIWAVE_WEBHOOKS_RETRY_MAX_INTERVAL_SECONDS.',
  },
  SCAIWAVE_WEBHOOKS_RETRY_MAX_INTERVAL_SECONDS: {
    group: 'Webhooks',
    description: 'The longest wait between two tries of a webhook delivery.',
  },
  SCAIWAVE_WEBHOOKS_RETRY_WINDOW_SECONDS: {
    group: 'Webhooks',
    description: 'How long a webhook delivery is tried, counted from the event; once spent, the delivery fails and its endpoint is disabled (the tenant\'s admins see why in GET /v1/webhook-notifications).',
  },
  SCAIWAVE_WEBHOOKS_TIMEOUT_MS: {
    group: 'Webhooks',
    description: 'How long one try of a webhook delivery waits for the receiver to answer (connect, send, status line).',
  },
};
