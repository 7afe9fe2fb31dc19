// A streaming handler that ends the stream on every path, flushes the prelude for body-less
// responses, does not keep the event loop busy after the response, and iterates the body itself: a
// failing body rejects the handler (the runtime then ends the response with error trailers) instead of
// destroying the runtime's stream the way pipeline() would.
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
  for await (const chunk of response.body) {
    if (!stream.write(chunk)) await writable(stream);
  }
  stream.end();
});

/** Resolves when the stream can take more data, or will never need to (closed, failed). */
function writable(stream) {
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done).off("close", done).off("error", done);
      resolve();
    };
    stream.on("drain", done).on("close", done).on("error", done);
  });
}
