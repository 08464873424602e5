// http_handler_js: the HTTP handler of examples/http_handler, in JavaScript, with
// StarlingMonkey's fetch event (as a service worker is written); componentize-js makes it
// a wasi:http/proxy component, which exports wasi:http/incoming-handler.
//
// - `/echo`: the request body back, streamed, with the request's `content-type`.
// - `/hello`: JSON with the time (wall clock, seconds) and a random id.
// - `/upstream?url=URL`: GETs URL (fetch) and answers `STATUS SHA256` of its body.
// - `/big?bytes=N`: N bytes of a repeating pattern, streamed.
// - `/panic`: throws; the engine logs the error and answers 500 (the handler does not trap).
// - anything else: 404.

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const text = (status, body, type = 'text/plain') =>
  new Response(body, { status, headers: { 'content-type': type } });

async function handle(request) {
  const url = new URL(request.url);
  switch (url.pathname) {
    case '/echo': {
      const type = request.headers.get('content-type') ?? 'application/octet-stream';
      return new Response(request.body, { headers: { 'content-type': type } });
    }
    case '/hello': {
      const time = Math.floor(Date.now() / 1000);
      const id = hex(crypto.getRandomValues(new Uint8Array(8)));
      return text(200, `{"time": ${time}, "id": "${id}"}\n`, 'application/json');
    }
    case '/upstream': {
      const target = url.searchParams.get('url');
      if (!target) return text(400, '?url= is missing\n');
      let upstream, body;
      try {
        upstream = await fetch(target);
        body = await upstream.arrayBuffer();
      } catch (error) {
        return text(502, `${error}\n`);
      }
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', body));
      return text(200, `${upstream.status} ${hex(digest)}\n`);
    }
    case '/big': {
      const bytes = url.searchParams.get('bytes');
      if (!/^\d+$/.test(bytes ?? '')) return text(400, '?bytes=N is missing\n');
      let left = Number(bytes);
      const chunk = new TextEncoder().encode('0123456789abcdef'.repeat(4096));
      const stream = new ReadableStream({
        pull(controller) {
          if (left === 0) return controller.close();
          const n = Math.min(left, chunk.length);
          controller.enqueue(chunk.slice(0, n)); // a copy: the engine takes what it is given
          left -= n;
        },
      });
      return new Response(stream, { headers: { 'content-type': 'application/octet-stream' } });
    }
    case '/panic':
      throw new Error('the handler was asked to panic');
    default:
      return text(404, 'not found\n');
  }
}

addEventListener('fetch', (event) => event.respondWith(handle(event.request)));
