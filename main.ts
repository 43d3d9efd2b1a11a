// Table of contents: one ClaimsStack per tenant environment declared in src/environments.ts.
import { App } from "cdktf";
import { ClaimsStack } from "./src/claims-stack";
import { environments } from "./src/environments";

const app = new App();
for (const environment of environments) new ClaimsStack(app, environment);
app.synth();
