// Values serverless.yml computes from the project's own TypeScript modules, so the dashboard and
// alarms use the single metric-names module, IAM is derived from the targets, and the targets file
// is validated at package time (`osls package` fails on a typo, naming the field). Needs Node 24,
// which loads the .ts modules directly (`npx osls …` uses the project's Node 24).
const path = require("node:path");

let cached;
module.exports = async ({ options, resolveVariable }) => {
  if (cached) return cached;
  const param = (name) => resolveVariable(`param:${name}`);
  const { loadDeploymentVars } = await import(path.join(__dirname, "deployment-vars.ts"));
  cached = loadDeploymentVars({
    stage: options.stage ?? "dev",
    region: options.region ?? "us-east-1",
    targetsFile: path.resolve(__dirname, "..", await param("targetsFile")),
    workerTimeoutSeconds: Number(await param("workerTimeoutSeconds")),
    webhookSecretParameter: await param("webhookSecretParameter"),
    githubAppId: await param("githubAppId"),
    githubPrivateKeyParameter: await param("githubPrivateKeyParameter"),
    githubTokenParameter: await param("githubTokenParameter"),
    eksAccessCluster: await param("eksAccessCluster"),
    eksAccessGroup: await param("eksAccessGroup"),
    eksHealthAccessGroup: await param("eksHealthAccessGroup"),
    alarmEmail: await param("alarmEmail"),
    vpc: {
      vpcSubnetIds: await param("vpcSubnetIds"),
      vpcSecurityGroupIds: await param("vpcSecurityGroupIds"),
      vpcEndpoints: String(await param("vpcEndpoints")),
      vpcId: await param("vpcId"),
      vpcRouteTableIds: await param("vpcRouteTableIds"),
    },
  });
  return cached;
};
