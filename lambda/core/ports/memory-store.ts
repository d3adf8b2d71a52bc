import type { MemoryRecord } from '../domain/memory-records';

/**
 * The memory store as a port (lib/contract/memory-table.ts has its items).
 * The adapter speaks DynamoDB; the domain sees only this.
 */

export interface MemoryProfile {
  /** Records the person holds now, every namespace. */
  readonly records: number;
  /** Records the cap has evicted, ever. */
  readonly evicted: number;
  readonly lastEvictedAt?: string;
}

/** One extraction's records and the progress they move the session to: written all or nothing. */
export interface ExtractionWrite {
  readonly tenant: string;
  readonly actor: string;
  readonly session: string;
  /** The progress the extraction read (0: none yet); the write is refused if another run moved it first. */
  readonly afterSeq: number;
  readonly upToSeq: number;
  readonly records: readonly MemoryRecord[];
  /** Epoch seconds: the progress item expires with the session. */
  readonly progressExpiresAt: number;
}

/** What is recorded of a forget, an eviction or an export (AU-2, AU-12). */
export interface MemoryLogEntry {
  readonly action: 'read' | 'export' | 'forget' | 'forget_all' | 'evict';
  /** The principal that asked (the person, or an export role's caller); `system` for the cap. */
  readonly by: string;
  readonly at: string;
  readonly recordIds: readonly string[];
}

export interface MemoryStore {
  /** Every record of the person, every namespace, expired or not: one Query (the cap keeps it to one page). */
  records(tenant: string, actor: string): Promise<MemoryRecord[]>;
  /** How far the session's events were extracted (0: not yet). */
  progress(tenant: string, actor: string, session: string): Promise<number>;
  /** Writes the records, the progress and the profile's count in one transaction; false when another run wrote this range first. */
  writeExtraction(write: ExtractionWrite): Promise<boolean>;
  /** Deletes these records, lowers the profile's count (and raises `evicted` for an eviction), and logs the entry. */
  remove(tenant: string, actor: string, records: readonly Pick<MemoryRecord, 'namespace' | 'id'>[], entry: MemoryLogEntry): Promise<number>;
  profile(tenant: string, actor: string): Promise<MemoryProfile>;
  /** Logs an entry that changes nothing else (an export). */
  log(tenant: string, actor: string, entry: MemoryLogEntry): Promise<void>;
}

/** The embedding model: a unit vector of each text, in order. */
export interface Embedder {
  embed(texts: readonly string[]): Promise<number[][]>;
}
