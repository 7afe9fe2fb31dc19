// A streaming handler that ends the stream on every path, flushes the prelude for body-less
// responses, and does not keep the event loop busy after the response.
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import pg from "pg";
import { app } from "./app.mjs";

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });

export const handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  context.callbackWaitsForEmptyEventLoop = false;
  const response = await app.fetch(event, { pool });
  const stream = awslambda.HttpResponseStream.from(responseStream, {
    statusCode: response.status,
    headers: Object.fromEntries([...response.headers].filter(([name]) => name !== "set-cookie")),
    cookies: response.headers.getSetCookie(),
  });
  stream.write("");
  if (!response.body) {
    stream.end();
    return;
  }
  await pipeline(Readable.fromWeb(response.body), stream);
});
