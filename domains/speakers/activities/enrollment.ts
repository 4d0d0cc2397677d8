import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Context } from '@temporalio/activity';
import { keepBeating } from '../../../lib/temporal/keep-beating.js';
import type { Prisma, SpeakerProfile } from '../../../lib/generated/prisma/client.js';
import { withDiarizeNode, type DiarizeNodeClient } from '../../../lib/scaiinfer/diarize/client.js';
import type { Embedding } from '../../../lib/scaiinfer/diarize/proto.js';
import type { TranscriptionSegment } from '../../../lib/scaiinfer/stt/types.js';
import { ENGINE_DIARIZE, type OnlineNode } from '../../../lib/scaiinfer/node-registry.js';
import { ACTIVE, deleteSpeakerObjects, embeddingObjectKey, readySpeakers, type SpeakerStatus } from '../speakers.js';
import { WarmRegistry } from '../warm-registry.js';
import { failure } from '../../../lib/temporal/failures.js';
import type { ActivityDeps } from '../../../lib/temporal/activity-deps.js';
import { toFailure } from '../../../lib/temporal/activity-failures.js';

// Enrollment, re-warm and attribution against the diarization nodes. Each
// activity reads what it needs by id (recordings and embeddings from S3), so no
// biometric byte ever passes through Temporal.

const HEARTBEAT_MS = 5000;

export function speakerActivities(deps: ActivityDeps) {
  const { db, s3, registry } = deps;
  const env = deps.config.env;
  const bucket = env.SCAIWAVE_S3_BUCKET;
  const warm = new WarmRegistry(deps.redis);

  /** One call to one node, its failure mapped onto retryable or not. */
  const onNode = <T>(node: OnlineNode, work: (c: DiarizeNodeClient) => Promise<T>, deadlineMs = env.SCAIWAVE_SCAIECHO_DIARIZE_TIMEOUT_MS) =>
    withDiarizeNode(node.address, deadlineMs, work).catch((err: unknown) => {
      throw toFailure(err);
    });

  const isActive = (status: string | undefined): boolean => ACTIVE.includes(status as SpeakerStatus);

  /** The speaker, unless it is missing or being erased: then nothing more may be sent anywhere for it. */
  async function activeSpeaker(speakerId: string): Promise<SpeakerProfile> {
    const s = await db.speakerProfile.findUnique({ where: { id: speakerId } });
    if (!s) throw failure('SPEAKER_NOT_FOUND', `speaker ${speakerId} does not exist`);
    if (!isActive(s.enrollmentStatus)) throw failure('SPEAKER_ERASED', `speaker ${speakerId} is ${s.enrollmentStatus}`);
    return s;
  }

  async function onlineNode(nodeId: string): Promise<OnlineNode> {
    const node = await registry.find(nodeId);
    if (!node) throw failure('NODE_OFFLINE', `diarization node ${nodeId} is offline`);
    return node;
  }

  async function readEmbedding(speakerId: string): Promise<Embedding> {
    try {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: embeddingObjectKey(speakerId) }));
      return JSON.parse(await object.Body!.transformToString()) as Embedding;
    } catch (err) {
      if ((err as { name?: string }).name !== 'NoSuchKey') throw err;
      throw failure('EMBEDDING_MISSING', `speaker ${speakerId} has no embedding yet`);
    }
  }

  /** The online node holding most of these speakers, and which of them it holds. */
  async function nodeHoldingMost(speakerIds: string[]): Promise<{ node: OnlineNode; holds: string[] } | undefined> {
    const holders = await Promise.all(speakerIds.map(async (id) => ({ id, nodes: await warm.holders(id) })));
    const ranked = (await registry.online(ENGINE_DIARIZE))
      .map((node) => ({ node, holds: holders.filter((h) => h.nodes.includes(node.nodeId)).map((h) => h.id) }))
      .sort((a, b) => b.holds.length - a.holds.length);
    return ranked[0]?.holds.length ? ranked[0] : undefined;
  }

  return {
    async speakerProfileStored(speakerId: string): Promise<boolean> {
      return (await db.speakerProfile.count({ where: { id: speakerId } })) > 0;
    },

    /** Undoes an enrollment whose route failed part-way: rows (if its commit did land after all), then objects. */
    async discardSpeakerUpload(speakerId: string): Promise<void> {
      await db.$transaction([
        db.speakerConsent.deleteMany({ where: { speakerId, speaker: { enrollmentStatus: 'pending' } } }),
        db.speakerProfile.deleteMany({ where: { id: speakerId, enrollmentStatus: 'pending' } }),
      ]);
      await deleteSpeakerObjects(s3, bucket, speakerId, []);
    },

    /** Streams the reference recording from S3 to one node and keeps the embedding it computes next to the recording. */
    async computeSpeakerEmbedding(speakerId: string): Promise<void> {
      const s = await activeSpeaker(speakerId);
      const node = await registry.resolve(ENGINE_DIARIZE);
      if (!node) throw failure('NO_NODE_ONLINE', 'no diarization node is online');
      const { cancellationSignal: signal } = Context.current();
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: s.referenceObjectKey! }), { abortSignal: signal });
      const config = { requestId: speakerId, audioFormat: s.referenceFormat ?? 'wav' };
      const embedding = await onNode(node, (c) => c.computeEmbedding(config, object.Body as AsyncIterable<Uint8Array>, signal));
      const key = embeddingObjectKey(speakerId);
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(embedding), ContentType: 'application/json' }));
      // An erasure may have cleared the prefix while the node worked; it marked the speaker first, so this sees it.
      const now = await db.speakerProfile.findUnique({ where: { id: speakerId }, select: { enrollmentStatus: true } });
      if (!isActive(now?.enrollmentStatus)) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },

    async listDiarizationNodes(): Promise<string[]> {
      return (await registry.online(ENGINE_DIARIZE)).map((n) => n.nodeId).sort();
    },

    /** Sends the stored embedding to one node, and records the node as holding the speaker once it says so. */
    async acceptSpeakerOnNode(speakerId: string, nodeId: string): Promise<void> {
      await activeSpeaker(speakerId);
      const node = await onlineNode(nodeId);
      const embedding = await readEmbedding(speakerId);
      await warm.sending(speakerId, nodeId);
      // Checked again once the send is on record: an erasure that began in between now counts this node among its targets.
      await activeSpeaker(speakerId);
      await onNode(node, (c) => c.acceptSpeaker({ speakerId, embedding }));
      await warm.held(speakerId, nodeId);
    },

    /** Ready when any node holds the speaker, else pending with the reason; an erasure under way keeps its own state. */
    async settleSpeakerStatus(speakerId: string, reasonIfNone: string): Promise<{ status: string }> {
      const held = (await warm.holders(speakerId)).length > 0;
      await db.speakerProfile.updateMany({
        where: { id: speakerId, enrollmentStatus: { in: [...ACTIVE] } },
        data: held
          ? { enrollmentStatus: 'ready', statusReason: null, readyAt: new Date() }
          : { enrollmentStatus: 'pending', statusReason: reasonIfNone.slice(0, 1024) },
      });
      const s = await db.speakerProfile.findUnique({ where: { id: speakerId }, select: { enrollmentStatus: true } });
      return { status: s?.enrollmentStatus ?? 'missing' };
    },

    /**
     * Labels the job's segments with the enrolled speakers they match, through
     * the node that holds most of the candidates. The labels are written into
     * the transcript and stay there: erasing a speaker later does not edit it.
     */
    async attributeTranscriptSpeakers(jobId: string): Promise<void> {
      const j = await db.transcriptionJob.findUnique({ where: { id: jobId } });
      if (!j) throw failure('JOB_NOT_FOUND', `transcription job ${jobId} does not exist`);
      if (j.status !== 'running' || !j.audioObjectKey) return;
      const segments = (j.segments ?? []) as unknown as TranscriptionSegment[];
      const speakers = await readySpeakers(db, j.tenantId, j.speakerIds as string[] | null);
      if (segments.length === 0 || speakers.length === 0) return;
      const chosen = await nodeHoldingMost(speakers.map((s) => s.id));
      if (!chosen) throw failure('NO_NODE_ONLINE', 'no online diarization node holds any of the speakers');

      const ctx = Context.current();
      const audioKey = j.audioObjectKey;
      await keepBeating(HEARTBEAT_MS, async () => {
        const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: audioKey }), { abortSignal: ctx.cancellationSignal });
        const config = {
          audio: { requestId: jobId, audioFormat: j.audioFormat ?? 'wav' },
          segments: segments.map((s) => ({ startMs: s.start_ms, endMs: s.end_ms })),
          speakerIds: chosen.holds,
        };
        const attributions = await onNode(
          chosen.node,
          (c) => c.attributeSegments(config, object.Body as AsyncIterable<Uint8Array>, ctx.cancellationSignal),
          env.SCAIWAVE_SCAIECHO_DISPATCH_TIMEOUT_MS,
        );
        const names = new Map(speakers.map((s) => [s.id, s.displayName]));
        const labelled = segments.map((s, i) => {
          const id = attributions[i]?.speakerId || null;
          return { ...s, speaker_id: id, speaker_label: id ? (names.get(id) ?? null) : null };
        });
        await db.transcriptionJob.updateMany({
          where: { id: jobId, status: 'running' },
          data: { segments: labelled as unknown as Prisma.InputJsonArray },
        });
      });
    },
  };
}

/** What a workflow proxies: the steps this file defines. */
export type SpeakerActivities = ReturnType<typeof speakerActivities>;
