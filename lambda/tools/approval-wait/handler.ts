import type { Logger } from '@aws-lambda-powertools/logger';
import * as z from 'zod';
import { describeZodIssues } from '../../core/adapters/model/zod-issues';
import { StatehouseError, ValidationError } from '../../core/domain/errors';
import { assertSessionId, assertTenantId } from '../../core/domain/session-keys';
import type { TaskTokenStore } from '../../core/ports/tool-workflows';
import type { PendingApproval } from '../../../lib/contract/workflow-contract';
import { asTaskError } from '../../core/workflow/task-error';

export interface ApprovalWaitDeps {
  readonly tokens: TaskTokenStore;
  readonly logger: Logger;
}

const pendingApprovalSchema = z.strictObject({
  taskToken: z.string().min(1).max(8192),
  tenant: z.string(),
  session: z.string(),
  toolCallId: z.string().min(1),
});

/**
 * The Standard workflow's approval step (`lambda:invoke.waitForTaskToken`):
 * it stores the task token on the session header, where the approvals route
 * finds it, and returns. The workflow then waits until an approver's
 * decision answers the token, or the step's timeout ends the wait.
 *
 * The token is never logged: it is a credential that resumes the workflow.
 */
export function createApprovalWaitHandler(deps: ApprovalWaitDeps) {
  return async function handler(event: unknown): Promise<{ readonly stored: true }> {
    try {
      const parsed = pendingApprovalSchema.safeParse(event);
      if (!parsed.success) throw new ValidationError('event', `not a PendingApproval: ${describeZodIssues(parsed.error)}`);
      const pending: PendingApproval = parsed.data;
      assertTenantId(pending.tenant);
      assertSessionId(pending.session);
      await deps.tokens.storeTaskToken(pending.tenant, pending.session, pending.toolCallId, pending.taskToken);
      deps.logger.info('approval awaited', { tenant: pending.tenant, sessionId: pending.session, toolCallId: pending.toolCallId });
      return { stored: true };
    } catch (error) {
      if (error instanceof StatehouseError) deps.logger.warn('approval wait refused', { code: error.code, reason: error.message });
      else deps.logger.error('approval wait failed', { error: error instanceof Error ? error : String(error) });
      throw asTaskError(error);
    }
  };
}
