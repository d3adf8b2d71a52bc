/**
 * The memory table's shape and item keys, shared by the CDK construct that
 * creates it (lib/constructs/memory-store) and the code that reads and writes
 * it (the orchestrator's recall and routes, the memory extractor), so the two
 * cannot drift. Plain data, no SDK or CDK imports.
 *
 * Memory is what an agent learned about one person across sessions: records
 * of three kinds, each from a range of a session's events, kept per tenant
 * and actor (the caller's IAM principal) in one partition:
 *
 * | item | `pk` | `sk` | holds |
 * |---|---|---|---|
 * | record | `T#{tenant}#A#{actor}` | `R#{namespace}#{id}` | kind, text, source (session, seq range, hash), createdAt, expiresAt, audience |
 * | progress | `T#{tenant}#A#{actor}` | `X#{session}` | `upToSeq`: the session's events already extracted from |
 * | profile | `T#{tenant}#A#{actor}` | `~PROFILE` | `records` held, `evicted` so far, last eviction |
 * | log | `T#{tenant}#A#{actor}` | `L#{time}#{id}` | a forget or an export: who, when, which records (AU-2) |
 *
 * The namespace is empty for records every agent of the actor may recall,
 * or the agent's name where the agent keeps its memory to itself. One Query
 * on the partition (`begins_with(sk, "R#")`) returns every record of the
 * actor: the per-actor cap bounds it well inside one 1 MB page. No item
 * grows with use; the partition key starts with `T#{tenant}#`, like the
 * session table's, so a `dynamodb:LeadingKeys` condition on the tenant
 * covers both tables.
 */
export const MEMORY_TABLE_SCHEMA = {
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  billingMode: 'PAY_PER_REQUEST',
  /** Epoch seconds: each record expires by its kind's retention; DynamoDB's TTL deletes it (recall skips it before). */
  timeToLiveAttribute: 'expiresAt',
} as const;

export const MEMORY_KINDS = ['fact', 'preference', 'episode'] as const;
/** `fact`: something true of the person's work; `preference`: how they want it done; `episode`: what a finished session or turn did. */
export type MemoryKind = (typeof MEMORY_KINDS)[number];

/** Deployment-wide memory settings, as the functions receive them (ENV.MEMORY_SETTINGS). */
export interface MemorySettings {
  /** Records one actor may hold (all namespaces); past it the oldest are evicted, and counted on the profile. */
  readonly maxRecordsPerActor: number;
  /** Days a record of each kind is kept after it was written. */
  readonly retentionDays: Readonly<Record<MemoryKind, number>>;
  /** The most one record's text may be, in UTF-8 bytes. */
  readonly maxRecordBytes: number;
  /** Days a forget or export log entry is kept (AU-11). */
  readonly logRetentionDays: number;
}

export const MEMORY_DEFAULTS: MemorySettings = {
  maxRecordsPerActor: 200,
  retentionDays: { fact: 365, preference: 730, episode: 90 },
  maxRecordBytes: 1024,
  logRetentionDays: 2555,
};

/** The bounds the configuration and the functions check, with why. */
export const MEMORY_BOUNDS = {
  maxRecordsPerActor: { min: 1, max: 500, why: 'recall reads every record of the actor in one Query, whose page holds 1 MB' },
  retentionDays: { min: 1, max: 3650, why: 'ten years; keep records longer in the agency\'s records system through the export' },
} as const;

/** An agent's use of memory (AgentDefinition.memory). */
export interface AgentMemory {
  /**
   * `actor`: the records every agent of the person with memory `actor` shares;
   * `agent`: records only this agent writes and recalls.
   */
  readonly scope: 'actor' | 'agent';
  /** Tokens of recalled records added to a turn's context, at most. */
  readonly recallTokens: number;
}

export const DEFAULT_RECALL_TOKENS = 800;

export const MEMORY_PROFILE_SK = '~PROFILE';
export const MEMORY_RECORD_PREFIX = 'R#';
export const MEMORY_PROGRESS_PREFIX = 'X#';
export const MEMORY_LOG_PREFIX = 'L#';

/** The partition of one person's memory. Tenant ids and IAM ARNs hold no `#`, so the key is unambiguous. */
export function memoryPartitionKey(tenant: string, actor: string): string {
  return `T#${tenant}#A#${actor}`;
}

/** The namespace of an agent's records: empty when it shares the actor's memory. */
export function memoryNamespace(agent: string, memory: AgentMemory): string {
  return memory.scope === 'agent' ? agent : '';
}

export function memoryRecordSk(namespace: string, id: string): string {
  return `${MEMORY_RECORD_PREFIX}${namespace}#${id}`;
}

export function memoryProgressSk(session: string): string {
  return `${MEMORY_PROGRESS_PREFIX}${session}`;
}

/** Record ids: `m-` and 24 hex digits (memory-records.ts derives them from their source, so a retry writes the same ids). */
export const MEMORY_RECORD_ID_PATTERN = /^m-[0-9a-f]{24}$/;
