import * as cdk from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges a policy validation finding, such as a cdk-nag or cfn-guard rule, on a scope
 * with the reason a reviewer reads. `Validations` exists from aws-cdk-lib 2.257.0; with an
 * older aws-cdk-lib no validation plugin can run, so there is nothing to acknowledge.
 */
export function acknowledgeFinding(scope: IConstruct, id: string, reason: string): void {
  const validations = (cdk as { Validations?: typeof cdk.Validations }).Validations;
  if (validations === undefined) {
    return;
  }
  validations.of(scope).acknowledge({ id, reason });
}
