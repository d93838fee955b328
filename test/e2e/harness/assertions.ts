import type { EnvironmentOutput } from './invoke';
import type { Scenario } from './scenario';

/**
 * Checks that no token, raw or percent-encoded, reached anything the function printed,
 * returned, threw or sent to CloudFormation, and that tokens reached AWS only in
 * PutSecretValue requests. Secret access keys and session tokens must not appear there either.
 */
export function expectNoTokenLeak(scenario: Scenario, output: EnvironmentOutput): void {
  const tokens = [...scenario.tokens(), ...scenario.credentialSecrets()].flatMap((token) =>
    encodeURIComponent(token) === token ? [token] : [token, encodeURIComponent(token)],
  );
  const printed = [output.stdout, output.stderr, JSON.stringify(output.results)];
  const sentToCloudFormation = scenario.endpoints.cloudFormationResponses.map((response) => response.rawBody);
  const sentToAws = scenario.endpoints.calls
    .filter((call) => call.operation !== 'PutSecretValue')
    .map((call) => `${call.path}?${call.query.toString()} ${call.rawBody}`);
  for (const token of tokens) {
    for (const text of [...printed, ...sentToCloudFormation, ...sentToAws]) {
      expect(text).not.toContain(token);
    }
  }
  // The query string of the presigned response URL is a credential too.
  for (const signature of scenario.endpoints.responseUrlSignatures) {
    for (const text of printed) {
      expect(text).not.toContain(signature);
    }
  }
  expect(output.stderr).not.toContain('blocked a connection');
}

/** Checks that the secret still contains the value and the tag that it had before the test. */
export function expectSecretUnchanged(scenario: Scenario, versionsBefore = 1): void {
  expect(scenario.currentVersion().secretString).toBe(scenario.previousValue);
  expect(scenario.versionCount()).toBe(versionsBefore);
  expect(scenario.expiryTag()).toBe(scenario.previousExpiration);
}

/** Log lines of the function at one level, such as `ERROR`. */
export function logLines(output: EnvironmentOutput, level: string): Array<Record<string, unknown>> {
  return output.jsonLines.filter((line) => line.level === level);
}

/** Embedded metric format lines, by metric name. */
export function metricLines(output: EnvironmentOutput, metricName: string): Array<Record<string, unknown>> {
  return output.jsonLines.filter((line) => '_aws' in line && metricName in line);
}
