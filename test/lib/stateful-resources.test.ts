import * as fs from 'node:fs';
import * as path from 'node:path';
import { readTemplate, stacksOf, synthStatehouse, type Synthesized } from '../helpers/synth';

/**
 * Stateful resources are API: a construct id renamed in a refactor changes
 * the logical id, and CloudFormation then replaces the resource, losing its
 * data (a table, a bucket, a key, a log group, the trail, a dead-letter
 * queue). This test pins the logical id of every stateful resource of every
 * target and stack. A change here must be a decision, made in the same
 * change as the list in stateful-resources.json, with a migration plan.
 */
const STATEFUL_TYPES = [
  'AWS::KMS::Key',
  'AWS::DynamoDB::Table',
  'AWS::S3::Bucket',
  'AWS::Logs::LogGroup',
  'AWS::CloudTrail::Trail',
  'AWS::Backup::BackupVault',
  'AWS::SQS::Queue',
];
const PINNED: Record<string, string[]> = JSON.parse(fs.readFileSync(path.join(__dirname, 'stateful-resources.json'), 'utf8'));

let synth: Synthesized;
beforeAll(() => {
  synth = synthStatehouse({ targets: 'Commercial,GovWest,GovEast' });
});

test.each(Object.keys(PINNED))('%s keeps the logical id of every stateful resource', (key) => {
  // GIVEN the stack as synthesized today
  const [target, stackId] = key.split('/');
  const stage = synth.stages.find((s) => s.stageName === target)!;
  const stack = stacksOf(stage).find((s) => s.node.id === stackId)!;
  const resources = readTemplate(stack).Resources as Record<string, { Type: string }>;
  const stateful = Object.entries(resources)
    .filter(([, r]) => STATEFUL_TYPES.includes(r.Type))
    .map(([id, r]) => `${id} ${r.Type}`)
    .sort();
  // THEN no pinned resource is gone (it would be replaced), and a new one is pinned deliberately
  const gone = PINNED[key].filter((entry) => !stateful.includes(entry));
  const added = stateful.filter((entry) => !PINNED[key].includes(entry));
  expect({ gone, added }).toEqual({ gone: [], added: [] });
});
