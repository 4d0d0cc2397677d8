import {
  ContinueAsNew,
  isCancellation,
  log,
  workflowInfo,
  type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptorsFactory,
  type Next,
} from '@temporalio/workflow';

/**
 * One log line when a workflow run starts and one when it ends, with its id,
 * type and outcome, so the worker's log tells the same story as the API's
 * access log. Never arguments, results or failure messages: those may carry
 * what a user sent. The SDK drops these calls while replaying, so a run is
 * logged once however often it is replayed.
 */
class LifecycleLog implements WorkflowInboundCallsInterceptor {
  async execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    log.info('workflow started', { attempt: workflowInfo().attempt });
    const ended = (outcome: string, extra: Record<string, unknown> = {}) =>
      ({ outcome, durationMs: Date.now() - workflowInfo().runStartTime.getTime(), ...extra });
    try {
      const result = await next(input);
      log.info('workflow ended', ended('completed'));
      return result;
    } catch (err) {
      if (err instanceof ContinueAsNew) log.info('workflow ended', ended('continued_as_new'));
      else if (isCancellation(err)) log.info('workflow ended', ended('cancelled'));
      else log.warn('workflow ended', ended('failed', { failureType: failureTypeOf(err) }));
      throw err;
    }
  }
}

const failureTypeOf = (err: unknown): string =>
  (err as { type?: string }).type ?? (err instanceof Error ? err.name : typeof err);

export const interceptors: WorkflowInterceptorsFactory = () => ({ inbound: [new LifecycleLog()] });
