/**
 * TCP (or TLS) sockets for distribution links: `listen` accepts, `dial`
 * connects. TLS is mutual: the server asks for and verifies a client
 * certificate signed by `ca`, the client presents its own and verifies the
 * server's, so only holders of a cluster certificate get as far as the
 * cookie handshake, which runs unchanged inside the TLS stream.
 *
 * Sockets come out with Nagle off (the connection coalesces writes itself)
 * and with an `'error'` listener that swallows the event, so an error on a
 * socket nobody listens to yet cannot crash the process; it still closes the
 * socket, which the handshake or connection sees.
 */
import { createServer, connect as netConnect, isIP } from 'node:net';
import { createServer as createTlsServer, connect as tlsConnect } from 'node:tls';
import { consoleLogger, systemClock } from '@tekka/actors';
import { DialError, PortInUseError } from './errors.js';
export { nodePort, parseNodeName, isNodeName, DEFAULT_BASE_PORT, PORT_OFFSET_LIMIT } from './node-name.js';
export const DEFAULT_DIAL_TIMEOUT = 5000;
function guardErrors(socket) {
    socket.on('error', () => { });
}
/** Starts accepting connections on host:port; EADDRINUSE becomes PortInUseError. */
export async function listen(options) {
    const { host, port, tls, onConnection } = options;
    const logger = options.logger ?? consoleLogger('tekka:dist:transport');
    const handshakeTimeout = options.tlsHandshakeTimeout ?? 5000;
    const server = tls === undefined
        ? createServer()
        : createTlsServer({
            key: tls.key,
            cert: tls.cert,
            ca: tls.ca,
            requestCert: true,
            rejectUnauthorized: true,
            minVersion: 'TLSv1.2',
            handshakeTimeout
        });
    let closed = false;
    const accept = (socket) => {
        guardErrors(socket);
        if (closed) {
            socket.destroy();
            return;
        }
        socket.setNoDelay(true);
        try {
            onConnection(socket);
        }
        catch (err) {
            logger.error('onConnection threw; dropping the socket', { error: err });
            socket.destroy();
        }
    };
    if (tls === undefined)
        server.on('connection', accept);
    else {
        server.on('secureConnection', accept);
        server.on('tlsClientError', (err, socket) => {
            logger.warn('refused a TLS client', { error: err, remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}` });
        });
    }
    await new Promise((resolve, reject) => {
        const onError = (err) => {
            server.off('listening', onListening);
            reject(err.code === 'EADDRINUSE' ? new PortInUseError(host, port, { cause: err }) : err);
        };
        const onListening = () => {
            server.off('error', onError);
            resolve();
        };
        server.once('error', onError);
        server.once('listening', onListening);
        server.listen({ host, port, backlog: options.backlog });
    });
    server.on('error', (err) => { logger.error('listener error', { error: err, host, port }); });
    const address = server.address();
    const bound = typeof address === 'object' && address !== null ? address.port : port;
    return {
        host,
        port: bound,
        async close() {
            if (closed)
                return;
            closed = true;
            // No callback: Server#close waits for every accepted socket to end, and those are not ours.
            server.close();
        }
    };
}
/** Connects to host:port (TCP, or mutual TLS) within `timeout`; failures become DialError. */
export async function dial(options) {
    const { host, port, tls } = options;
    const local = options.localAddress !== undefined ? { localAddress: options.localAddress } : {};
    const timeout = options.timeout ?? DEFAULT_DIAL_TIMEOUT;
    const clock = options.clock ?? systemClock();
    const signal = options.signal;
    signal?.throwIfAborted();
    return await new Promise((resolve, reject) => {
        const socket = tls === undefined
            ? netConnect({ host, port, ...local })
            : tlsConnect({
                host,
                port,
                ...local,
                key: tls.key,
                cert: tls.cert,
                ca: tls.ca,
                minVersion: 'TLSv1.2',
                // SNI must be a host name, never an IP literal.
                ...(isIP(host) === 0 ? { servername: host } : {}),
                ...(tls.verifyHostname === false ? { checkServerIdentity: () => undefined } : {})
            });
        guardErrors(socket);
        const ready = tls === undefined ? 'connect' : 'secureConnect';
        const cleanup = () => {
            clock.clearTimeout(timer);
            socket.off(ready, onReady);
            socket.off('error', onError);
            socket.off('close', onClose);
            signal?.removeEventListener('abort', onAbort);
        };
        const fail = (err) => {
            cleanup();
            socket.destroy();
            reject(err);
        };
        const onReady = () => {
            cleanup();
            socket.setNoDelay(true);
            resolve(socket);
        };
        const onError = (err) => { fail(new DialError(host, port, err.code ?? err.message, { cause: err })); };
        const onClose = () => { fail(new DialError(host, port, 'connection closed during setup')); };
        const onAbort = () => { fail(signal?.reason); };
        const timer = clock.setTimeout(() => {
            fail(new DialError(host, port, `no connection within ${timeout} ms`, { code: 'ERR_DIAL_TIMEOUT' }));
        }, timeout);
        socket.once(ready, onReady);
        socket.once('error', onError);
        socket.once('close', onClose);
        signal?.addEventListener('abort', onAbort, { once: true });
    });
}
/** The default transport: `listen` and `dial` above. */
export const tcpTransport = { listen, dial };
//# sourceMappingURL=transport.js.map