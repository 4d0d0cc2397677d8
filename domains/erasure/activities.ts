import { Context } from '@temporalio/activity';
import type { ActivityDeps } from '../../lib/temporal/activity-deps.js';
import type { SearchServices } from '../../lib/search-index/search-services.js';
import { pseudonymiseUsage } from './steps/accounting.js';
import { holdsOnErasedUser } from './steps/holds.js';
import { eraseJobEvents, rewriteRoomEvents } from './steps/events.js';
import { eraseStoredBundles } from './steps/exports.js';
import { markErasureRequestOverdue } from './requests.js';
import { eraseIdentity } from './steps/identity.js';
import { completeErasure } from './steps/payload-keys.js';
import { publishErasureCompleted } from './erasure-events.js';
import { eraseMedia } from './steps/media.js';
import { anonymiseMentions } from './steps/mentions.js';
import { eraseMessages } from './steps/messages.js';
import { removeReactions } from './steps/reactions.js';
import { pseudonymiseColumn } from './steps/references.js';
import { deleteJobs, liveJobsOf } from './steps/scaiecho-jobs.js';
import { recordSpeakerErasures, requestSpeakerErasures, speakerErasureCompleted, type SpeakerErasureRef } from './steps/speakers.js';

/** How often a step tells Temporal it is alive: a worker killed mid-batch is noticed within the heartbeat timeout, not the step's 5 minutes. */
const HEARTBEAT_MS = 5000;

function beating<A extends unknown[], R>(step: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args) => {
    const ctx = Context.current();
    const beat = setInterval(() => ctx.heartbeat(), HEARTBEAT_MS);
    try {
      return await step(...args);
    } finally {
      clearInterval(beat);
    }
  };
}

/** A user's erasure, one store at a time (the steps in steps/ say what each removes, and how a repeat is safe). */
export function userErasureActivities(deps: ActivityDeps & { search: SearchServices }) {
  return {
    legalHoldsOnErasedUser: beating((erasureId: string) => holdsOnErasedUser(deps, erasureId)),
    eraseUserIdentity: beating((erasureId: string) => eraseIdentity(deps, erasureId)),
    liveJobsOfErasedUser: beating((erasureId: string) => liveJobsOf(deps, erasureId)),
    deleteErasedUserJobs: beating((erasureId: string, batch: number) => deleteJobs(deps, erasureId, batch)),
    requestErasedUserSpeakerErasures: beating((erasureId: string) => requestSpeakerErasures(deps, erasureId)),
    speakerErasureCompleted: beating((speakerErasureId: string) => speakerErasureCompleted(deps, speakerErasureId)),
    recordErasedUserSpeakers: beating((erasureId: string, done: SpeakerErasureRef[]) => recordSpeakerErasures(deps, erasureId, done)),
    eraseUserMessages: beating((erasureId: string, batch: number) => eraseMessages(deps, erasureId, batch)),
    anonymiseUserMentions: beating((erasureId: string, batch: number) => anonymiseMentions(deps, erasureId, batch)),
    removeUserReactions: beating((erasureId: string, batch: number) => removeReactions(deps, erasureId, batch)),
    eraseUserMedia: beating((erasureId: string, batch: number) => eraseMedia(deps, erasureId, batch)),
    rewriteUserRoomEvents: beating((erasureId: string, batch: number) => rewriteRoomEvents(deps, erasureId, batch)),
    eraseUserJobEvents: beating((erasureId: string, batch: number) => eraseJobEvents(deps, erasureId, batch)),
    pseudonymiseUserUsage: beating((erasureId: string) => pseudonymiseUsage(deps, erasureId)),
    pseudonymiseUserColumn: beating((erasureId: string, batch: number, column: number) => pseudonymiseColumn(deps, erasureId, batch, column)),
    eraseUserBundles: beating((erasureId: string) => eraseStoredBundles(deps, erasureId)),
    // Announced after its transaction: a crash in between repeats the step, whose batch is already done, and publishes then.
    completeUserErasure: beating(async (erasureId: string) => {
      await completeErasure(deps, erasureId);
      const e = await deps.db.waveUserErasure.findUniqueOrThrow({ where: { id: erasureId } });
      await publishErasureCompleted(deps.nats.get(), deps.config, e);
    }),
  };
}

export type UserErasureActivities = ReturnType<typeof userErasureActivities>;

/** A user's own erasure request: only its deadline needs a step (requests.ts). */
export function erasureRequestActivities(deps: ActivityDeps) {
  return {
    markErasureRequestOverdue: (requestId: string): Promise<boolean> => markErasureRequestOverdue(deps.db, requestId),
  };
}

export type ErasureRequestActivities = ReturnType<typeof erasureRequestActivities>;
