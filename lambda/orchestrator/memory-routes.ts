import { z } from 'zod';
import { forgetAll, forgetRecord, listMemory, type MemoryControlDeps } from '../core/domain/memory-control';
import { audienceOf, type MemoryRecord } from '../core/domain/memory-records';
import { MemoryOffError } from '../core/domain/errors';
import { assertNoBody, parsePart, pathOf, queryOf } from '../core/http/parse-request';
import { noQuerySchema } from '../core/http/request-schemas';
import type { OrchestratorDeps } from './orchestrator-deps';
import type { Route } from './session-routes';

/**
 * The memory routes (lambda/core/domain/memory-control.ts): the caller's
 * records, forgetting one or all, and the export of another person's for the
 * deployment's export roles. Every part of the request is parsed before
 * anything is read, as on the session routes.
 */

/** An actor as the API records it (caller.ts): an IAM role or user ARN, with the role session name after `#`. */
const ACTOR = /^arn:[a-z][a-z0-9-]{1,31}:iam::\d{12}:(?:role|user)\/[\w+=,.@-]{1,64}(?:#[\w+=,.@-]{1,64})?$/;
const listMemoryQuerySchema = z.strictObject({
  actor: z.string().regex(ACTOR, { message: 'must be an actor as sessions record it: arn:<partition>:iam::<account>:role/<name>#<session name>' }).optional(),
});
const memoryPathSchema = z.strictObject({ memoryId: z.string().max(64) });

function controlDepsOf(deps: OrchestratorDeps): MemoryControlDeps {
  if (!deps.memory) throw new MemoryOffError();
  return { memory: deps.memory.store, settings: deps.memory.settings, exportRoles: deps.memory.exportRoles, clock: deps.clock };
}

/** A record as the API shows it: no vector; its source, expiry and who may read it. */
export function memoryRecordView(record: MemoryRecord) {
  return {
    id: record.id,
    kind: record.kind,
    text: record.text,
    agent: record.agent,
    scope: record.namespace === '' ? 'actor' : 'agent',
    source: record.source,
    createdAt: record.createdAt,
    expiresAt: new Date(record.expiresAt * 1000).toISOString(),
    audience: audienceOf(record),
  };
}

/** GET /memory?actor= → 200 `{ actor, records, profile, limits }`: the caller's records (another actor's for an export role), newest first. */
export const listMemoryRoute: Route = async (event, caller, deps) => {
  const query = parsePart(listMemoryQuerySchema, queryOf(event), 'query');
  assertNoBody(event);
  const control = controlDepsOf(deps);
  const listing = await listMemory(control, caller, query.actor);
  return {
    statusCode: 200,
    body: {
      actor: listing.actor,
      records: listing.records.map(memoryRecordView),
      profile: listing.profile,
      limits: { maxRecords: control.settings.maxRecordsPerActor, retentionDays: control.settings.retentionDays },
    },
  };
};

/** DELETE /memory/{memoryId} → 200 `{ id, forgotten: true }`; 404 when the caller holds no such record. */
export const forgetRecordRoute: Route = async (event, caller, deps) => {
  const { memoryId } = parsePart(memoryPathSchema, pathOf(event), 'path');
  parsePart(noQuerySchema, queryOf(event), 'query');
  assertNoBody(event);
  await forgetRecord(controlDepsOf(deps), caller, memoryId);
  return { statusCode: 200, body: { id: memoryId, forgotten: true } };
};

/** DELETE /memory → 200 `{ forgotten }`: every record of the caller, every agent's. */
export const forgetAllRoute: Route = async (event, caller, deps) => {
  parsePart(noQuerySchema, queryOf(event), 'query');
  assertNoBody(event);
  const forgotten = await forgetAll(controlDepsOf(deps), caller);
  return { statusCode: 200, body: { forgotten } };
};
