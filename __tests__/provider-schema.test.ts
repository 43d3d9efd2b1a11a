// The offline provider schema is the floor release's, attribute by attribute: it must agree with the
// list recorded from that release's Go source (schema/floor-attributes.json), and the floor must be
// the one cdktf.json and the bindings generator name.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Testing } from "cdktf";
import { TriggerAction } from "../.gen/providers/auth0/trigger-action";
import { projectRoot } from "../src/project-root";
import { satisfies } from "../src/provider-lock";

interface Attribute {
  type: string;
  required?: boolean;
  optional?: boolean;
  computed?: boolean;
  sensitive?: boolean;
}
interface Block {
  attributes?: Record<string, Attribute>;
  block_types?: Record<string, { nesting_mode: string; min_items?: number; max_items?: number; block: Block }>;
}

const root = projectRoot();
const read = (file: string) => readFileSync(join(root, file), "utf8");
const schema = JSON.parse(read("schema/auth0-provider-schema.json")).provider_schemas[
  "registry.terraform.io/auth0/auth0"
];
const recorded = JSON.parse(read("schema/floor-attributes.json")) as {
  release: string;
  provider_block: Record<string, string>;
  resources: Record<string, Record<string, string>>;
};

/** The schema block in the recorded list's words: "string optional+computed", "block list min 1 max 1". */
function flatten(block: Block, prefix = ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, a] of Object.entries(block.attributes ?? {})) {
    out[prefix + name] =
      `${a.type} ${(["required", "optional", "computed", "sensitive"] as const).filter((f) => a[f]).join("+")}`;
  }
  for (const [name, b] of Object.entries(block.block_types ?? {})) {
    out[prefix + name] = [
      "block",
      b.nesting_mode,
      ...(b.min_items !== undefined ? ["min", b.min_items] : []),
      ...(b.max_items !== undefined ? ["max", b.max_items] : []),
    ].join(" ");
    Object.assign(out, flatten(b.block, `${prefix}${name}.`));
  }
  return out;
}

test("the provider block has exactly the floor release's attributes, types and flags", () => {
  expect(flatten(schema.provider.block)).toEqual(recorded.provider_block);
});

test("the schema holds exactly the recorded resources", () => {
  expect(Object.keys(schema.resource_schemas).sort()).toEqual(Object.keys(recorded.resources).sort());
});

test.each(["auth0_action", "auth0_trigger_action", "auth0_trigger_actions"])(
  "%s has exactly the floor release's attributes and blocks",
  (resource) => {
    expect(flatten(schema.resource_schemas[resource].block)).toEqual(recorded.resources[resource]);
  },
);

test("cdktf.json's constraint starts at the recorded release, and the generator names it", () => {
  const version = recorded.release.replace(/^v/, "");
  const constraint = (JSON.parse(read("cdktf.json")).terraformProviders as string[])
    .find((p) => p.startsWith("auth0/auth0@"))!
    .split("@")[1];
  expect(satisfies(version, constraint)).toBe(true);
  const [major, minor] = version.split(".").map(Number);
  expect(satisfies(`${major}.${minor - 1}.99`, constraint)).toBe(false);
  expect(read("scripts/generate-bindings.mjs")).toContain(`const PINNED_VERSION = "${version}";`);
});

test("auth0_trigger_action.display_name is in the bindings, optional, and synthesized when set", () => {
  const json = JSON.parse(
    Testing.synthScope(
      (scope) => new TriggerAction(scope, "bind", { trigger: "post-login", actionId: "a1", displayName: "Claims" }),
    ),
  );
  expect(json.resource.auth0_trigger_action.bind).toEqual({
    trigger: "post-login",
    action_id: "a1",
    display_name: "Claims",
  });
});
