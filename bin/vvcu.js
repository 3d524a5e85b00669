#!/usr/bin/env -S node --max-semi-space-size=64
// The Node flags above are the stack's (test/e2e/harness.ts reads them from this line). A twin's
// state is replaced with each CAM, so it lives about 100 ms: long enough to outlive V8's default
// young generation (16 MiB semi-spaces), be promoted and then collected by full collections,
// every 2.5 s at 2,000 vehicles, each slowing the event loop for about 100 ms. With 64 MiB most
// states die young (docs/performance.md has the figures). Node takes heap sizes only at start,
// hence the shebang; `npm start` runs this file as an executable so that the flags apply.
// The CLI is TypeScript run through tsx, so `npm install && npm start` needs no build step.
import { register } from "tsx/esm/api";

register();
await import("../cli/main.ts");
