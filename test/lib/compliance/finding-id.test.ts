// The test may read cdk-nag's private helper to check ours against it; the library never imports it.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import { findingResourceId } from '../../../lib/compliance/acknowledge';

/** Acknowledgment ids are computed the way cdk-nag names findings, or an acknowledgment silently misses its finding. */
describe('findingResourceId', () => {
  test.each<[string, unknown]>([
    ['a plain ARN', 'arn:aws-us-gov:s3:::bucket/*'],
    ['Fn::Join with pseudo parameters', { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::statehouse-', { Ref: 'AWS::AccountId' }, '/*']] }],
    ['Fn::GetAtt', { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['AgentOrchestrator3BD22A2F', 'Arn'] }, ':*']] }],
    ['Fn::Sub', { 'Fn::Sub': 'arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:m:*' }],
    ['Fn::ImportValue', { 'Fn::ImportValue': 'GovWest-State:ExportsOutputRefSessions' }],
    ['an unknown intrinsic', { 'Fn::Select': [0, ['a']] }],
    ['undefined', undefined],
  ])('%s flattens as cdk-nag flattens it', (_case, value) => {
    expect(findingResourceId(value)).toBe(flattenCfnReference(value));
  });
});
