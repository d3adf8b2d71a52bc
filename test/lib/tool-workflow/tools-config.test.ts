import { Template } from 'aws-cdk-lib/assertions';
import { ENV } from '../../../lib/contract/env-names';
import { parseConfig } from '../../../lib/config/load';
import { TOOL_CATALOG } from '../../../lib/tools/catalog';
import { problemsOf } from '../../helpers/config-problems';
import { synthStatehouse } from '../../helpers/synth';

/** The `tools` setting of a target: defaults per region, every mistake listed, and the capability gate at synth. */

const KB_ID = 'KB12345678';
/** The catalog's tools, in catalog order; the expectations below are read from it, not listed. */
const CATALOG_NAMES = TOOL_CATALOG.map((tool) => tool.name);
const RETRIEVERS = TOOL_CATALOG.filter((tool) => tool.dataAccess?.knowledgeBase !== undefined).map((tool) => tool.name);
const AGENCY_ROLE = 'arn:aws-us-gov:iam::123456789012:role/agency-app';

describe('tools configuration', () => {
  test('by default every target runs the catalog tools its region offers and that need no missing setting', () => {
    // GIVEN no overrides WHEN parsed
    const config = parseConfig();
    // THEN no target runs a tool that retrieves from a knowledge base: no knowledge base id is set
    expect(RETRIEVERS.length).toBeGreaterThan(0);
    for (const target of Object.values(config.targets)) {
      expect(target.tools).toEqual({ enabled: CATALOG_NAMES.filter((name) => !RETRIEVERS.includes(name)), policy: {} });
    }
  });

  test('with a knowledge base id, the default adds search_knowledge_base where the region offers knowledge bases', () => {
    // GIVEN a knowledge base id on every target
    const withKb = { tools: { knowledgeBaseId: KB_ID } };
    const config = parseConfig({ targets: { Commercial: withKb, GovWest: withKb, GovEast: withKb } });
    // THEN us-east-1 and us-gov-west-1 run it; us-gov-east-1 (no managed knowledge bases) does not
    expect(config.targets.Commercial.tools.enabled).toContain('search_knowledge_base');
    expect(config.targets.GovWest.tools.enabled).toContain('search_knowledge_base');
    expect(config.targets.GovEast.tools.enabled).not.toContain('search_knowledge_base');
  });

  test('every tools mistake is listed at once, each with its field and the fix', () => {
    // GIVEN an unknown tool, a tool without its setting, a policy for an undeclared tenant naming a disabled tool
    const problems = problemsOf({
      targets: {
        GovWest: {
          tenants: { agency: [AGENCY_ROLE] },
          tools: {
            enabled: ['lookup_case', 'delete_everything', 'search_knowledge_base', 'lookup_case'],
            policy: { agency: ['release_records'], ghost: ['lookup_case'] },
          },
        },
      },
    });
    // THEN the unknown name is reported by zod (shape), before the rules that need it
    expect(problems).toEqual([
      expect.stringMatching(
        new RegExp(
          `^targets\\.GovWest\\.tools\\.enabled\\.1: "delete_everything" is not a tool of lib/tools/catalog\\.ts; use one of ${CATALOG_NAMES.map((n) => `"${n}"`).join(', ')}, or declare the tool there first\\.$`,
        ),
      ),
    ]);
    // WHEN the names are known THEN the remaining rules all report together
    const rest = problemsOf({
      targets: {
        GovWest: {
          tenants: { agency: [AGENCY_ROLE] },
          tools: {
            enabled: ['lookup_case', 'search_knowledge_base', 'lookup_case'],
            policy: { agency: ['release_records'], ghost: ['lookup_case'] },
          },
        },
      },
    });
    expect(rest).toEqual([
      'targets.GovWest.tools.enabled[1]: "search_knowledge_base" needs tools.knowledgeBaseId; set it, or remove "search_knowledge_base" from tools.enabled.',
      'targets.GovWest.tools.enabled[2]: "lookup_case" is listed twice; list each tool once.',
      'targets.GovWest.tools.policy.agency[0]: "release_records" is not enabled in this target (enabled: lookup_case, search_knowledge_base, lookup_case); enable it under tools.enabled, or remove it from the policy.',
      'targets.GovWest.tools.policy.ghost: "ghost" is not a tenant of this target (tenants: agency); declare it under tenants, or remove its policy.',
    ]);
  });

  test('a malformed knowledge base id and unknown tools fields are refused', () => {
    expect(problemsOf({ targets: { GovWest: { tools: { knowledgeBaseId: 'kb-1', colour: 'blue' } } } })).toEqual(
      expect.arrayContaining([
        'targets.GovWest.tools.knowledgeBaseId: must be a Bedrock knowledge base id: 10 letters or digits, e.g. "KB12345678"',
        expect.stringMatching(/^targets\.GovWest\.tools: unknown field "colour"/),
      ]),
    );
  });
});

describe('tools at synth: the capability gate', () => {
  test('search_knowledge_base enabled in GovEast fails synth with the gate\'s message', () => {
    // GIVEN the knowledge-base tool explicitly enabled in us-gov-east-1
    const overrides = { targets: { GovEast: { tools: { knowledgeBaseId: KB_ID, enabled: ['compute_deadline', 'search_knowledge_base'] } } } };
    // WHEN synthesized THEN synth fails with what, why and what to do instead
    expect(() => synthStatehouse({ targets: 'GovEast', overrides })).toThrow(
      /GovEast \(us-gov-east-1\) cannot run "bedrock:knowledge-bases", which tool "search_knowledge_base" needs\. Why: Managed knowledge bases run only in us-gov-west-1 within GovCloud\..*Instead: Retrieve from a knowledge base in us-gov-west-1/,
    );
  });

  test('a target with no tools still synthesizes: both workflows (and the agent loop\'s slow call) refuse every call', () => {
    const { stages } = synthStatehouse({ targets: 'GovWest', overrides: { targets: { GovWest: { tools: { enabled: [] } } } } });
    const template = Template.fromStack(stages[0].runtime);
    const definitions = Object.values(template.findResources('AWS::StepFunctions::StateMachine')).map((m) => JSON.stringify(m.Properties.DefinitionString));
    expect(definitions).toHaveLength(3);
    for (const definition of definitions) expect(definition).toContain('not_allowed');
    expect(Object.keys(template.findResources('AWS::Lambda::Function')).filter((id) => id.startsWith('ToolsCompute'))).toEqual([]);
  });

  test('search_knowledge_base in GovWest: its own function, the knowledge base id, and Retrieve on exactly that knowledge base', () => {
    // GIVEN a knowledge base id in us-gov-west-1 (the default then enables the tool)
    const { stages } = synthStatehouse({ targets: 'GovWest', overrides: { targets: { GovWest: { tools: { knowledgeBaseId: KB_ID } } } } });
    const template = Template.fromStack(stages[0].runtime);
    // THEN the kb-retrieve function knows the knowledge base and may retrieve from it only
    const [[id, fn]] = Object.entries(template.findResources('AWS::Lambda::Function')).filter(
      ([, f]) => f.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME === 'tool-search-knowledge-base',
    );
    expect(fn.Properties.Environment.Variables[ENV.KNOWLEDGE_BASE_ID]).toBe(KB_ID);
    const roleId = fn.Properties.Role['Fn::GetAtt'][0];
    const bedrock = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .filter((s: any) => [s.Action].flat().some((a: string) => a.startsWith('bedrock:')));
    expect(bedrock).toEqual([
      { Effect: 'Allow', Action: 'bedrock:Retrieve', Resource: { 'Fn::Join': ['', ['arn:aws-us-gov:bedrock:us-gov-west-1:', { Ref: 'AWS::AccountId' }, `:knowledge-base/${KB_ID}`]] } },
    ]);
    expect(id).toMatch(/^ToolsSearchKnowledgeBase/);
    // AND the orchestrator is told the tool, not the knowledge base: only the tool's function retrieves
    const orchestrator = Object.values(template.findResources('AWS::Lambda::Function')).find((f) => f.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME === 'orchestrator')!;
    expect(orchestrator.Properties.Environment.Variables[ENV.KNOWLEDGE_BASE_ID]).toBeUndefined();
    // The declarations ship in the orchestrator's bundle; its environment holds their digest.
    expect(stages[0].runtime.agent.toolDeclarations.map((tool) => tool.name)).toContain('search_knowledge_base');
    expect(orchestrator.Properties.Environment.Variables[ENV.TOOLS]).toBeUndefined();
    expect(orchestrator.Properties.Environment.Variables[ENV.TOOLS_DIGEST]).toMatch(/^[0-9a-f]{16}$/);
  });
});
