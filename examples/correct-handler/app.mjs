export const app = {
  async fetch(event) {
    if (event.rawPath === "/old") return new Response(null, { status: 301, headers: { location: "/new" } });
    return new Response("hello", { headers: { "content-type": "text/plain" } });
  },
};
