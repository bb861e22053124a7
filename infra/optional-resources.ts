/**
 * Resources that exist only when a deploy parameter is set (the worker's EKS access entry, the
 * alarm e-mail subscription). Decided when the stack is packaged, because the parameters are
 * package-time values: a CloudFormation `Condition` on them would be constant in the template
 * (cfn-lint W8003) and would leave invalid properties behind when false (E3033: an empty
 * `ClusterName`).
 */

type CfnResource = { Type: string; Properties: Record<string, unknown> };

/** The optional resources for these parameter values; empty strings mean "not wanted". */
export function buildOptionalResources(input: {
  /** EKS cluster that gets an access entry for the worker role. */
  eksAccessCluster: string;
  /** Kubernetes group the worker role is mapped to; give it only namespaced RBAC (infra/rbac/). */
  eksAccessGroup: string;
  /** Read-only Kubernetes group the health role is mapped to (bind infra/rbac/health-reader-role.yaml). */
  eksHealthAccessGroup?: string;
  /** E-mail address subscribed to the alarm topic. */
  alarmEmail: string;
}): { Resources: Record<string, CfnResource> } {
  const resources: Record<string, CfnResource> = {};
  if (input.eksAccessCluster !== "") {
    resources.WorkerEksAccessEntry = {
      Type: "AWS::EKS::AccessEntry",
      Properties: {
        ClusterName: input.eksAccessCluster,
        PrincipalArn: { "Fn::GetAtt": ["WorkerRole", "Arn"] },
        Type: "STANDARD",
        KubernetesGroups: [input.eksAccessGroup],
      },
    };
    resources.HealthEksAccessEntry = {
      Type: "AWS::EKS::AccessEntry",
      Properties: {
        ClusterName: input.eksAccessCluster,
        PrincipalArn: { "Fn::GetAtt": ["HealthRole", "Arn"] },
        Type: "STANDARD",
        KubernetesGroups: [input.eksHealthAccessGroup ?? "pullbridge:health"],
      },
    };
  }
  if (input.alarmEmail !== "") {
    resources.AlarmEmailSubscription = {
      Type: "AWS::SNS::Subscription",
      Properties: { TopicArn: { Ref: "AlarmTopic" }, Protocol: "email", Endpoint: input.alarmEmail },
    };
  }
  return { Resources: resources };
}
