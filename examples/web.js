// A tiny web server for the example Procfile: answers on $HOST:$PORT (default 0.0.0.0:5000), so that it
// is reachable in a container and behind a Service, as container programs should be. HOST=127.0.0.1 keeps
// it on this machine.
const http = require('node:http');
const port = Number(process.env.PORT || 5000);
const host = process.env.HOST || '0.0.0.0';
const server = http.createServer((req, res) => {
  console.log(`${req.method} ${req.url}`);
  res.end(`hello from ${process.env.PS}\n`);
});
server.listen(port, host, () => console.log(`listening on http://${host}:${server.address().port}`));
process.on('SIGTERM', () => {
  console.log('SIGTERM: shutting down');
  process.exit(0);
});
