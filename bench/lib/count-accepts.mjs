// Preloaded (node --import) into the bench's backend instances: counts the TCP connections its HTTP server accepts and
// answers GET /__bench/accepts with the count, so the bench can tell how many new upstream connections a proxy opened.
import http from 'node:http';

let accepted = 0;
const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function countingEmit(event, ...args) {
  if (event === 'connection') accepted++;
  else if (event === 'request' && args[0].url === '/__bench/accepts') {
    args[1].writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted }));
    return true;
  }
  return emit.call(this, event, ...args);
};
