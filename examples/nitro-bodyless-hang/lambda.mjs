// A Nitro-style AWS Lambda streaming entry, as shipped in nitro@3.0.1-alpha.1
// (dist/presets/aws-lambda/runtime/aws-lambda-streaming.mjs), plus the app's own pg pool.
import pg from "pg";
import { useNitroApp } from "nitro/app";
import { awsRequest, awsResponseHeaders } from "./utils.mjs";

const nitroApp = useNitroApp();
export const db = new pg.Pool({ connectionString: process.env.DATABASE_URL });

export const handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  const request = awsRequest(event, context);
  const response = await nitroApp.fetch(request);
  response.headers.set("transfer-encoding", "chunked");
  const httpResponseMetadata = {
    statusCode: response.status,
    ...awsResponseHeaders(response),
  };
  if (response.body) {
    const writer = awslambda.HttpResponseStream.from(responseStream, httpResponseMetadata);
    const reader = response.body.getReader();
    await streamToNodeStream(reader, responseStream);
    writer.end();
  }
});

async function streamToNodeStream(reader, writer) {
  let readResult = await reader.read();
  while (!readResult.done) {
    writer.write(readResult.value);
    readResult = await reader.read();
  }
  writer.end();
}
