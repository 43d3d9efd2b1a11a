// Adds cdktf's matchers (toHaveResourceWithProperties, ...) to jest's expect.
import { Testing } from "cdktf";

Testing.setupJest();
