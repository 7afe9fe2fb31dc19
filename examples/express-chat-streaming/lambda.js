// Express on Lambda with a Function URL in RESPONSE_STREAM mode (seed 001): buffered routes go
// through serverless-http, the chat route streams word by word.
import { PassThrough } from "stream";
import http from "http";
import serverless from "serverless-http";
import { Pool } from "pg";
import { app } from "./app.js";

const serverlessHandler = serverless(app);
export const pool = new Pool({ connectionString: process.env.DATABASE_URL });

export const handler = awslambda.streamifyResponse(async (event, responseStream, _context) => {
  const method = event.requestContext?.http?.method;
  const path = event.rawPath || "";
  if (path.includes("/api/chat") && method === "POST") {
    try {
      await handleChatStreaming(event, responseStream);
    } catch (err) {
      console.error("[Lambda] Streaming failed, falling back to buffered:", err);
      await handleBuffered(event, responseStream);
    }
  } else {
    await handleBuffered(event, responseStream);
  }
});

async function handleBuffered(event, responseStream) {
  const result = await serverlessHandler(event, {});
  const metadata = { statusCode: result.statusCode || 200, headers: result.headers || {} };
  responseStream = awslambda.HttpResponseStream.from(responseStream, metadata);
  responseStream.write(result.isBase64Encoded ? Buffer.from(result.body, "base64") : result.body || "");
  responseStream.end();
  await responseStream.finished();
}

async function handleChatStreaming(event, responseStream) {
  const req = new http.IncomingMessage(new PassThrough());
  req.method = "POST";
  req.url = event.rawPath;
  const res = new http.ServerResponse(req);
  responseStream = awslambda.HttpResponseStream.from(responseStream, {
    statusCode: 200,
    headers: { "content-type": "text/event-stream" },
  });
  responseStream.write(": stream open\n\n");
  res.write = (chunk) => responseStream.write(chunk);
  res.end = (chunk) => {
    if (chunk) responseStream.write(chunk);
    responseStream.end();
  };
  await app.handleChat(req, res);
}
