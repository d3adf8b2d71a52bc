import { MEMORY_RECORD_ID_PATTERN, type MemorySettings } from '../../../lib/contract/memory-table';
import type { Clock } from '../ports/clock';
import type { MemoryProfile, MemoryStore } from '../ports/memory-store';
import { actorIdentity } from './actor';
import { ForbiddenError, MemoryRecordNotFoundError, ValidationError } from './errors';
import { isLive, type MemoryRecord } from './memory-records';

/**
 * What a person (and the records officer) may do with memory: read it,
 * forget one record, forget everything. Every one of them is logged in the
 * person's partition (AU-2, AU-12), with who asked and which records, and
 * kept for `logRetentionDays`. Reading another person's memory (an export
 * for a FOIA or Privacy Act request) is for the deployment's export roles
 * only, within the caller's tenant.
 */

export interface MemoryControlDeps {
  readonly memory: MemoryStore;
  readonly settings: MemorySettings;
  /** IAM role ARNs (path or not) whose callers may export any actor of their tenant. */
  readonly exportRoles: readonly string[];
  readonly clock: Clock;
}

export interface Caller {
  readonly tenant: string;
  readonly actor: string;
}

export interface MemoryListing {
  /** The person the records are about. */
  readonly actor: string;
  readonly records: readonly MemoryRecord[];
  readonly profile: MemoryProfile;
}

/** `arn:<p>:iam::<account>:role/<path>/<name>` → the same without its path: how callers' principals are keyed (caller.ts). */
function withoutPath(roleArn: string): string {
  return roleArn.replace(/:role\/(?:.*\/)?([^/]+)$/, ':role/$1');
}

function mayExport(deps: MemoryControlDeps, caller: Caller): boolean {
  const { principalArn, roleName } = actorIdentity(caller.actor);
  return roleName !== undefined && deps.exportRoles.some((role) => withoutPath(role) === principalArn);
}

/** The live records of `of` (the caller unless an export role asks for another actor), logged as a read or an export. */
export async function listMemory(deps: MemoryControlDeps, caller: Caller, of: string | undefined): Promise<MemoryListing> {
  const actor = of ?? caller.actor;
  const exporting = actor !== caller.actor;
  if (exporting && !mayExport(deps, caller)) {
    throw new ForbiddenError(`${caller.actor} may read only its own memory; exporting another person's is for the deployment's memory export roles`);
  }
  const now = deps.clock.now();
  const [records, profile] = await Promise.all([deps.memory.records(caller.tenant, actor), deps.memory.profile(caller.tenant, actor)]);
  const live = records.filter((record) => isLive(record, now)).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  await deps.memory.log(caller.tenant, actor, {
    action: exporting ? 'export' : 'read',
    by: caller.actor,
    at: now.toISOString(),
    recordIds: live.map((record) => record.id),
  });
  return { actor, records: live, profile: { ...profile, records: live.length } };
}

/** Forgets one of the caller's records, whichever agent keeps it. */
export async function forgetRecord(deps: MemoryControlDeps, caller: Caller, id: string): Promise<void> {
  if (!MEMORY_RECORD_ID_PATTERN.test(id)) throw new ValidationError('memoryId', 'must be a memory record id (m- and 24 hexadecimal digits)');
  const record = (await deps.memory.records(caller.tenant, caller.actor)).find((candidate) => candidate.id === id);
  if (!record) throw new MemoryRecordNotFoundError(id);
  await deps.memory.remove(caller.tenant, caller.actor, [record], {
    action: 'forget',
    by: caller.actor,
    at: deps.clock.now().toISOString(),
    recordIds: [id],
  });
}

/**
 * Forgets every record of the caller. The sessions' progress items stay
 * (they hold only how far each session was read), so the extractor does not
 * learn the forgotten records again from the same events; deleting a
 * session (DELETE /sessions/{id}) removes those events themselves.
 */
export async function forgetAll(deps: MemoryControlDeps, caller: Caller): Promise<number> {
  const records = await deps.memory.records(caller.tenant, caller.actor);
  return deps.memory.remove(caller.tenant, caller.actor, records, {
    action: 'forget_all',
    by: caller.actor,
    at: deps.clock.now().toISOString(),
    recordIds: records.map((record) => record.id),
  });
}
