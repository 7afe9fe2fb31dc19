export function awsRequest(event) {
  const url = `https://${event.requestContext?.domainName ?? "localhost"}${event.rawPath ?? "/"}`;
  return new Request(url, { method: event.requestContext?.http?.method ?? "GET", headers: event.headers });
}

export function awsResponseHeaders(response) {
  const headers = {};
  const cookies = [];
  response.headers.forEach((value, name) => {
    if (name === "set-cookie") cookies.push(value);
    else headers[name] = value;
  });
  return { headers, cookies };
}
