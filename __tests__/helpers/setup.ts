// Adds cdktf's matchers (toHaveResourceWithProperties, ...) to jest's expect, and their types.
import type {} from "cdktf/lib/testing/adapters/jest";
import { Testing } from "cdktf";

Testing.setupJest();
