import { describe, expect, it } from 'vitest';
import { FinishedJobs } from '../domains/scaiecho/finished-jobs.js';
import type { ViewedJob } from '../domains/scaiecho/jobs.js';

// The poll's memory of finished jobs (domains/scaiecho/finished-jobs.ts), on a clock of its own.

const owner = { tenantId: '0190a000-0000-7000-8000-000000000001', userId: '0190a000-0000-7000-8000-000000000002' };
const job = (id: string, status: string): ViewedJob => ({
  id,
  status,
  statusReason: null,
  isAsync: true,
  transcript: 'hello',
  segments: [],
  backendPreference: 'any',
  backendUsed: 'A',
  language: null,
  languageDetected: null,
  audioSha256: 'a'.repeat(64),
  audioBytes: 1n,
  audioDurationMs: 1000,
  createdAt: new Date(0),
  startedAt: null,
  completedAt: null,
});

describe('FinishedJobs', () => {
  it('answers only the owner, byte for byte, and only until its time is up', () => {
    let now = 1_000;
    const jobs = new FinishedJobs(1000, 10, () => now);
    const done = job('0190a000-0000-7000-8000-0000000000aa', 'completed');
    jobs.remember(owner, done);
    expect(jobs.get(owner, done.id)).toBe(done);
    expect(jobs.get({ ...owner, userId: '0190a000-0000-7000-8000-000000000003' }, done.id)).toBeUndefined();
    expect(jobs.get({ ...owner, tenantId: '0190a000-0000-7000-8000-000000000004' }, done.id)).toBeUndefined();
    expect(jobs.get({ ...owner, userId: owner.userId.toUpperCase() }, done.id)).toBeUndefined();
    expect(jobs.get(owner, done.id.toUpperCase())).toBeUndefined();
    expect(jobs.get(owner, `${done.id} `)).toBeUndefined();
    now += 999;
    expect(jobs.get(owner, done.id)).toBe(done);
    now += 1;
    expect(jobs.get(owner, done.id)).toBeUndefined();
    expect(jobs.size).toBe(0);
  });

  it('keeps finished jobs only: queued and running ones are read every time', () => {
    const jobs = new FinishedJobs(60_000, 10);
    for (const status of ['queued', 'running']) {
      jobs.remember(owner, job(`j-${status}`, status));
      expect(jobs.get(owner, `j-${status}`)).toBeUndefined();
    }
    for (const status of ['completed', 'failed', 'cancelled']) {
      jobs.remember(owner, job(`j-${status}`, status));
      expect(jobs.get(owner, `j-${status}`)?.status).toBe(status);
    }
  });

  it('holds at most its bound, dropping the oldest first', () => {
    const jobs = new FinishedJobs(60_000, 3);
    for (let i = 0; i < 5; i++) jobs.remember(owner, job(`j${i}`, 'completed'));
    expect(jobs.size).toBe(3);
    expect(jobs.get(owner, 'j0')).toBeUndefined();
    expect(jobs.get(owner, 'j1')).toBeUndefined();
    expect(jobs.get(owner, 'j4')?.id).toBe('j4');
  });
});
