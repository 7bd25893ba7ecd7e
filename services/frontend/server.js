// frontend: Web front end (scaffold only).
// A minimal HTTP server on $PORT (default 4321): GET /health answers {"status":"ok"}.
"use strict";

const http = require("node:http");

const host = process.env.HOST || "127.0.0.1";
const port = Number(process.env.PORT || 4321);

const server = http.createServer((req, res) => {
  if (req.method === "GET" && req.url === "/health") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ status: "ok", service: "frontend" }));
    return;
  }
  res.writeHead(404, { "content-type": "application/json" });
  res.end(JSON.stringify({ detail: "not found" }));
});

if (require.main === module) {
  server.listen(port, host, () => console.log(`frontend listening on http://${host}:${port}`));
}

module.exports = { server };
