import * as fs from 'node:fs';
import * as path from 'node:path';
import { listAcknowledgments } from '../../lib/compliance/acknowledgments';
import { readValidationReport } from '../../lib/compliance/validation-report';
import { GOVCLOUD_REGIONS, PARTITIONS } from '../../lib/residency/region-facts';
import { cfnLint, cfnLintAvailable, cfnLintOptedOut } from '../helpers/cfn-lint';
import { normaliseTemplate, readTemplate, stacksOf, synthStatehouse, templatePath, type Synthesized } from '../helpers/synth';

/**
 * The compliance gates of every target: snapshot per stack, cdk-nag and the
 * residency guard at zero unacknowledged findings, cfn-lint at zero errors
 * for the target's region, and no commercial ARN in a GovCloud template.
 */
const TARGETS = ['Commercial', 'GovWest', 'GovEast'];

let synth: Synthesized;
beforeAll(() => {
  // GIVEN the default configuration with every target selected
  synth = synthStatehouse({ targets: TARGETS.join(','), cfnValidation: true });
});

describe.each(TARGETS)('target %s', (targetName) => {
  const stage = () => synth.stages.find((s) => s.stageName === targetName)!;

  test('each stack matches its snapshot (asset hashes normalised)', () => {
    for (const stack of stacksOf(stage())) {
      expect(normaliseTemplate(readTemplate(stack))).toMatchSnapshot(stack.node.id);
    }
  });

  test('the default configuration is Bedrock only: no Neuron endpoint, so no Inference stack and no weights bucket', () => {
    expect(stacksOf(stage()).map((s) => s.node.id)).toEqual(['Foundation', 'State', 'Runtime']);
    expect([stage().inference, stage().state.weights]).toEqual([undefined, undefined]);
  });

  test('memory is off by default: the memory table is in State (empty, on demand), no extractor runs, the routes answer from the orchestrator', () => {
    expect(stage().state.memory.tableName).toBeDefined();
    expect(stage().runtime.agent.memoryExtractor).toBeUndefined();
    const runtime = readTemplate(stage().runtime);
    const mappings = Object.values(runtime.Resources as Record<string, { Type: string }>).filter((r) => r.Type === 'AWS::Lambda::EventSourceMapping');
    expect(mappings).toHaveLength(1);
  });

  test('cdk-nag (AwsSolutions, NIST 800-53 R5) and the residency guard report zero unacknowledged findings', () => {
    const { errors } = readValidationReport(synth.assembly.directory);
    const mine = errors.filter((e) => e.paths.some((p) => p.startsWith(`${targetName}/`)));
    expect(mine).toEqual([]);
  });

  test('cfn-lint reports zero errors for the target region', () => {
    if (!cfnLintAvailable()) {
      if (cfnLintOptedOut()) {
        console.warn('cfn-lint is not installed; skipped because STATEHOUSE_SKIP_CFN_LINT=1');
        return;
      }
      throw new Error('cfn-lint is not on PATH. Install it (pip install cfn-lint) or set STATEHOUSE_SKIP_CFN_LINT=1 outside CI.');
    }
    const templates = stacksOf(stage()).map(templatePath);
    const errors = cfnLint(templates, stage().foundation.region).filter((f) => f.Level === 'Error');
    expect(errors).toEqual([]);
  });

  test('the SCP document is written next to the templates', () => {
    const scp = JSON.parse(fs.readFileSync(path.join(stage().outdir, 'residency-scp.json'), 'utf8'));
    const regionDeny = scp.Statement.find((s: any) => s.Sid === 'DenyOutsideAllowedRegions');
    expect(regionDeny.Condition.StringNotEquals['aws:RequestedRegion']).toEqual([stage().foundation.region]);
  });
});

test.each(TARGETS.filter((t) => t !== 'Commercial'))('GovCloud target %s templates hold no commercial ARN', (targetName) => {
  const stage = synth.stages.find((s) => s.stageName === targetName)!;
  expect(GOVCLOUD_REGIONS).toContain(stage.foundation.region);
  const texts = stacksOf(stage).map((stack) => fs.readFileSync(templatePath(stack), 'utf8'));
  for (const text of texts) expect(text).not.toContain(PARTITIONS.aws.arnPrefix);
  // The check is meaningful: the templates do carry literal ARNs, of their own partition.
  expect(texts.some((text) => text.includes(PARTITIONS['aws-us-gov'].arnPrefix))).toBe(true);
});

test('every acknowledgment carries a reason, and the list is stable', () => {
  const acks = listAcknowledgments(synth.app);
  expect(acks.length).toBeGreaterThan(0);
  for (const ack of acks) expect(ack.reason.trim().length).toBeGreaterThanOrEqual(20);
  // The snapshot is the auditable list: a new acknowledgment shows up in review.
  const perTarget = acks
    .filter((a) => a.path.startsWith('Commercial/'))
    .map((a) => `${a.rule} @ ${a.path.replace(/^Commercial\//, '')}: ${a.reason}`)
    .sort();
  expect(perTarget).toMatchSnapshot();
});
