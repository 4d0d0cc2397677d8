import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { projectFile } from '../lib/infra/project-files.js';

// A reference engine whose model lives in Python (Whisper, Resemblyzer): one
// process holds the model, loaded once, and answers one JSON line per request
// line, in turn. Its first line says it is ready. A model cannot be
// interrupted mid-inference, so a cancelled request SIGKILLs the process and
// the next request starts a fresh one (the scripts are in devstack/python/,
// their protocol in json_lines.py): cancellation stops the engine, as a
// killed sox or pocketsphinx does. EOF on its stdin (this process gone,
// however it died) ends it.

export type Answer = Record<string, unknown> & { error?: string };

const PYTHON = process.env.SCAIINFER_SPEECH_PYTHON || projectFile('.devstack', 'speech-venv', 'bin', 'python');

export interface WorkerCounters {
  /** Requests being answered now. */
  running: number;
  /** Processes SIGKILLed because the request they answered was cancelled. */
  killedOnCancel: number;
}

class WorkerProcess {
  private readonly child: ChildProcess;
  private readonly waiting: ((a: Answer) => void)[] = [];
  private stderr = '';
  readonly ready: Promise<void>;
  exited = false;

  constructor(script: string, args: string[], env: Record<string, string>) {
    this.child = spawn(PYTHON, [script, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    this.child.stderr!.setEncoding('utf8').on('data', (s: string) => (this.stderr = (this.stderr + s).slice(-4096)));
    readline.createInterface({ input: this.child.stdout! }).on('line', (line) => this.waiting.shift()?.(JSON.parse(line) as Answer));
    this.ready = this.next().then((a) => {
      if (a.ready !== true) throw new Error(`${script} did not start: ${a.error ?? this.stderr.trim()}`);
    });
    this.ready.catch(() => undefined);
    this.child.once('error', (err) => this.gone(err.message));
    this.child.once('exit', (code, sig) => this.gone(`${script} exited (${sig ?? code}): ${this.stderr.trim().split('\n').at(-1) ?? ''}`));
  }

  async ask(request: object): Promise<Answer> {
    await this.ready;
    const answer = this.next();
    this.child.stdin!.write(`${JSON.stringify(request)}\n`);
    return answer;
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }

  /** EOF on its stdin: it finishes what it was asked and exits. */
  end(): void {
    this.child.stdin!.end();
  }

  private next(): Promise<Answer> {
    if (this.exited) return Promise.resolve({ error: 'the engine process is gone' });
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private gone(why: string): void {
    this.exited = true;
    for (const answer of this.waiting.splice(0)) answer({ error: why });
  }
}

export class PythonWorker {
  readonly counters: WorkerCounters = { running: 0, killedOnCancel: 0 };
  private current: WorkerProcess;
  private turn: Promise<unknown> = Promise.resolve();

  /** Starts the process at once, so its model is loaded before the first request. */
  constructor(
    private readonly script: string,
    private readonly args: string[] = [],
    private readonly env: Record<string, string> = {},
  ) {
    this.current = new WorkerProcess(script, args, env);
  }

  /** Resolves once the model is loaded: a node says it serves only then. */
  get ready(): Promise<void> {
    return this.current.ready;
  }

  close(): void {
    this.current.end();
  }

  /** Answers in turn; an answer with `error` is the engine's failure to answer, not the input's. */
  ask(request: object, signal?: AbortSignal): Promise<Answer> {
    const answered = this.turn.then(() => this.answer(request, signal));
    this.turn = answered.catch(() => undefined);
    return answered;
  }

  private async answer(request: object, signal?: AbortSignal): Promise<Answer> {
    if (signal?.aborted) throw signal.reason;
    if (this.current.exited) this.current = new WorkerProcess(this.script, this.args, this.env);
    const worker = this.current;
    const onAbort = (): void => {
      this.counters.killedOnCancel++;
      worker.kill();
    };
    this.counters.running++;
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const answer = await worker.ask(request);
      if (signal?.aborted) throw signal.reason;
      return answer;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.counters.running--;
    }
  }
}
