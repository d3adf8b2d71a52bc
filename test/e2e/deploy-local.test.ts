import { servedRoutes } from '../../lambda/orchestrator/handler';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient, GetItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { headerKey } from '../../lambda/core/adapters/session-items';
import { REFERENCE_TABLE_SCHEMA } from '../../lib/contract/reference-table';
import type { ConversationReport } from '../../lib/emulator/conversation';
import type { EmulatedDeployment } from '../../lib/emulator/deploy';
import { REPO_ROOT } from '../helpers/synth';

/**
 * `npm run deploy:local` exactly as a user runs it (a child process, the real
 * CDK CLI, moto_server on a free port), kept running with `--keep` so this
 * test can then look at what was deployed with its own SDK clients. No
 * assertion is about time.
 */
interface Summary {
  readonly region: string;
  readonly account: string;
  readonly moto: { endpoint: string; pid: number };
  readonly deployment: EmulatedDeployment;
  readonly conversation: ConversationReport;
}

const TENANT = 'agency-demo';
let run: { code: number | null; stdout: string; stderr: string };
let summary: Summary;
let clientConfig: { region: string; endpoint: string; credentials: { accessKeyId: string; secretAccessKey: string } };

/** The session table, by the State stack's export of it. */
function sessionTableOf(stateOutputs: Record<string, string>): string {
  return Object.entries(stateOutputs).find(([key]) => key.startsWith('ExportsOutputRefSessions') && !key.includes('Payloads'))![1];
}

async function npmRun(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn('npm', ['run', '-s', 'deploy:local', '--', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

/**
 * The default agent with every tool, and a FOIA intake agent that delegates to
 * a records agent on another model: the conversation's delegation step runs.
 */
const AGENTS = {
  "targets": {
    "GovWest": {
      "defaultAgent": "assistant",
      "agents": {
        "assistant": {
          "description": "A general assistant for agency staff.",
          "instructions": "You are an assistant for the staff of a government agency."
        },
        "foia-intake": {
          "description": "Takes FOIA requests from the public and tracks their statutory deadlines.",
          "instructions": "You are the FOIA intake officer of the agency. Ask the records-search agent which records exist.",
          "tools": [
            "compute_deadline"
          ],
          "delegates": [
            "records-search"
          ]
        },
        "records-search": {
          "description": "Finds case records by case id and answers with record ids only.",
          "instructions": "You search the agency's case records with lookup_case and answer with the record ids only.",
          "model": {
            "kind": "bedrock-converse",
            "modelId": "amazon.nova-lite-v1:0"
          },
          "tools": [
            "lookup_case"
          ]
        }
      }
    }
  }
};

beforeAll(async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-local-')), 'summary.json');
  // WHEN a user runs npm run deploy:local (GovWest, the default target) with three agents, keeping moto
  run = await npmRun(['--keep', '--summary', file, '-c', `statehouse=${JSON.stringify(AGENTS)}`]);
  if (run.code !== 0) throw new Error(`deploy:local exited ${run.code}:\n${run.stdout}\n${run.stderr}`);
  summary = JSON.parse(fs.readFileSync(file, 'utf8')) as Summary;
  clientConfig = { region: summary.region, endpoint: summary.moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
}, 900_000);

afterAll(() => {
  if (summary) process.kill(summary.moto.pid, 'SIGTERM');
});

describe('npm run deploy:local', () => {
  test('prints each step and says every step did what it should', () => {
    const alice = 'arn:aws-us-gov:sts::\\d{12}:assumed-role/AgencyDemoApp/alice';
    for (const step of [
      /✅ {2}Environment aws:\/\/\d{12}\/us-gov-west-1 bootstrapped/,
      /✅ {2}GovWest\/Foundation/,
      /\[custom resource\] GovWest-Foundation\/\S+ \(Custom::VpcRestrictDefaultSG\): SUCCESS/,
      /✅ {2}GovWest\/State/,
      /✅ {2}GovWest\/Runtime/,
      /streaming required \(the configuration sets none; the conversation streams a response\)/,
      /loaded GovWest-Runtime-AgentStreaming\S+ from cdk\.out\.local\/asset\.[0-9a-f]{64}\/index\.js/,
      new RegExp(`local gateway http://127\\.0\\.0\\.1:\\d+/v1/: the deployed API's ${servedRoutes().length} methods \\(POST /sessions/\\{sessionId\\}/turns, POST /v1/responses streamed\\)`),
      new RegExp(`requester ${alice}$`, 'm'),
      /approver {2}arn:aws-us-gov:sts::\d{12}:assumed-role\/RecordsOfficer\/olivia$/m,
      /POST \/sessions, unsigned → 403 MissingAuthenticationTokenException: Missing Authentication Token\n {6}gateway 403 POST \/sessions · refused by the gateway \(MissingAuthenticationTokenException\): no function ran/,
      /signed with alice's access key and another secret → 403 InvalidSignatureException\n {6}gateway 403 POST \/sessions · refused by the gateway \(InvalidSignatureException\): no function ran/,
      /functions invoked 0 → 0, items in statehouse-govwest-data-sessions 0 → 0/,
      new RegExp(`createSession\\(\\) → session \\S+ in statehouse-govwest-data-sessions\\n {6}gateway 201 POST /sessions · SigV4 verified: ${alice}`),
      /turn "Hello\.\.\." → idle/,
      /tool call compute_deadline → Express statehouse-govwest-tools-fast SUCCEEDED → "The tool answered/,
      /retry of turn-2 \(same requestId\) → replayed, same reply; items (\d+) → \1/,
      /3 concurrent turns, each sent once → \d × 200, \d × 409/,
      /gateway (2 × )?409 POST \/sessions\/\{sessionId\}\/turns · SigV4 verified/,
      /tool call release_records → awaiting_approval/,
      /approval by the requester → 403: the requester cannot approve their own request/,
      /approval by \S+RecordsOfficer#olivia → approved; execution SUCCEEDED[^\n]*\n {6}gateway 200 POST \/sessions\/\{sessionId\}\/approvals · SigV4 verified: arn:aws-us-gov:sts::\d{12}:assumed-role\/RecordsOfficer\/olivia/,
      /session idle, \d+ events; export \(cdk\.out\.local\/transcript-\S+\.md\): Verified: the hash chain of all \d+ events was recomputed here from the session's genesis, and the deployment's verify route/,
      /background turn "Please research case FOIA-4411 in depth\." \(session \S+\) → queued; agent loop execution turn-[0-9a-f]{64}/,
      /round 1 +\d+ assistant +Research step 1 of 5: compute_deadline\./,
      /a synchronous turn → 409: session is running turn research-1 \(running\)/,
      /round 6 +\d+ assistant +Research of FOIA-4411 done, 5 tool results/,
      /6 rounds, 5 tool results, usage \d+ in \/ \d+ out; execution SUCCEEDED; hash chain verifies here and by the verify route \(17 events\)/,
      /openai\.conversations\.create\(\) → conv_\S+\n {6}gateway 200 POST \/v1\/conversations · SigV4 verified/,
      /openai\.responses\.create\(\{ previous_response_id, input: "Thank you…" \}\) → completed, same conversation/,
      /response\.output_text\.delta "You said: /,
      /response\.completed: "You said: Please sum up what we have done so far in one sentence\." \(\d+ events, \d+ of them text deltas\)/,
      /the gateway answered \d+ requests: \d+ verified and handed to a function \(\d+ as alice, 5 as olivia\), 2 refused before any function ran/,
      /memory on for \S+ \(the configuration gives no agent memory; the conversation recalls across sessions\)/,
      /memory extractor: \d+ new event items of the session table, 0 failures/,
      /GET \/memory as alice → 2 records:/,
      /^ {4}\[fact\] I handle the Port Authority dredging request \(session \S+ events \d+-\d+\)$/m,
      /session 2 \(\S+\), alice: "Which request do I handle\?" → "From an earlier session I remember: \[fact\] I handle the Port Authority dredging request/,
      /olivia's session \(\S+\): "Which request do I handle\?" → "You said: Which request do I handle\?"/,
      /DELETE \/memory as alice → 2 forgotten; session 3 \(\S+\): "Which request do I handle\?" → "You said: Which request do I handle\?"/,
      /deploy:local GovWest: every step did what it should/,
      /moto_server keeps running at http:\/\/localhost:\d+ \(pid \d+\)/,
    ]) {
      expect(run.stdout).toMatch(step);
    }
    // The CLI's outputs stay in its log: no `Stack ARN:` without its value, no invoke URL with moto's `None` for a stage.
    expect(run.stdout).not.toMatch(/Stack ARN:/);
    expect(run.stdout).not.toContain('/None/');
  });

  test('every request went through the local gateway: the two refused reached no function, every other was SigV4-verified as alice or olivia', () => {
    const { gateway } = summary.conversation;
    expect(gateway.refused).toEqual([
      { status: 403, errorType: 'MissingAuthenticationTokenException' },
      { status: 403, errorType: 'InvalidSignatureException' },
    ]);
    expect(gateway.callers).toEqual({
      requester: `arn:aws-us-gov:sts::${summary.account}:assumed-role/AgencyDemoApp/alice`,
      officer: `arn:aws-us-gov:sts::${summary.account}:assumed-role/RecordsOfficer/olivia`,
    });
    // The officer read the inbox, made the one decision, read it again, and opened a session and asked in it (memory); everything else was the requester's.
    expect(gateway.verified[gateway.callers.officer]).toBe(5);
    expect(gateway.verified[gateway.callers.requester]).toBe(gateway.requests - 2 - 5);
  });

  test('memory: what session 1 taught, the deployed extractor kept; session 2 of the same person used it, another person got none, forget-me removed it', () => {
    const memory = summary.conversation.memory!;
    expect(memory.records).toEqual(
      expect.arrayContaining([
        { kind: 'fact', text: 'I handle the Port Authority dredging request', source: expect.stringMatching(new RegExp(`^session ${memory.taughtIn} events \\d+-\\d+$`)) },
        { kind: 'preference', text: 'I prefer answers as bullet points', source: expect.stringContaining(memory.taughtIn) },
      ]),
    );
    expect(memory.recalledIn).not.toBe(memory.taughtIn);
    expect(memory.recalledReply).toContain('I handle the Port Authority dredging request');
    expect(memory.otherPersonReply).not.toContain('From an earlier session');
    expect(memory.forgotten).toBe(memory.records.length);
    expect(memory.afterForgetReply).not.toContain('From an earlier session');
  });

  test('the official openai package: a response in a conversation, one after it by previous_response_id, one streamed whose deltas are the committed text', () => {
    const { openai } = summary.conversation;
    expect(openai.responses.map((response) => response.status)).toEqual(['completed', 'completed']);
    expect(openai.responses[0].outputText).toContain('"deadline":"2026-12-07"');
    expect(openai.stream).toMatchObject({ outputText: 'You said: Please sum up what we have done so far in one sentence.' });
    const stream = openai.stream as { deltas: string[]; eventTypes: string[]; outputText: string };
    expect(stream.deltas.length).toBeGreaterThan(1);
    expect(stream.deltas.join('')).toBe(stream.outputText);
    expect([stream.eventTypes[0], stream.eventTypes.at(-1)]).toEqual(['response.created', 'response.completed']);
    expect(openai.verdict).toBe('verified');
  });

  test("the session's export: the chain recomputed here from the session's genesis, the Markdown transcript says so", () => {
    const { transcript, events } = summary.conversation;
    expect(transcript).toMatchObject({ verdict: 'verified', local: { status: 'verified', events: events.length, anchor: 'genesis' } });
    const markdown = fs.readFileSync(transcript.file, 'utf8');
    expect(markdown).toContain(`| hash chain, recomputed here | verified, ${events.length} events, from the session's genesis |`);
    expect(markdown.match(/ · hash `[0-9a-f]{64}`/g)).toHaveLength(events.length);
  });

  test('moto holds the three stacks, created with GovCloud ARNs, and the custom resource did its work', async () => {
    const cfn = new CloudFormationClient(clientConfig);
    const ec2 = new EC2Client(clientConfig);
    try {
      const { Stacks = [] } = await cfn.send(new DescribeStacksCommand({}));
      expect(Object.fromEntries(Stacks.map((s) => [s.StackName, s.StackStatus]))).toEqual({
        CDKToolkit: 'CREATE_COMPLETE',
        'GovWest-Foundation': 'CREATE_COMPLETE',
        'GovWest-State': 'CREATE_COMPLETE',
        'GovWest-Runtime': 'CREATE_COMPLETE',
      });
      const runtime = summary.deployment.stacks.find((s) => s.stackName === 'GovWest-Runtime')!;
      expect(runtime.outputs.SlowToolsStateMachineArn).toMatch(/^arn:aws-us-gov:states:us-gov-west-1:\d{12}:stateMachine:statehouse-govwest-tools-slow$/);
      expect(summary.deployment.customResources).toEqual([expect.objectContaining({ stackName: 'GovWest-Foundation', type: 'Custom::VpcRestrictDefaultSG', status: 'SUCCESS' })]);

      // CDK's real handler revoked every rule of the VPC's default security group, in moto.
      const vpcId = Object.entries(summary.deployment.stacks[0].outputs).find(([key]) => key.startsWith('ExportsOutputRefNetwork6'))?.[1];
      const { SecurityGroups = [] } = await ec2.send(
        new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId!] }, { Name: 'group-name', Values: ['default'] }] }),
      );
      expect(SecurityGroups).toHaveLength(1);
      expect(SecurityGroups[0]).toMatchObject({ IpPermissions: [], IpPermissionsEgress: [] });
    } finally {
      cfn.destroy();
      ec2.destroy();
    }
  });

  test('an agent asks its delegate within one turn: the delegate\'s events are in the same chain, marked with its name', () => {
    const delegation = summary.conversation.delegation!;
    expect(delegation.valid).toBe(true);
    expect(delegation.events.map((e) => `${e.type}@${e.agent}`)).toEqual([
      'user@foia-intake', 'assistant@foia-intake', 'tool_call@foia-intake',
      'user@records-search', 'assistant@records-search', 'tool_call@records-search', 'tool_result@records-search', 'assistant@records-search',
      'tool_result@foia-intake', 'assistant@foia-intake',
    ]);
    // The caller twice, the delegate twice (it ran lookup_case).
    expect(delegation.modelCalls).toBe(4);
  });

  test('the conversation left its session, its release record and its workflows in the deployed resources', async () => {
    const { conversation } = summary;
    const dynamodb = new DynamoDBClient(clientConfig);
    const sfn = new SFNClient(clientConfig);
    try {
      // The log in the order the code writes it: hello, the tool turn, the concurrent winners, the approved release.
      const winners = conversation.concurrent.ok;
      expect(conversation.concurrent).toEqual({ ok: winners, conflicts: 3 - winners });
      expect(winners).toBeGreaterThanOrEqual(1);
      expect(winners).toBeLessThanOrEqual(2);
      expect(conversation.events.map((e) => e.type)).toEqual([
        'user', 'assistant',
        'user', 'assistant', 'tool_call', 'tool_result', 'assistant',
        ...Array.from({ length: winners }, () => ['user', 'assistant']).flat(),
        'user', 'assistant', 'tool_call', 'approval', 'tool_result', 'assistant',
      ]);
      expect(conversation.events.find((e) => e.type === 'approval')?.actor).toMatch(/^arn:aws-us-gov:iam::\d{12}:role\/RecordsOfficer#olivia$/);
      expect(conversation.verified).toEqual({ valid: true, events: conversation.events.length });
      // compute_deadline's Express run, the release's Standard run, the agent loop's run of the background turn with its
      // five compute_deadline runs (Express), the delegate's lookup_case (Express), and the openai response's compute_deadline.
      expect(conversation.executions.map((e) => e.status)).toEqual(Array.from({ length: 10 }, () => 'SUCCEEDED'));

      // The header in the deployed session table says the same.
      const state = summary.deployment.stacks.find((s) => s.stackName === 'GovWest-State')!.outputs;
      const sessionTable = sessionTableOf(state);
      const { Item } = await dynamodb.send(
        new GetItemCommand({ TableName: sessionTable, Key: marshall(headerKey(TENANT, conversation.sessionId)) as Record<string, AttributeValue>, ConsistentRead: true }),
      );
      expect(unmarshall(Item!)).toMatchObject({ status: 'idle', lastSeq: conversation.events.length });

      // release-records wrote its record to the deployed reference table.
      const referenceTable = Object.entries(state).find(([key]) => key.startsWith('ExportsOutputRefReference'))![1];
      expect(conversation.releaseRecord).toMatchObject({ releasedCaseId: 'FOIA-4411', recordIds: ['REC-1', 'REC-2'], tenant: TENANT });
      const key = { [REFERENCE_TABLE_SCHEMA.partitionKey.name]: { S: String(conversation.releaseRecord![REFERENCE_TABLE_SCHEMA.partitionKey.name]) } };
      expect((await dynamodb.send(new GetItemCommand({ TableName: referenceTable, Key: key, ConsistentRead: true }))).Item).toBeDefined();

      // Both workflows are deployed state machines in moto (which stores them; the local endpoint ran them), and so is the agent loop.
      const { stateMachines = [] } = await sfn.send(new ListStateMachinesCommand({}));
      expect(stateMachines.map((m) => m.name).sort()).toEqual(['statehouse-govwest-agent-loop', 'statehouse-govwest-tools-fast', 'statehouse-govwest-tools-slow']);
    } finally {
      dynamodb.destroy();
      sfn.destroy();
    }
  });

  test('a background turn: the deployed agent loop ran 6 rounds through the deployed round function, 5 of them with a tool result', async () => {
    const background = summary.conversation.background!;
    expect(background).toMatchObject({ requestId: 'research-1', status: 'completed', rounds: 6, execution: { status: 'SUCCEEDED' } });
    expect(background.execution.name).toMatch(/^turn-[0-9a-f]{64}$/);
    expect(background.reply).toMatch(/^Research of FOIA-4411 done, 5 tool results: \d{4}-\d\d-\d\d(, \d{4}-\d\d-\d\d){4}\.$/);
    // Each round opens with the model's answer; the first five ran a fast tool, the sixth answered.
    expect(background.events.map((e) => (e.toolName ? `${e.type}:${e.toolName}` : e.type))).toEqual([
      ...Array.from({ length: 5 }, () => ['assistant', 'tool_call:compute_deadline', 'tool_result:compute_deadline']).flat(),
      'assistant',
    ]);
    expect(background.verified).toEqual({ valid: true, events: 1 + background.events.length });
    expect(background.usage.input).toBeGreaterThan(0);
    // Sent while the loop's third round waited on the model.
    expect(background.refused).toEqual({ statusCode: 409, message: expect.stringContaining('session is running turn research-1') });

    // The deployed session table: the turn ended, the session idle, no turn recorded as running.
    const dynamodb = new DynamoDBClient(clientConfig);
    try {
      const sessionTable = sessionTableOf(summary.deployment.stacks.find((s) => s.stackName === 'GovWest-State')!.outputs);
      const { Item } = await dynamodb.send(
        new GetItemCommand({ TableName: sessionTable, Key: marshall(headerKey(TENANT, background.sessionId)) as Record<string, AttributeValue>, ConsistentRead: true }),
      );
      const header = unmarshall(Item!);
      expect(header).toMatchObject({ status: 'idle', lastSeq: 1 + background.events.length });
      expect(header.activeTurn).toBeUndefined();
    } finally {
      dynamodb.destroy();
    }
  });

  test('a target the configuration does not have: exit 1, the reason, and no emulator left behind', async () => {
    const refused = await npmRun(['--target', 'Nowhere']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('deploy:local failed: no target "Nowhere" in the configuration');
    expect(refused.stdout).not.toContain('moto_server');
  });

  test('a target with a Neuron endpoint: refused up front with what, why and what instead', async () => {
    const neuron = JSON.stringify({ targets: { GovWest: { neuron: { instanceType: 'ml.trn1.32xlarge', weightsPrefix: 'llama-3-8b/' } } } });
    const refused = await npmRun(['-c', `statehouse=${neuron}`]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/targets\.GovWest\.neuron: deploy:local cannot deploy the Inference stack\. Why: moto's SageMaker .* Instead: run deploy:local without neuron/);
    expect(refused.stdout).not.toContain('moto_server');
  });

  test('a target with a guardrail: refused up front, as moto cannot model the resource', async () => {
    const guarded = JSON.stringify({ targets: { GovWest: { guardrails: { foia: {} }, agents: { assistant: { description: 'A.', instructions: 'Help.', guardrail: 'foia' } } } } });
    const refused = await npmRun(['-c', `statehouse=${guarded}`]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/targets\.GovWest\.guardrails: deploy:local cannot deploy a Bedrock guardrail\. Why: moto's CloudFormation does not model AWS::Bedrock::Guardrail.* Instead: run deploy:local without guardrails/);
    expect(refused.stdout).not.toContain('moto_server');
  });
});
