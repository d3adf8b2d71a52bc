import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { BedrockGuardrail, GUARDRAIL_REQUEST_TIMEOUT_MS, guardrailClientConfig } from '../../../../../lambda/core/adapters/guardrail/bedrock-guardrail';
import type { ModelClientOptions } from '../../../../../lambda/core/adapters/model/client-settings';
import { ModelError } from '../../../../../lambda/core/domain/errors';
import { awsError, jsonResponse, startScriptedEndpoint, testClientOptions, type ScriptedEndpoint } from '../model/support/scripted-endpoint';
import { BINDING, judge } from '../../support/scripted-guardrail';

/** ApplyGuardrail through the real BedrockRuntimeClient, against a scripted guardrail on a local endpoint. */

let scripted: ScriptedEndpoint;
const clients: BedrockRuntimeClient[] = [];

function guardrail(options: Partial<ModelClientOptions> = {}): BedrockGuardrail {
  const client = new BedrockRuntimeClient(guardrailClientConfig(testClientOptions(scripted.endpoint, options)));
  clients.push(client);
  return new BedrockGuardrail({ client, binding: BINDING });
}

const intervened = (assessment: object, text: string) =>
  jsonResponse({ action: 'GUARDRAIL_INTERVENED', outputs: [{ text }], assessments: [assessment], usage: {} });

beforeEach(async () => {
  scripted = await startScriptedEndpoint();
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await scripted.stop();
});

describe('BedrockGuardrail', () => {
  test('sends the guardrail, its version, the source and the text as one text block', async () => {
    // GIVEN a guardrail that lets the text through
    scripted.answer(jsonResponse(judge('INPUT', 'When is FOIA-4411 due?')));

    // WHEN a user message is checked
    const outcome = await guardrail().check('When is FOIA-4411 due?', 'INPUT');

    // THEN one ApplyGuardrail request went to the guardrail's version, and nothing intervened
    expect(outcome).toEqual({ action: 'NONE' });
    expect(scripted.requests).toHaveLength(1);
    expect(scripted.requests[0].method).toBe('POST');
    expect(scripted.requests[0].path).toBe(`/guardrail/${BINDING.guardrailIdentifier}/version/${BINDING.guardrailVersion}/apply`);
    expect(scripted.jsonBody(0)).toEqual({ source: 'INPUT', content: [{ text: { text: 'When is FOIA-4411 due?' } }] });
  });

  test('ANONYMIZED only: MASKED with the masked text; the summary names the entity type, never the match', async () => {
    scripted.answer(jsonResponse(judge('OUTPUT', 'Write to jane.roe@example.gov.')));

    const outcome = await guardrail().check('Write to jane.roe@example.gov.', 'OUTPUT');

    expect(outcome).toEqual({
      action: 'MASKED',
      text: 'Write to {EMAIL}.',
      summary: { policies: ['sensitiveInformationPolicy'], filters: [], entities: ['EMAIL'] },
    });
    expect(JSON.stringify(outcome)).not.toContain('jane.roe');
  });

  test('a block anywhere wins over masking: BLOCKED with the guardrail message and every type that acted', async () => {
    scripted.answer(jsonResponse(judge('INPUT', 'My SSN is 123-45-6789, mail me at jane.roe@example.gov')));

    const outcome = await guardrail().check('My SSN is 123-45-6789, mail me at jane.roe@example.gov', 'INPUT');

    expect(outcome).toEqual({
      action: 'BLOCKED',
      message: 'Sorry, this assistant cannot help with that request.',
      summary: { policies: ['sensitiveInformationPolicy'], filters: [], entities: ['EMAIL', 'US_SOCIAL_SECURITY_NUMBER'] },
    });
    expect(JSON.stringify(outcome)).not.toMatch(/123-45-6789|jane\.roe/);
  });

  test('topics, word lists, regexes and grounding are named; custom words by policy only; entries that did not act are left out', async () => {
    scripted.answer(
      intervened(
        {
          topicPolicy: { topics: [{ name: 'Legal advice', type: 'DENY', action: 'BLOCKED', detected: true }] },
          wordPolicy: {
            customWords: [{ match: 'secret-codename', action: 'BLOCKED', detected: true }],
            managedWordLists: [{ match: 'darn', type: 'PROFANITY', action: 'BLOCKED', detected: true }],
          },
          sensitiveInformationPolicy: {
            piiEntities: [{ match: 'Jane', type: 'NAME', action: 'NONE', detected: false }],
            regexes: [{ name: 'case-number', match: 'FOIA-4411', regex: 'FOIA-\\d+', action: 'ANONYMIZED', detected: true }],
          },
          contentPolicy: { filters: [{ type: 'HATE', confidence: 'NONE', filterStrength: 'HIGH', action: 'NONE', detected: false }] },
          contextualGroundingPolicy: { filters: [{ type: 'GROUNDING', threshold: 0.8, score: 0.2, action: 'BLOCKED', detected: true }] },
        },
        'Sorry, the answer was withheld by policy.',
      ),
    );

    const outcome = await guardrail().check('text', 'OUTPUT');

    expect(outcome).toEqual({
      action: 'BLOCKED',
      message: 'Sorry, the answer was withheld by policy.',
      summary: {
        policies: ['contextualGroundingPolicy', 'sensitiveInformationPolicy', 'topicPolicy', 'wordPolicy'],
        filters: ['GROUNDING', 'Legal advice', 'PROFANITY'],
        entities: ['case-number'],
      },
    });
    expect(JSON.stringify(outcome)).not.toMatch(/secret-codename|darn|FOIA-4411|Jane/);
  });

  test('an intervention the adapter does not know (no finding it can read) fails closed: BLOCKED', async () => {
    scripted.answer(intervened({ automatedReasoningPolicy: { findings: [{ invalid: {} }] } }, 'Withheld.'));

    await expect(guardrail().check('text', 'OUTPUT')).resolves.toEqual({
      action: 'BLOCKED',
      message: 'Withheld.',
      summary: { policies: ['automatedReasoningPolicy'], filters: ['invalid'], entities: [] },
    });
  });

  test('an answer it cannot use is a ModelError: an unknown action, or an intervention without its output text', async () => {
    scripted.answer(
      jsonResponse({ action: 'MAYBE', outputs: [], assessments: [] }),
      jsonResponse({ action: 'GUARDRAIL_INTERVENED', outputs: [], assessments: [] }),
    );

    await expect(guardrail().check('text', 'INPUT')).rejects.toThrow(/ApplyGuardrail with gr7example01 version 3 returned an unusable reply: its action is "MAYBE"/);
    await expect(guardrail().check('text', 'INPUT')).rejects.toThrow(/without an output text/);
  });

  test('a failed call is a ModelError naming the operation, the error type and status, never the text', async () => {
    scripted.answerAlways(awsError(400, 'ValidationException', 'The guardrail cannot check: My SSN is 123-45-6789'));

    const failure = await guardrail({ maxAttempts: 1 })
      .check('My SSN is 123-45-6789', 'INPUT')
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ModelError);
    expect((failure as ModelError).message).toBe(
      'Bedrock ApplyGuardrail with gr7example01 version 3 failed: ValidationException, HTTP 400, request id req-ValidationException',
    );
  });
});

describe('guardrailClientConfig', () => {
  async function hostOf(region: string, fipsServices: Set<string>): Promise<string> {
    const client = new BedrockRuntimeClient(guardrailClientConfig({ region, fipsServices, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } }));
    clients.push(client);
    const useFips = await client.config.useFipsEndpoint();
    return client.config.endpointProvider({ Region: region, UseFIPS: useFips, UseDualStack: false }).url.hostname;
  }

  test('the -fips host when bedrock-runtime is among the FIPS services, the standard host otherwise', async () => {
    await expect(hostOf('us-gov-west-1', new Set(['bedrock-runtime']))).resolves.toBe('bedrock-runtime-fips.us-gov-west-1.amazonaws.com');
    await expect(hostOf('us-gov-east-1', new Set(['bedrock-runtime']))).resolves.toBe('bedrock-runtime-fips.us-gov-east-1.amazonaws.com');
    await expect(hostOf('us-east-1', new Set(['runtime.sagemaker']))).resolves.toBe('bedrock-runtime.us-east-1.amazonaws.com');
  });

  test('a guardrail that does not answer in time fails as a ModelError, well before a model call would', async () => {
    expect(GUARDRAIL_REQUEST_TIMEOUT_MS).toBeLessThan(29_000);
    scripted.answer({ ...jsonResponse(judge('INPUT', 'hello')), delayMs: 2_000 });

    const failure = await guardrail({ requestTimeoutMs: 200, maxAttempts: 1 })
      .check('hello', 'INPUT')
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ModelError);
    expect((failure as ModelError).message).toMatch(/failed: the request timed out/);
  });
});
