import type { JsonValue } from './json';

/**
 * A tool, declared once. The CDK constructs receive the declarations as props
 * (the workflow states, the Lambda functions, the IAM grants) and write the
 * model-facing part of each into the orchestrator's configuration, which the
 * Lambda side reads (the tool list sent to the model, input validation,
 * policy, approval). Plain data: no SDK or CDK imports, so both sides can load it.
 *
 * The kit's own tools are declared in lib/tools/catalog.ts; a fork adds one
 * there (or passes its own declarations to the constructs) and, for a Lambda
 * tool, writes its handler and names its entry file.
 */

/** `name` of a tool: what the model calls, and the suffix of its state name (`Run <name>`). */
export const TOOL_NAME_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * `keyAttribute` of a DynamoDB tool: an input field of the tool, used in a
 * JSONPath (`$.input.<keyAttribute>`) and in the item key. It starts with a
 * lowercase letter, so it never names a record kind of the tools' own items
 * (upper case, e.g. `RELEASE`; see reference-table.ts).
 */
export const KEY_ATTRIBUTE_PATTERN = /^[a-z][A-Za-z0-9_]{0,63}$/;

/** How the workflow runs the tool. */
export type ToolImplementation =
  /** A Lambda function built from `entry`: the absolute path of its handler file (e.g. `lambda/tools/<x>/index.ts`). */
  | { readonly kind: 'lambda'; readonly entry: string }
  /**
   * An AWS SDK service integration, no Lambda: DynamoDB GetItem on the
   * reference table. `keyAttribute` is the input field the key value comes
   * from; the item read is the calling tenant's (reference-table.ts).
   */
  | { readonly kind: 'dynamodb-get-item'; readonly keyAttribute: string };

/** What a tool's function may do with the reference table. */
export enum ReferenceAccess {
  /** GetItem: look records up. */
  READ = 'read',
  /** PutItem and GetItem: record the tool's own actions (a release) and read them back. */
  RECORD = 'record',
}

/** What a tool's function may do with the target's Bedrock knowledge base. */
export enum KnowledgeBaseAccess {
  /** `bedrock:Retrieve` on the one knowledge base the target names (`tools.knowledgeBaseId`). */
  RETRIEVE = 'retrieve',
}

/**
 * The data a Lambda tool's function reaches; it gets the variables and the
 * grant of exactly this, and no other data access (AC-6).
 */
export interface ToolDataAccess {
  /** @default no access to the reference table */
  readonly referenceTable?: ReferenceAccess;
  /** @default no access to a knowledge base */
  readonly knowledgeBase?: KnowledgeBaseAccess;
}

export interface ApprovalRule {
  /** IAM role names (not ARNs: partition-free) whose callers may approve. Never the requester. */
  readonly approverRoles: readonly string[];
  /** How long the workflow waits for a decision before it gives up. */
  readonly timeoutSeconds: number;
}

/**
 * What the orchestrator needs of a tool: what the model is told, how input is
 * checked, where and how long it runs, who approves it. The constructs write
 * these fields, and only these, into the orchestrator's configuration.
 */
export interface ModelToolDeclaration {
  /** `TOOL_NAME_PATTERN`: the name the model calls. */
  readonly name: string;
  /** What the model is told the tool does. */
  readonly description: string;
  /** JSON schema (draft 2020-12 subset) of the tool's input; checked before any run. */
  readonly inputSchema: { readonly [key: string]: JsonValue };
  /** Seconds one run may take; a run past it is a tool error the model sees. */
  readonly timeoutSeconds: number;
  /**
   * `fast`: in the turn, through the Express workflow (StartSyncExecution).
   * `slow`: after the turn answered 202, through the Standard workflow.
   * A tool that needs approval is always slow.
   */
  readonly mode: 'fast' | 'slow';
  readonly approval?: ApprovalRule;
}

export interface ToolDeclaration extends ModelToolDeclaration {
  readonly implementation: ToolImplementation;
  /** Only for `lambda` tools: a `dynamodb-get-item` tool reads the reference table by its kind. @default no data access */
  readonly dataAccess?: ToolDataAccess;
  /** The region capability the tool needs (checked by the capability gate at synth). */
  readonly requiresCapability?: string;
}

/** The model-facing fields of a declaration, nothing else (no code location, no data access). */
export function modelToolDeclaration(tool: ModelToolDeclaration): ModelToolDeclaration {
  const { name, description, inputSchema, timeoutSeconds, mode, approval } = tool;
  return { name, description, inputSchema, timeoutSeconds, mode, ...(approval ? { approval } : {}) };
}
