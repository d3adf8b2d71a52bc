import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { findTool } from '../../../lib/tools/catalog';
import { ENV } from '../../../lib/contract/env-names';
import type { ToolDeclaration } from '../../../lib/contract/tool-declaration';
import type { ApprovalDecision, PendingApproval, ResumeTurnEvent, SlowToolRunInput } from '../../../lib/contract/workflow-contract';
import { ReferenceData } from '../../../lib/constructs/reference-data/reference-data';
import { SessionStore } from '../../../lib/constructs/session-store/session-store';
import { ToolWorkflow } from '../../../lib/constructs/tool-workflow/tool-workflow';
import { motoClientConfig, startMoto, type MotoServer } from '../../helpers/moto';
import { stacksOf, synthStatehouse } from '../../helpers/synth';
import { GOV_WEST, targetStack, testFoundation } from '../constructs/construct-test-stacks';
import { asLambdaTask, installPromiseWithResolvers, resolveTimeoutPathsAgainstStateInput } from './local-interpreter';
import { createReferenceTable } from './reference-table';
import { functionEnvironment, machineNamed, synthesizedMachines } from './synthesized-workflows';

/**
 * The Standard workflow, exactly as synthesized, executed by
 * aws-local-stepfunctions. The release_records Task runs the real handler
 * module against moto's DynamoDB, configured with the function's synthesized
 * environment. Two stand-ins, because their real code belongs to the
 * orchestrator's side: the approval wait (it records the PendingApproval and
 * answers as SendTaskSuccess would, with the approver's decision) and the
 * resume target (it records the ResumeTurnEvent it got).
 */
installPromiseWithResolvers();

const APPROVER = 'arn:aws-us-gov:sts::123456789012:assumed-role/RecordsOfficer/dana';
const REQUESTER = 'arn:aws-us-gov:sts::123456789012:assumed-role/agency-app/caseworker';
const RELEASE = { caseId: 'FOIA-4411', recordIds: ['rec-1', 'rec-2'], justification: 'Responsive records, reviewed for exemptions.' };

type Handler = (event: unknown) => Promise<unknown>;

let moto: MotoServer;
let dynamodb: DynamoDBClient;
let referenceTable: string;
let referenceKey: string;
let definition: StateMachineDefinition;
let releaseRecords: Handler;
const savedEnv = { ...process.env };

beforeAll(async () => {
  // GIVEN the synthesized slow-tools workflow of GovWest and moto with its reference table
  const [stage] = synthStatehouse({ targets: 'GovWest' }).stages;
  definition = machineNamed(synthesizedMachines(stage.runtime, stacksOf(stage)), '-tools-slow').definition;
  const releaseEnv = functionEnvironment(stage.runtime, stacksOf(stage), 'tool-release-records');
  referenceTable = releaseEnv[ENV.REFERENCE_TABLE];
  referenceKey = releaseEnv[ENV.REFERENCE_KEY_ATTRIBUTE];
  moto = await startMoto();
  dynamodb = new DynamoDBClient({ ...motoClientConfig(moto), region: GOV_WEST });
  await createReferenceTable(dynamodb, referenceTable, referenceKey);
  // AND the real release-records module, started with the function's own environment, pointed at moto.
  // moto has no -fips hosts, so the FIPS list is emptied; everything else is as synthesized.
  Object.assign(process.env, releaseEnv, {
    [ENV.FIPS_SERVICES]: '',
    AWS_REGION: GOV_WEST,
    AWS_ENDPOINT_URL_DYNAMODB: moto.endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  ({ handler: releaseRecords } = await import('../../../lambda/tools/release-records/index'));
});

afterAll(async () => {
  process.env = savedEnv;
  dynamodb?.destroy();
  await moto?.stop();
});

/** What an approver would send (SendTaskSuccess output), or `'never'` for no decision at all. */
type Approver = ApprovalDecision | 'never';

interface Outcome {
  readonly output: ResumeTurnEvent;
  readonly pending: PendingApproval[];
  readonly resumed: ResumeTurnEvent[];
}

let executions = 0;

async function run(machine: StateMachineDefinition, input: Partial<SlowToolRunInput>, approver: Approver, tasks: Record<string, Handler> = {}): Promise<Outcome> {
  const pending: PendingApproval[] = [];
  const resumed: ResumeTurnEvent[] = [];
  executions += 1;
  const taskToken = `token-${executions}`;
  const execution = new StateMachine(resolveTimeoutPathsAgainstStateInput(machine)).run(
    {
      tool: 'release_records',
      toolCallId: `call-${executions}`,
      input: RELEASE,
      tenant: 'agency',
      session: 'sess-1',
      requestId: `req-${executions}`,
      requestedBy: REQUESTER,
      approvalRequired: true,
      approvalTimeoutSeconds: 3600,
      ...input,
    } as any,
    {
      context: { Task: { Token: taskToken } },
      overrides: {
        taskResourceLocalHandlers: {
          'Wait for approval': async (effective: any) => {
            pending.push(effective.Payload);
            return approver === 'never' ? new Promise(() => undefined) : (approver as any);
          },
          'Run release_records': asLambdaTask(releaseRecords),
          'Resume the turn': async (event: any) => {
            resumed.push(event);
            return { statusCode: 200 };
          },
          ...Object.fromEntries(Object.entries(tasks).map(([state, handler]) => [state, asLambdaTask(handler)])),
        },
      },
    },
  );
  const output = (await execution.result) as unknown as ResumeTurnEvent;
  return { output, pending, resumed };
}

const decision = (approved: boolean, approver = APPROVER): ApprovalDecision => ({
  approved,
  approver,
  reason: approved ? 'Exemptions applied; release approved.' : 'Records are under litigation hold.',
  decidedAt: '2026-11-21T15:00:00.000Z',
});

async function releasesRecorded(): Promise<Array<Record<string, any>>> {
  const { Items = [] } = await dynamodb.send(new ScanCommand({ TableName: referenceTable }));
  return Items;
}

describe('slow-tools workflow (Standard), executed', () => {
  test('approval granted: the approval wait gets the task token, the release is recorded, the turn resumes with result and decision', async () => {
    const approved = decision(true);
    const { output, pending, resumed } = await run(definition, {}, approved);
    // THEN the approval wait was handed exactly the PendingApproval
    expect(pending).toEqual([{ taskToken: `token-${executions}`, tenant: 'agency', session: 'sess-1', toolCallId: `call-${executions}` }]);
    // AND the real handler wrote the release to the reference table, in the tenant's part of it
    const releaseId = `T#agency#RELEASE#sess-1#call-${executions}`;
    const stored = (await releasesRecorded()).find((item) => item[referenceKey].S === releaseId);
    expect(stored).toMatchObject({ releasedCaseId: { S: 'FOIA-4411' }, kind: { S: 'release' }, tenant: { S: 'agency' } });
    // AND the orchestrator got one ResumeTurnEvent with the tool's output and the decision
    const expected: ResumeTurnEvent = {
      kind: 'statehouse.resume',
      tenant: 'agency',
      session: 'sess-1',
      toolCallId: `call-${executions}`,
      result: { ok: true, output: { releaseId, caseId: 'FOIA-4411', recordIds: ['rec-1', 'rec-2'], releasedAt: stored!.releasedAt.S } },
      decision: approved,
    };
    expect(resumed).toEqual([expected]);
    expect(output).toEqual(expected);
  });

  test('approval denied: nothing is released; the turn resumes with denied and the decision', async () => {
    const before = (await releasesRecorded()).length;
    const denied = decision(false);
    const { resumed } = await run(definition, {}, denied);
    expect(resumed).toEqual([
      {
        kind: 'statehouse.resume',
        tenant: 'agency',
        session: 'sess-1',
        toolCallId: `call-${executions}`,
        result: { ok: false, error: 'denied', message: `${APPROVER} denied the call: Records are under litigation hold.` },
        decision: denied,
      },
    ]);
    expect(await releasesRecorded()).toHaveLength(before);
  });

  test('no decision within approvalTimeoutSeconds: the turn resumes with approval_timeout and no decision', async () => {
    const before = (await releasesRecorded()).length;
    const { resumed, pending } = await run(definition, { approvalTimeoutSeconds: 1 }, 'never');
    expect(pending).toHaveLength(1);
    expect(resumed).toEqual([
      {
        kind: 'statehouse.resume',
        tenant: 'agency',
        session: 'sess-1',
        toolCallId: `call-${executions}`,
        result: { ok: false, error: 'approval_timeout', message: 'No approver decided within 1 seconds.' },
      },
    ]);
    expect(await releasesRecorded()).toHaveLength(before);
  });

  test('the requester approving their own call is refused (AC-5), whatever the decision says', async () => {
    const selfApproved = decision(true, REQUESTER);
    const { resumed } = await run(definition, {}, selfApproved);
    expect(resumed[0].result).toEqual({ ok: false, error: 'denied', message: 'The caller who asked for the tool cannot approve it.' });
    expect(resumed[0].decision).toEqual(selfApproved);
  });

  test('a tool declared with an approval rule waits for one even when the input says approvalRequired: false', async () => {
    const { pending, resumed } = await run(definition, { approvalRequired: false }, decision(false));
    expect(pending).toHaveLength(1);
    expect(resumed[0].result).toMatchObject({ ok: false, error: 'denied' });
  });

  test('the tool fails after approval: the turn resumes with tool_failed, the handler\'s message and the decision', async () => {
    const approved = decision(true);
    const { resumed } = await run(definition, { input: { ...RELEASE, recordIds: [] } }, approved);
    expect(resumed).toEqual([
      expect.objectContaining({ result: { ok: false, error: 'tool_failed', message: 'recordIds must be a non-empty list of record ids' }, decision: approved }),
    ]);
  });

  test('a retried release task with the same tool call records one release and answers with it again', async () => {
    // GIVEN a release that ran once
    const first = await run(definition, {}, decision(true));
    const toolCallId = first.output.toolCallId;
    const count = (await releasesRecorded()).length;
    // WHEN the same tool call runs again (as a Step Functions retry of the Task would)
    const again = await run(definition, { toolCallId }, decision(true));
    // THEN nothing new is written and the result names the same release
    expect(await releasesRecorded()).toHaveLength(count);
    expect(again.output.result).toEqual(first.output.result);
  });
});

describe('slow-tools workflow without an approval rule, executed', () => {
  let noApproval: StateMachineDefinition;
  let computeDeadline: Handler;
  beforeAll(async () => {
    // GIVEN a ToolWorkflow with one slow tool that needs no approval (compute_deadline's handler, declared slow)
    const { app, stack } = targetStack(GOV_WEST);
    const foundation = testFoundation(stack);
    const sessions = new SessionStore(stack, 'Sessions', {
      namePrefix: 'statehouse-test-data',
      dataKey: foundation.dataKey,
      s3Endpoint: foundation.s3Endpoint,
      accessLogsBucket: foundation.accessLogs,
    });
    const slowDeadline: ToolDeclaration = { ...findTool('compute_deadline')!, name: 'compute_deadline_later', mode: 'slow' };
    new ToolWorkflow(stack, 'Tools', {
      tools: [slowDeadline],
      policy: {},
      namePrefix: 'statehouse-test',
      resumeTarget: new lambda.Function(stack, 'Resume', {
        runtime: lambda.Runtime.NODEJS_22_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline('exports.handler = async () => ({});'),
      }),
      sessions,
      referenceData: new ReferenceData(stack, 'Reference', { namePrefix: 'statehouse-test-data', dataKey: foundation.dataKey, backupPlan: sessions.backupPlan }),
      vpc: foundation.vpc,
      subnets: foundation.subnets,
      logsKey: foundation.logsKey,
      dataKey: foundation.dataKey,
      logRetention: foundation.logRetention,
      fipsServices: [],
    });
    app.synth();
    noApproval = machineNamed(synthesizedMachines(stack, [stack]), '-tools-slow').definition;
    ({ handler: computeDeadline } = await import('../../../lambda/tools/compute-deadline/index'));
  });

  test('no approval needed: the tool runs at once and the turn resumes with its output and no decision', async () => {
    const { pending, resumed, output } = await run(
      noApproval,
      { tool: 'compute_deadline_later', input: { startDate: '2026-12-18', businessDays: 20 }, approvalRequired: false },
      'never',
      { 'Run compute_deadline_later': computeDeadline },
    );
    expect(pending).toEqual([]);
    expect(resumed).toEqual([
      {
        kind: 'statehouse.resume',
        tenant: 'agency',
        session: 'sess-1',
        toolCallId: output.toolCallId,
        result: {
          ok: true,
          output: {
            startDate: '2026-12-18',
            businessDays: 20,
            deadline: '2027-01-20',
            holidaysSkipped: [
              { date: '2026-12-25', name: 'Christmas Day' },
              { date: '2027-01-01', name: "New Year's Day" },
              { date: '2027-01-18', name: 'Birthday of Martin Luther King, Jr.' },
            ],
          },
        },
      },
    ]);
  });
});
