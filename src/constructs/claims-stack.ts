// One tenant environment: the auth0 provider (credentials from the environment only), a state
// backend, the AppMetadataClaims construct and the environment's post-login flow.
import { CloudBackend, LocalBackend, NamedCloudWorkspace, S3Backend, TerraformStack } from "cdktf";
import { type Construct } from "constructs";
import { Auth0Provider } from "../../.gen/providers/auth0/provider";
import { AppMetadataClaims } from "./app-metadata-claims";
import { CLAIMS_RESOURCE } from "../compile/claims-action";
import { ConstructPropError } from "./construct-error";
import { environmentFlow } from "./environment-flow";
import type { PostLoginFlow } from "./post-login-flow";
import type { Backend, EnvironmentConfig } from "../environments";
import { quote } from "../errors";

export class ClaimsStack extends TerraformStack {
  public readonly environment: EnvironmentConfig;
  public readonly claims: AppMetadataClaims;
  /** The post-login flow: the claims action and the environment's other actions, bound in order. */
  public readonly flow: PostLoginFlow;
  /** Actions taken out of the flow but still deployed (step 1 of removing them), in an unbound flow; undefined when none. */
  public readonly retired?: PostLoginFlow;

  constructor(scope: Construct, environment: EnvironmentConfig) {
    if (!/^[a-z][a-z0-9-]{0,62}$/.test(environment.name)) {
      // Checked before the stack exists: named by the environment, not by a construct's path.
      throw new ConstructPropError(
        "environments",
        "ERR_STACK_NAME",
        `name ${quote(environment.name)} can't be a stack name; use lower case letters, digits and "-", starting with a letter`,
      );
    }
    super(scope, environment.name);
    this.environment = environment;
    // No arguments on purpose: the provider reads AUTH0_DOMAIN, AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET
    // (or AUTH0_API_TOKEN) when Terraform runs, so no credential is ever written to cdktf.out.
    new Auth0Provider(this, "auth0", {});
    addBackend(this, environment.name, environment.backend ?? { type: "local" });
    this.claims = new AppMetadataClaims(this, CLAIMS_RESOURCE, {
      namespace: environment.namespace,
      claimKeys: environment.claimKeys,
      tokens: environment.tokens,
      actionName: environment.actionName,
      secrets: environment.secrets?.map((name) => ({ name })),
      adopt: environment.adopt,
    });
    ({ flow: this.flow, retired: this.retired } = environmentFlow(this, "post_login", environment, this.claims));
  }
}

function addBackend(stack: TerraformStack, name: string, backend: Backend): void {
  switch (backend.type) {
    case "local":
      // Relative to cdktf.out/stacks/<name>, where Terraform runs: the state file sits in the project's
      // folder, and no absolute path of this machine ends up in the synthesized JSON.
      new LocalBackend(stack, { path: backend.path ?? `../../../terraform.${name}.tfstate` });
      return;
    case "s3":
      new S3Backend(stack, {
        bucket: backend.bucket,
        key: backend.key,
        region: backend.region,
        encrypt: backend.encrypt ?? true,
      });
      // S3-native locking (Terraform >= 1.10); cdktf 0.21's S3BackendConfig predates the option.
      stack.addOverride("terraform.backend.s3.use_lockfile", true);
      return;
    case "cloud":
      new CloudBackend(stack, {
        organization: backend.organization,
        hostname: backend.hostname,
        workspaces: new NamedCloudWorkspace(backend.workspace),
      });
      return;
    default:
      throw new ConstructPropError(
        stack,
        "ERR_BACKEND",
        `backend.type: ${quote((backend as { type: unknown }).type)} is unknown; use "local", "s3" or "cloud"`,
      );
  }
}
