import type { AgentLoopInput } from '../../../lib/contract/agent-loop';

/**
 * The agent loop as a port: the Standard workflow that runs background
 * turns (lib/contract/agent-loop.ts). The adapter speaks Step Functions.
 */
export interface AgentLoop {
  /**
   * Starts the loop's execution of a turn under `executionName`.
   * Idempotent: the same name with the same input again succeeds without a
   * second execution. Throws ToolWorkflowError when it cannot be started.
   */
  start(executionName: string, input: AgentLoopInput): Promise<void>;
  /** Stops the turn's execution (one already ended, or never started, is left alone). */
  stop(executionName: string, cause: string): Promise<void>;
}
