import type { JsonValue } from './json';

/**
 * A tool, declared once. The orchestrator reads it (the tool list sent to the
 * model, input validation, policy, approval) and the CDK wiring reads it (the
 * workflow states, the Lambda functions, the IAM grants). Plain data: no SDK
 * or CDK imports, so both sides can load it.
 *
 * A fork adds a tool by adding one declaration to `catalog.ts` and, for a
 * Lambda tool, its handler under `lambda/tools/<name>/index.ts`.
 */

/** How the workflow runs the tool. */
export type ToolImplementation =
  /** A Lambda function whose handler is `lambda/tools/<handler>/index.ts`. */
  | { readonly kind: 'lambda'; readonly handler: string }
  /** An AWS SDK service integration: DynamoDB GetItem on the platform's reference table. */
  | { readonly kind: 'dynamodb-get-item'; readonly keyAttribute: string }
  /** Bedrock knowledge-base Retrieve, through the `kb-retrieve` Lambda. */
  | { readonly kind: 'knowledge-base' };

export interface ApprovalRule {
  /** IAM role names (not ARNs: partition-free) whose callers may approve. Never the requester. */
  readonly approverRoles: readonly string[];
  /** How long the workflow waits for a decision before it gives up. */
  readonly timeoutSeconds: number;
}

export interface ToolDeclaration {
  /** `^[a-z][a-z0-9_]{0,63}$`: the name the model calls. */
  readonly name: string;
  /** What the model is told the tool does. */
  readonly description: string;
  /** JSON schema (draft 2020-12 subset) of the tool's input; checked before any run. */
  readonly inputSchema: { readonly [key: string]: JsonValue };
  readonly implementation: ToolImplementation;
  /** Seconds one run may take; a run past it is a tool error the model sees. */
  readonly timeoutSeconds: number;
  /**
   * `fast`: in the turn, through the Express workflow (StartSyncExecution).
   * `slow`: after the turn answered 202, through the Standard workflow.
   * A tool that needs approval is always slow.
   */
  readonly mode: 'fast' | 'slow';
  readonly approval?: ApprovalRule;
  /** The region capability the tool needs (checked by the capability gate at synth). */
  readonly requiresCapability?: string;
}
