// A tiny web server for the example Procfile: answers on 127.0.0.1:$PORT.
const http = require('node:http');
const port = Number(process.env.PORT || 5000);
http
  .createServer((req, res) => {
    console.log(`${req.method} ${req.url}`);
    res.end(`hello from ${process.env.PS}\n`);
  })
  .listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${port}`));
process.on('SIGTERM', () => {
  console.log('SIGTERM: shutting down');
  process.exit(0);
});
