import type { ApprovalDecision, SlowToolRunInput, ToolRunInput, ToolRunOutput } from '../../../lib/contract/workflow-contract';

/**
 * The tool workflows as ports: the Express workflow that runs a fast tool
 * while the turn waits, the Standard workflow that runs a slow or
 * approval-gated tool after the turn answered, and the task token an
 * approver's decision answers. Adapters speak Step Functions; the domain
 * sees only these.
 */

export interface ToolRunner {
  /**
   * Runs a fast tool and returns its output. A tool's failure or timeout is
   * an output (`ok: false`), never a throw; only the workflow service itself
   * failing throws (ToolWorkflowError).
   */
  run(input: ToolRunInput): Promise<ToolRunOutput>;
}

export interface SlowToolStarter {
  /**
   * Starts the slow workflow under `executionName`. Idempotent: starting the
   * same name with the same input again succeeds without a second run.
   * Throws ToolWorkflowError when the workflow cannot be started.
   */
  start(executionName: string, input: SlowToolRunInput): Promise<void>;
}

export interface DecisionSender {
  /**
   * Answers the workflow's task token with the decision.
   * Throws ApprovalClosedError when the workflow no longer waits for it.
   */
  sendDecision(taskToken: string, decision: ApprovalDecision): Promise<void>;
}

export interface TaskTokenStore {
  /**
   * Stores the token on the session header, only while the session awaits
   * approval of that very call; never changes the session's version.
   * Throws NoPendingApprovalError otherwise.
   */
  storeTaskToken(tenant: string, session: string, toolCallId: string, taskToken: string): Promise<void>;
}
