import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../lib/config.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** The ConfigError `loadConfig` throws for `env`, failing the test if it does not throw one. */
function configError(env: Record<string, string>): ConfigError {
  let thrown: unknown;
  try {
    loadConfig(env);
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(ConfigError);
  return thrown as ConfigError;
}

describe('loadConfig', () => {
  it('loads the documented defaults from an empty environment', () => {
    const config = loadConfig({});
    expect(config.env).toMatchObject({
      SCAIWAVE_HOST: '127.0.0.1',
      SCAIWAVE_PORT: 8000,
      SCAIWAVE_DEBUG: false,
      SCAIWAVE_AUTH_MODE: 'scaikey',
      SCAIWAVE_S3_BUCKET: 'scaiwave-media',
      SCAIWAVE_TEMPORAL_ADDRESS: '127.0.0.1:7233',
      SCAIWAVE_RATE_LIMIT_KEY_PER_MINUTE: 600,
      SCAIWAVE_CORS_ORIGINS: [],
    });
    expect(config.db).toMatchObject({ host: '127.0.0.1', port: 3306, user: 'root', database: 'scaiwave' });
  });

  it('takes good values, ignores other variables and treats empty ones as unset', () => {
    const config = loadConfig({
      SCAIWAVE_PORT: '9000',
      SCAIWAVE_DEBUG: 'yes',
      SCAIWAVE_AUTH_MODE: 'api_key',
      SCAIWAVE_DB_URL: 'mariadb://app:s3cret@db.internal:3307/wave',
      SCAIWAVE_S3_BUCKET: '',
      PORT: 'not ours',
    });
    expect(config.env).toMatchObject({ SCAIWAVE_PORT: 9000, SCAIWAVE_DEBUG: true, SCAIWAVE_AUTH_MODE: 'api_key', SCAIWAVE_S3_BUCKET: 'scaiwave-media' });
    expect(config.db).toMatchObject({ host: 'db.internal', port: 3307, user: 'app', password: 's3cret', database: 'wave' });
  });

  const bad: [name: string, value: string, what: RegExp][] = [
    ['SCAIWAVE_PORT', 'abc', /whole number/],
    ['SCAIWAVE_PORT', '70000', /at most 65535/],
    ['SCAIWAVE_DB_URL', 'postgres://x', /URL with scheme mysql/],
    ['SCAIWAVE_AUTH_MODE', 'magic', /scaikey.*api_key/],
    ['SCAIWAVE_DEBUG', 'maybe', /true or false/],
    ['SCAIWAVE_S3_BUCKET', 'Bad_Bucket', /valid S3 bucket name/],
  ];
  for (const [name, value, what] of bad) {
    it(`refuses ${name}=${value}, naming the variable and what is wrong`, () => {
      const err = configError({ [name]: value });
      expect(err.problems).toHaveLength(1);
      const [problem] = err.problems;
      expect(problem).toMatch(new RegExp(`^${name}\\b`));
      expect(problem).toContain(JSON.stringify(value));
      expect(problem).toMatch(what);
      expect(err.message).toContain(problem);
    });
  }

  it('reports every bad variable at once', () => {
    const env = Object.fromEntries(bad.filter(([name, value]) => !(name === 'SCAIWAVE_PORT' && value === '70000')).map(([name, value]) => [name, value]));
    const err = configError(env);
    expect(err.problems).toHaveLength(Object.keys(env).length);
    for (const [name, value, what] of bad) {
      if (env[name] !== value) continue;
      const problem = err.problems.find((p) => p.startsWith(`${name} `));
      expect(problem, `a problem naming ${name}`).toBeDefined();
      expect(problem).toMatch(what);
      expect(err.message).toContain(name);
    }
  });

  it('names a bad secret without echoing it', () => {
    const err = configError({ SCAIWAVE_SERVICE_TOKEN: 'hunter2-too-short' });
    expect(err.message).toMatch(/SCAIWAVE_SERVICE_TOKEN is set: must be at least 24 characters/);
    expect(err.message).not.toContain('hunter2');
  });

  it('refuses a database URL without a database name', () => {
    const err = configError({ SCAIWAVE_DB_URL: 'mysql://root@127.0.0.1:3306/' });
    expect(err.problems.join('\n')).toMatch(/^SCAIWAVE_DB_URL: must name a database/);
  });
});

/** Runs an entry point as a process would be run in production, with one variable overridden. */
function runEntry(entry: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', entry], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.stdout.resume();
    // A process that does not stop on its own is a failure (exit code null), not a hung suite.
    const killer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, stderr });
    });
  });
}

describe('entry points refuse a bad configuration', () => {
  for (const entry of ['api/main.ts', 'worker/main.ts']) {
    it(`${entry} exits 78 by itself when SCAIWAVE_PORT=abc, naming it on stderr`, async () => {
      const { code, stderr } = await runEntry(entry, { SCAIWAVE_PORT: 'abc' });
      expect(code).toBe(78);
      expect(stderr).toContain('SCAIWAVE_PORT');
      expect(stderr).toMatch(/whole number/);
    });
  }
});
