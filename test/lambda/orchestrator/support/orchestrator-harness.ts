import { ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { systemClock } from '../../../../lambda/core/adapters/system-clock';
import { parseTenantMap } from '../../../../lambda/core/http/caller';
import type { ModelBackend } from '../../../../lambda/core/ports/model-backend';
import { createHandler } from '../../../../lambda/orchestrator/handler';
import type { OrchestratorDeps } from '../../../../lambda/orchestrator/orchestrator-deps';
import { DEFAULT_SESSION_LIMITS, type SessionLimits } from '../../../../lib/contract/session-limits';
import { motoDynamoDbClient } from '../../../helpers/moto';
import { soleAgent } from '../../core/support/agents';
import { startMotoSessions, type MotoSessions } from '../../core/support/moto-sessions';
import { TENANT_MAP_JSON } from './api-events';

export const TEST_LIMITS: SessionLimits = {
  ...DEFAULT_SESSION_LIMITS,
  contextEvents: 40,
  tokenBudget: 1_000_000,
  ttlDays: 1,
};

/** A JSON response, parsed. */
export interface ApiResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: any;
}

export function parseResponse(result: APIGatewayProxyResult): ApiResponse {
  return {
    statusCode: result.statusCode,
    headers: (result.headers ?? {}) as Record<string, string>,
    body: JSON.parse(result.body),
  };
}

/** Quiet by default: tests read responses, not logs. Metrics are stored but never printed. */
export function quietTelemetry(): { logger: Logger; metrics: Metrics } {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  return {
    logger: new Logger({ serviceName: 'orchestrator-test', logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'StatehouseTest', serviceName: 'orchestrator-test' }),
  };
}

/** The orchestrator's handler on moto's DynamoDB and S3, with the model swapped per call. */
export interface OrchestratorHarness {
  readonly store: MotoSessions;
  /** The handler with one agent on `model`; `overrides` may bring agents of their own (`agents` and `modelFor`). */
  handlerWith(model: ModelBackend, overrides?: Partial<OrchestratorDeps>): (event: APIGatewayProxyEvent) => Promise<ApiResponse>;
  /** Every item of the table and every object of the bucket, as one canonical string. */
  snapshot(): Promise<string>;
  stop(): Promise<void>;
}

export async function startOrchestratorHarness(): Promise<OrchestratorHarness> {
  const store = await startMotoSessions();
  const inspector = motoDynamoDbClient(store.moto);
  const tenants = parseTenantMap(TENANT_MAP_JSON);

  async function tableItems(): Promise<Record<string, AttributeValue>[]> {
    const items: Record<string, AttributeValue>[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await inspector.send(new ScanCommand({ TableName: store.tableName, ConsistentRead: true, ExclusiveStartKey: startKey }));
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    const key = (item: Record<string, AttributeValue>) => `${item.pk.S}\u0000${item.sk.S}`;
    return items.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  }

  async function bucketObjects(): Promise<[string, string][]> {
    const objects: [string, string][] = [];
    let token: string | undefined;
    do {
      const page = await store.s3.send(new ListObjectsV2Command({ Bucket: store.bucket, ContinuationToken: token }));
      for (const object of page.Contents ?? []) {
        const { Body } = await store.s3.send(new GetObjectCommand({ Bucket: store.bucket, Key: object.Key }));
        objects.push([object.Key ?? '', (await Body?.transformToString('utf-8')) ?? '']);
      }
      token = page.NextContinuationToken;
    } while (token);
    return objects.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  return {
    store,
    handlerWith(model, overrides = {}) {
      const handler = createHandler({
        sessions: store.repository,
        ...soleAgent(model),
        clock: systemClock,
        tenants,
        limits: TEST_LIMITS,
        ...quietTelemetry(),
        ...overrides,
      });
      return async (event) => parseResponse(await handler(event));
    },
    async snapshot() {
      return JSON.stringify({ items: await tableItems(), objects: await bucketObjects() });
    },
    async stop() {
      inspector.destroy();
      await store.stop();
    },
  };
}
