import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Config } from '../lib/config.js';
import { startProcess, tail, type ManagedProcess } from './process.js';
import { portOpen, waitUntil } from './ports.js';

const run = promisify(execFile);

interface ServiceSpec {
  name: string;
  host: string;
  port: number;
  binary: string;
  args: (dataDir: string) => string[];
  debianPackage: string;
}

const local = (host: string): boolean => ['127.0.0.1', 'localhost', '::1'].includes(host);

function specs(config: Config): ServiceSpec[] {
  const redis = new URL(config.env.SCAIWAVE_REDIS_URL);
  const nats = new URL(config.env.SCAIWAVE_NATS_URL);
  return [
    {
      name: 'mariadb',
      host: config.db.host,
      port: config.db.port,
      binary: '/usr/sbin/mariadbd',
      args: () => ['--user=root', `--port=${config.db.port}`, '--bind-address=127.0.0.1'],
      debianPackage: 'mariadb-server',
    },
    {
      name: 'redis',
      host: redis.hostname,
      port: Number(redis.port || 6379),
      binary: '/usr/bin/redis-server',
      args: (dir) => ['--bind', '127.0.0.1', '--port', redis.port || '6379', '--dir', dir, '--appendonly', 'yes'],
      debianPackage: 'redis-server',
    },
    {
      name: 'nats',
      host: nats.hostname,
      port: Number(nats.port || 4222),
      binary: '/usr/sbin/nats-server',
      args: (dir) => ['-a', '127.0.0.1', '-p', nats.port || '4222', '-js', '-sd', dir],
      debianPackage: 'nats-server',
    },
  ];
}

/**
 * MariaDB, Redis and NATS are the machine's own services. When one is local,
 * installed and not answering, start it as our child (so Ctrl-C stops exactly
 * what we started); when it is missing, say which package provides it.
 */
export async function ensureSystemServices(config: Config, dataDir: string, logDir: string): Promise<ManagedProcess[]> {
  const started: ManagedProcess[] = [];
  for (const s of specs(config)) {
    if (await portOpen(s.host, s.port)) continue;
    if (!local(s.host)) throw new Error(`${s.name} at ${s.host}:${s.port} does not answer`);
    if (!fs.existsSync(s.binary)) {
      throw new Error(`${s.name} is not installed and nothing answers on ${s.host}:${s.port}: install Debian's ${s.debianPackage}`);
    }
    const dir = path.join(dataDir, s.name);
    fs.mkdirSync(dir, { recursive: true });
    const proc = startProcess(s.name, s.binary, s.args(dir), { logDir });
    await Promise.race([
      waitUntil(`${s.name} on port ${s.port}`, () => portOpen(s.host, s.port), 60_000),
      proc.exited.then((code) => {
        throw new Error(`${s.name} exited with ${code}:\n${tail(proc.logFile)}`);
      }),
    ]);
    started.push(proc);
  }
  await ensureMariaDbTcpRoot(config);
  return started;
}

/**
 * A fresh MariaDB lets root in only through the unix socket; the dev stack and
 * tests connect over TCP with the configured user and empty password, so grant it.
 */
async function ensureMariaDbTcpRoot(config: Config): Promise<void> {
  const { host, port, user, password } = config.db;
  if (!local(host) || user !== 'root' || password !== '') return;
  try {
    await run('mariadb', ['-h', '127.0.0.1', '-P', String(port), '-uroot', '-e', 'SELECT 1']);
  } catch {
    await run('mariadb', [
      '-uroot',
      '-e',
      "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY ''; GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION; " +
        "ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD(''); FLUSH PRIVILEGES;",
    ]);
  }
}
