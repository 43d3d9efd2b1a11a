// cdktf's matchers (toHaveResourceWithProperties, ...) on jest's expect, with their types. Imported
// by the test files that use them, not set up for every file: it loads cdktf, which most files never need.
import type {} from "cdktf/lib/testing/adapters/jest";
import { Testing } from "cdktf";

Testing.setupJest();
