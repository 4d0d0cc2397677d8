import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../api/server.js';
import { configVariables } from '../lib/config.js';
import { pingClamd } from '../lib/infra/clamd.js';
import { createMetricsRegistry, dependencyUpGauge } from '../lib/infra/metrics.js';
import { freePort } from '../devstack/ports.js';
import { call, testConfig, uniq } from './support/stack.js';
import { startWorkerProcess, type WorkerProcess } from './support/processes.js';

// What deploy/ ships is checked against the running code: promtool lints the live
// /metrics and the alert rules, every series an alert or a dashboard panel names
// must be one the API or the worker really exports, and the Kubernetes manifests
// pass the API schemas and name only real settings and probe routes.
const root = path.resolve(import.meta.dirname, '..');
const deploy = path.join(root, 'deploy');
const run = promisify(execFile);

/** A tool scripts/ensure-tools.sh installs; its absence fails the suite with what to do. */
function tool(file: string, installs: string): string {
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run scripts/ensure-tools.sh (it installs ${installs})`);
  return file;
}
const promtool = () => tool('/usr/bin/promtool', "Debian's prometheus package");
const deployVenv = (name: string) => tool(path.join(root, '.devstack', 'deploy-venv', 'bin', name), 'kubernetes-validate from devstack/requirements-deploy.txt');

/** `promtool check metrics` reads the exposition on stdin and prints one finding a line. */
function lintMetrics(text: string): Promise<{ code: number | null; findings: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(promtool(), ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, findings: out.split('\n').filter((l) => l.trim() !== '') }));
    child.stdin.end(text);
  });
}

/**
 * Findings on names we do not choose: prom-client's default gauges
 * nodejs_active_*_total, and the Temporal SDK core's counters, which it exports
 * without `_total` (Temporal's own dashboards query those names).
 */
const accepted = [
  /^nodejs_active_(handles|requests|resources)_total non-counter metrics should not have "_total" suffix$/,
  /^temporal_[a-z_]+ counter metrics should have "_total" suffix$/,
];

/** Every sample name in an exposition (histograms' _bucket/_sum/_count included). */
const seriesNames = (text: string): Set<string> =>
  new Set(
    text
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((l) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(l)![0]),
  );

/** Metric names in a PromQL expression: all of ours and the SDK's share these prefixes. */
const namesIn = (expr: string): string[] => [...expr.matchAll(/\b(?:scaiwave|temporal|nodejs|process)_[a-z0-9_]+\b/g)].map((m) => m[0]);

interface Rules {
  groups: { name: string; rules: { alert: string; expr: string }[] }[];
}
interface Dashboard {
  panels: { type: string; title: string; targets?: { expr: string }[] }[];
}
interface K8sObject {
  kind: string;
  metadata: { name: string };
  spec?: { template?: { spec: { containers: Container[] } } };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}
interface Container {
  name: string;
  env?: { name: string }[];
  readinessProbe?: { httpGet?: { path: string; port: string } };
  livenessProbe?: { httpGet?: { path: string; port: string } };
  ports?: { name: string; containerPort: number }[];
}

/** YAML to JSON through the venv's PyYAML, the parser kubernetes-validate itself uses. */
async function readYaml<T>(file: string): Promise<T[]> {
  const { stdout } = await run(deployVenv('python'), [
    '-c',
    'import json, sys, yaml; print(json.dumps([d for d in yaml.safe_load_all(open(sys.argv[1])) if d is not None]))',
    file,
  ]);
  return JSON.parse(stdout) as T[];
}

const manifests = () =>
  fs
    .readdirSync(path.join(deploy, 'k8s'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => path.join(deploy, 'k8s', f));
const ruleFiles = () =>
  fs
    .readdirSync(path.join(deploy, 'prometheus'))
    .filter((f) => f.endsWith('.yml'))
    .map((f) => path.join(deploy, 'prometheus', f));

describe('deploy/: alerts, dashboard and Kubernetes manifests against the running code', () => {
  const taskQueue = uniq('deploy-checks');
  const env = { SCAIWAVE_TEMPORAL_TASK_QUEUE: taskQueue };
  let api: RunningApi;
  let worker: WorkerProcess;
  const scrapes: Record<'api' | 'worker' | 'sdk', string> = { api: '', worker: '', sdk: '' };

  beforeAll(async () => {
    worker = await startWorkerProcess(env);
    api = await startApi(testConfig(env), { port: 0 });
    // A workflow with an activity, so the SDK's task, latency and sticky cache series exist.
    const check = await call(api.url, 'POST', '/v1/admin/system-check', { token: testConfig().env.SCAIWAVE_SERVICE_TOKEN });
    expect(check.status).toBe(200);
    scrapes.api = await (await fetch(`${api.url}/metrics`)).text();
    scrapes.worker = await (await fetch(`http://127.0.0.1:${worker.port}/metrics`)).text();
    scrapes.sdk = await (await fetch(`http://127.0.0.1:${worker.sdkMetricsPort}/metrics`)).text();
  }, 180_000);
  afterAll(async () => {
    await api?.close();
    await worker?.proc.stop(2000);
  });

  it.each(['api', 'worker', 'sdk'] as const)('promtool check metrics finds nothing but accepted findings in the %s scrape', async (which) => {
    expect(scrapes[which]).toMatch(/^# TYPE /m);
    const { code, findings } = await lintMetrics(scrapes[which]);
    expect(findings.filter((f) => !accepted.some((a) => a.test(f)))).toEqual([]);
    // promtool exits 3 for lint findings alone; anything else means it could not parse the scrape.
    expect([0, 3]).toContain(code);
  });

  it('the API and the worker report their dependencies, and the API the ScaiInfer nodes, on each scrape', () => {
    for (const dependency of ['mariadb', 'redis', 'nats', 'temporal']) {
      expect(scrapes.api).toMatch(new RegExp(`^scaiwave_dependency_up\\{dependency="${dependency}",service="scaiwave-api"\\} 1$`, 'm'));
    }
    expect(scrapes.api).toMatch(/^scaiwave_nodes_online\{engine_kind="stt",service="scaiwave-api"\} \d+$/m);
    expect(scrapes.api).toMatch(/^scaiwave_nodes_online\{engine_kind="audio.analyze.pyannote",service="scaiwave-api"\} \d+$/m);
    expect(scrapes.worker).toMatch(/^scaiwave_dependency_up\{dependency="s3",service="scaiwave-worker"\} 1$/m);
    // The run configures clamd (SCAIWAVE_CLAMAV_URL) but starts it only for the suites that scan.
    expect(scrapes.worker).toMatch(/^scaiwave_dependency_up\{dependency="clamd",service="scaiwave-worker"\} [01]$/m);
  });

  it('reports a dependency that does not answer as 0, which is what the alerts wait for', async () => {
    const registry = createMetricsRegistry('deploy-checks', false);
    const nobody = await freePort();
    dependencyUpGauge(registry, { clamd: () => pingClamd(`tcp://127.0.0.1:${nobody}`), redis: () => api.deps.redis.ping() });
    const text = await registry.metrics();
    expect(text).toMatch(/^scaiwave_dependency_up\{dependency="clamd",service="deploy-checks"\} 0$/m);
    expect(text).toMatch(/^scaiwave_dependency_up\{dependency="redis",service="deploy-checks"\} 1$/m);
  });

  it('promtool check rules accepts deploy/prometheus/', async () => {
    const files = ruleFiles();
    expect(files.length).toBeGreaterThan(0);
    const { stdout } = await run(promtool(), ['check', 'rules', ...files]);
    expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('every series an alert or a dashboard panel queries is one the API or the worker exports', async () => {
    const live = new Set([...seriesNames(scrapes.api), ...seriesNames(scrapes.worker), ...seriesNames(scrapes.sdk)]);
    const exprs: { where: string; expr: string }[] = [];
    for (const file of ruleFiles()) {
      for (const group of (await readYaml<Rules>(file))[0]!.groups) {
        for (const rule of group.rules) exprs.push({ where: `alert ${rule.alert}`, expr: rule.expr });
      }
    }
    const dashboards = fs.readdirSync(path.join(deploy, 'grafana')).filter((f) => f.endsWith('.json'));
    expect(dashboards.length).toBeGreaterThan(0);
    for (const file of dashboards) {
      const dashboard = JSON.parse(fs.readFileSync(path.join(deploy, 'grafana', file), 'utf8')) as Dashboard;
      const panels = dashboard.panels.filter((p) => p.type !== 'row');
      expect(panels.length).toBeGreaterThan(0);
      for (const panel of panels) {
        expect(panel.targets?.length, `panel ${panel.title} has no query`).toBeGreaterThan(0);
        for (const target of panel.targets ?? []) exprs.push({ where: `panel ${panel.title}`, expr: target.expr });
      }
    }
    const unknown = exprs.flatMap(({ where, expr }) => {
      const names = namesIn(expr);
      if (names.length === 0) return [`${where}: names no metric`];
      return names.filter((n) => !live.has(n)).map((n) => `${where}: ${n}`);
    });
    expect(unknown).toEqual([]);
  });

  it('the Kubernetes manifests pass the API schemas (kubernetes-validate --strict)', async () => {
    const result = await run(deployVenv('kubernetes-validate'), ['--strict', '--quiet', ...manifests()]).catch((err: { stdout: string; stderr: string }) => ({
      stdout: err.stdout,
      stderr: err.stderr,
      failed: true,
    }));
    expect(result).not.toHaveProperty('failed');
  });

  it('the manifests cover api, worker and migrate, set only real SCAIWAVE_* settings and probe real routes', async () => {
    const objects = (await Promise.all(manifests().map((f) => readYaml<K8sObject>(f)))).flat();
    const kinds = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    for (const expected of [
      'Deployment/scaiwave-api',
      'Deployment/scaiwave-worker',
      'Job/scaiwave-migrate',
      'HorizontalPodAutoscaler/scaiwave-api',
      'HorizontalPodAutoscaler/scaiwave-worker',
      'PodDisruptionBudget/scaiwave-api',
      'PodDisruptionBudget/scaiwave-worker',
      'ConfigMap/scaiwave-config',
      'Secret/scaiwave-secrets',
    ]) {
      expect(kinds).toContain(expected);
    }

    const known = new Set<string>(configVariables);
    const settings = objects.flatMap((o) => Object.keys({ ...o.data, ...o.stringData }));
    expect(settings.filter((name) => !known.has(name))).toEqual([]);
    // The ConfigMap's values pass the validation every process runs at start (the
    // Secret holds placeholders; the run's own secrets stand in for them).
    const config = objects.find((o) => o.kind === 'ConfigMap')!.data!;
    expect(() => testConfig(config)).not.toThrow();

    const containers = (name: string) => objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name)!.spec!.template!.spec.containers;
    const probePaths = (name: string) =>
      containers(name).flatMap((c) => [c.readinessProbe?.httpGet?.path, c.livenessProbe?.httpGet?.path]).filter((p): p is string => p !== undefined);
    expect(probePaths('scaiwave-api')).toEqual(['/health', '/openapi.json']);
    for (const route of probePaths('scaiwave-api')) expect((await fetch(`${api.url}${route}`)).status, route).toBe(200);
    expect(probePaths('scaiwave-worker')).toEqual(['/health', '/health']);
    expect((await fetch(`http://127.0.0.1:${worker.port}/health`)).status).toBe(200);
    expect(config.SCAIWAVE_PORT).toBe(String(containers('scaiwave-api')[0]!.ports![0]!.containerPort));
    expect(config.SCAIWAVE_WORKER_PORT).toBe(String(containers('scaiwave-worker')[0]!.ports![0]!.containerPort));
  });
});
