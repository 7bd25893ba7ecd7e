// node --test: the server answers /health.
"use strict";

const assert = require("node:assert");
const test = require("node:test");
const { server } = require("./server.js");

test("GET /health", async () => {
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const { port } = server.address();
    const response = await fetch(`http://127.0.0.1:${port}/health`);
    assert.strictEqual(response.status, 200);
    assert.deepStrictEqual(await response.json(), { status: "ok", service: "frontend" });
  } finally {
    server.close();
  }
});
