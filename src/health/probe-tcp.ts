/** tcp probe: the port accepts a connection within the timeout (kubelet's tcpSocket). */
import { connect } from 'node:net';
import { failed, PASSED, type ProbeResult } from './probe-result.js';

export function probeTcp(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
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
