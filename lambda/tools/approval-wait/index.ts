import { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { taskTokenStoreFromEnv } from '../../core/wiring/task-token-wiring';
import { createApprovalWaitHandler } from './handler';

export { createApprovalWaitHandler } from './handler';

// Created once per execution environment (Powertools' pattern). Environment:
// AWS_REGION, STATEHOUSE_SESSION_TABLE, STATEHOUSE_FIPS_SERVICES (optional).
const logger = new Logger();
const tracer = new Tracer();

export const handler = createApprovalWaitHandler({ tokens: taskTokenStoreFromEnv(process.env, tracer), logger });
