import type { ActivityDeps } from '../../lib/temporal/activity-deps.js';
import type { SearchServices } from '../../lib/search-index/search-services.js';
import { pseudonymiseUsage } from './steps/accounting.js';
import { eraseJobEvents, rewriteRoomEvents } from './steps/events.js';
import { listStoredBundles } from './steps/exports.js';
import { eraseIdentity } from './steps/identity.js';
import { eraseMedia } from './steps/media.js';
import { anonymiseMentions } from './steps/mentions.js';
import { eraseMessages } from './steps/messages.js';
import { removeReactions } from './steps/reactions.js';
import { pseudonymiseColumn } from './steps/references.js';
import { deleteJobs, liveJobsOf } from './steps/scaiecho-jobs.js';
import { recordSpeakerErasures, requestSpeakerErasures, speakerErasureCompleted, type SpeakerErasureRef } from './steps/speakers.js';

/** A user's erasure, one store at a time (the steps in steps/ say what each removes, and how a repeat is safe). */
export function userErasureActivities(deps: ActivityDeps & { search: SearchServices }) {
  return {
    eraseUserIdentity: (erasureId: string) => eraseIdentity(deps, erasureId),
    liveJobsOfErasedUser: (erasureId: string) => liveJobsOf(deps, erasureId),
    deleteErasedUserJobs: (erasureId: string, batch: number) => deleteJobs(deps, erasureId, batch),
    requestErasedUserSpeakerErasures: (erasureId: string) => requestSpeakerErasures(deps, erasureId),
    speakerErasureCompleted: (speakerErasureId: string) => speakerErasureCompleted(deps, speakerErasureId),
    recordErasedUserSpeakers: (erasureId: string, done: SpeakerErasureRef[]) => recordSpeakerErasures(deps, erasureId, done),
    eraseUserMessages: (erasureId: string, batch: number) => eraseMessages(deps, erasureId, batch),
    anonymiseUserMentions: (erasureId: string, batch: number) => anonymiseMentions(deps, erasureId, batch),
    removeUserReactions: (erasureId: string, batch: number) => removeReactions(deps, erasureId, batch),
    eraseUserMedia: (erasureId: string, batch: number) => eraseMedia(deps, erasureId, batch),
    rewriteUserRoomEvents: (erasureId: string, batch: number) => rewriteRoomEvents(deps, erasureId, batch),
    eraseUserJobEvents: (erasureId: string, batch: number) => eraseJobEvents(deps, erasureId, batch),
    pseudonymiseUserUsage: (erasureId: string) => pseudonymiseUsage(deps, erasureId),
    pseudonymiseUserColumn: (erasureId: string, batch: number, column: number) => pseudonymiseColumn(deps, erasureId, batch, column),
    listUserBundles: (erasureId: string) => listStoredBundles(deps, erasureId),
    async completeUserErasure(erasureId: string): Promise<void> {
      await deps.db.waveUserErasure.updateMany({ where: { id: erasureId, status: 'running' }, data: { status: 'completed', completedAt: new Date() } });
    },
  };
}

export type UserErasureActivities = ReturnType<typeof userErasureActivities>;
