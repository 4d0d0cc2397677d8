import { defineSignal } from '@temporalio/workflow';

/** Tells a workflow waiting on legal holds that one was released: it looks again at once rather than at its next periodic check. */
export const holdReleasedSignal = defineSignal('holdReleased');
