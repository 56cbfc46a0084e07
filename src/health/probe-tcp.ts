/** tcp probe: the port accepts a connection within the timeout (kubelet's tcpSocket); in the addon when it is there. */
import { failed, PASSED, type ProbeResult } from './probe-result.js';
import { nativeProbe } from './native-probe.js';

export function probeTcp(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  const native = nativeProbe(host, port, '', timeoutMs);
  if (native) {
    return native.then(({ error }) =>
      error === null ? PASSED : failed(`tcp ${host}:${port}: ${error === 'timeout' ? `no connection within ${timeoutMs} ms` : error}`),
    );
  }
  return new Promise((resolve) => {
    // node:net on the first probe that needs it, not at every start
    const { connect } = require('node:net') as typeof import('node:net');
    const socket = connect({ host, port });
    const timer = setTimeout(() => finish(failed(`tcp ${host}:${port}: no connection within ${timeoutMs} ms`)), timeoutMs);
    const finish = (r: ProbeResult): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    socket.once('connect', () => finish(PASSED));
    socket.once('error', (err: NodeJS.ErrnoException) => finish(failed(`tcp ${host}:${port}: ${err.code ?? err.message}`)));
  });
}
