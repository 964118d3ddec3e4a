/**
 * The deployment's lifecycle hook, a Lambda function (runtime nodejs20.x, handler index.handler).
 * CodeDeploy invokes it with { DeploymentId, LifecycleEventHookExecutionId } and waits until it
 * reports back through PutLifecycleEventHookExecutionStatus: Succeeded lets the deployment go on,
 * Failed fails it (and, with automatic rollback on, sends traffic back to the original version).
 *
 * Here it runs after production traffic moved to v2 (AfterAllowTraffic): it asks the production
 * listener (CHECK_URL) a few times whether the app answers, and reports Failed when it does not,
 * or when its environment says BREAK=1 (how the example plays a v2 that turns out to be bad).
 * The same code runs unchanged on AWS Lambda: the SDK is the runtime's own, and the client takes
 * its endpoint, region and credentials from the environment. CommonJS, as Lambda runs a .js file
 * with no package.json beside it (in this repository the file is only packaged, never run).
 */
'use strict';
const { CodeDeployClient, PutLifecycleEventHookExecutionStatusCommand } = require('@aws-sdk/client-codedeploy');

const codedeploy = new CodeDeployClient({});

/** Whether the app answers 200 on `url`, `tries` times in a row. */
async function answers(url, tries) {
  for (let i = 0; i < tries; i++) {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    const body = (await res.text()).trim();
    console.log(`GET ${url} -> ${res.status} ${body}`);
    if (res.status !== 200) return false;
  }
  return true;
}

exports.handler = async (event) => {
  const { DeploymentId, LifecycleEventHookExecutionId } = event;
  let status = 'Succeeded';
  try {
    if (process.env.CHECK_URL && !(await answers(process.env.CHECK_URL, 3))) status = 'Failed';
  } catch (err) {
    console.log(`the check failed: ${err.message}`);
    status = 'Failed';
  }
  if (process.env.BREAK === '1') {
    console.log('BREAK=1: this version is declared broken');
    status = 'Failed';
  }
  console.log(`deployment ${DeploymentId}: reporting ${status}`);
  await codedeploy.send(new PutLifecycleEventHookExecutionStatusCommand({ deploymentId: DeploymentId, lifecycleEventHookExecutionId: LifecycleEventHookExecutionId, status }));
  return status;
};
