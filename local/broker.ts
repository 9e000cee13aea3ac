/**
 * The local MQTT broker (the AWS IoT Core stand-in): aedes on TCP, and MQTT over WebSocket — on its own
 * port (`wsPort`) and/or on another HTTP server's upgrade requests (the API server's /mqtt, so a browser
 * dashboard served from the same origin can subscribe).
 *
 * Ingestion happens in `authorizePublish`, which aedes runs before it acknowledges a PUBLISH (PUBACK for
 * QoS 1): a device message that an ingest rule matches is handed to `ingest` (the rules engine and the
 * durable queue) and only acknowledged once that resolves. If it fails, the publish is refused, aedes
 * drops the connection, and the device sends the message again after reconnecting — so a message the
 * broker acknowledged is never lost, as with IoT Core. Basic Ingest topics (`$aws/rules/<rule>/…`) go to
 * their rule only, never to subscribers.
 */
import { createServer as createHttpServer, type Server as HttpServer, type IncomingMessage } from 'node:http';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Aedes, type AedesPublishPacket, type Client } from 'aedes';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { hostRefusal, isCrossSite, refuseUpgrade } from './request-guard.js';
import { isBasicIngestTopic, matchIngestRule, type RuleMatch } from './rules-engine.js';

export interface BrokerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** MQTT over WebSocket on its own port (0: a free one); none when absent. */
  readonly wsPort?: number;
  /** Takes a device message an ingest rule matched; the broker acknowledges it once this resolves. */
  readonly ingest: (match: RuleMatch, payload: Buffer, receivedAt: number) => Promise<void>;
  /** A publish refused because `ingest` failed (the client is disconnected and will resend). */
  readonly onIngestError?: (error: Error, topic: string, clientId: string | undefined) => void;
}

export type MessageHandler = (topic: string, payload: Buffer) => void;

export interface LocalBroker {
  readonly aedes: Aedes;
  readonly port: number;
  readonly wsPort: number | undefined;
  /** Hands an HTTP upgrade request to the broker as an MQTT-over-WebSocket connection. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Whether the TCP listener accepts connections. */
  listening(): boolean;
  /** Subscribes in process (like a QoS 1 subscriber); returns the unsubscribe function. */
  subscribe(filter: string, handler: MessageHandler): () => void;
  /** Stops accepting connections and disconnects every client (in-process publishing still works). */
  closeListeners(): Promise<void>;
  /**
   * Listens again on the same port(s) after `closeListeners`: with it, a broker restart as devices see
   * it (connections dropped, refused while down, clean sessions), for fault-injection tests.
   */
  reopenListeners(): Promise<void>;
  /** Closes the listeners and the broker. */
  close(): Promise<void>;
}

/** Why a port could not be bound, in words a user can act on. */
export class PortInUseError extends Error {
  constructor(
    readonly what: string,
    readonly host: string,
    readonly port: number,
    readonly flag: string,
  ) {
    super(
      `${what} cannot listen on ${host}:${port}: the port is in use (another instance, or another service${port === 1883 ? ' such as a system MQTT broker: mosquitto' : ''}${port === 5000 ? ' — on macOS the AirPlay Receiver takes port 5000' : ''}). Stop it, or choose another port with ${flag}`,
    );
    this.name = 'PortInUseError';
  }
}

/** Listens, turning EADDRINUSE/EACCES into a PortInUseError naming the flag that changes the port. */
export function listen(
  server: Server | HttpServer,
  host: string,
  port: number,
  what: string,
  flag: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE' || error.code === 'EACCES')
        reject(new PortInUseError(what, host, port, flag));
      else reject(error);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export async function startBroker(options: BrokerOptions): Promise<LocalBroker> {
  const aedes = await Aedes.createBroker({
    authorizePublish(client: Client | null, packet, callback) {
      if (packet.topic.startsWith('$SYS/')) {
        callback(new Error('$SYS/ topics are reserved'));
        return;
      }
      const match = matchIngestRule(packet.topic);
      // Only what devices publish is ingested (the processor's own events are published in process).
      if (match === undefined || client === null) {
        callback(null);
        return;
      }
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      options.ingest(match, payload, Date.now()).then(
        () => callback(null),
        (error: unknown) => {
          const cause = error instanceof Error ? error : new Error(String(error));
          options.onIngestError?.(cause, packet.topic, client.id);
          callback(cause);
        },
      );
    },
    // Basic Ingest skips the message broker: nothing subscribed receives those messages.
    authorizeForward(_client, packet) {
      return isBasicIngestTopic(packet.topic) ? null : packet;
    },
  });

  const sockets = new Set<Socket | Duplex>();
  /** Set while the listeners are closed (stopping, or a restart). */
  let listenersClosed: Promise<void> | undefined;
  const track = (socket: Socket | Duplex) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  const tcp = createServer((socket) => {
    track(socket);
    aedes.handle(socket);
  });
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    // MQTT clients ask for the "mqtt" subprotocol (MQTT 3.1: "mqttv3.1").
    handleProtocols: (protocols) =>
      protocols.has('mqtt') ? 'mqtt' : protocols.has('mqttv3.1') ? 'mqttv3.1' : false,
  });
  const handleUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Down (stopping, or restarting): MQTT over the API port's /mqtt is refused like the TCP listener.
    if (listenersClosed !== undefined) {
      socket.destroy();
      return;
    }
    track(socket);
    wss.handleUpgrade(request, socket, head, (ws) => {
      const stream = createWebSocketStream(ws);
      stream.on('error', () => stream.destroy());
      aedes.handle(stream, request);
    });
  };
  let wsServer: HttpServer | undefined;

  const closeServer = (server: Server | HttpServer | undefined) =>
    new Promise<void>((resolve) => (server?.listening ? server.close(() => resolve()) : resolve()));
  const closeListeners = () => {
    listenersClosed ??= (async () => {
      const closing = Promise.all([closeServer(tcp), closeServer(wsServer)]);
      // Dropping the connections disconnects their clients (aedes notices the closed streams).
      for (const socket of sockets) socket.destroy();
      await closing;
    })();
    return listenersClosed;
  };

  try {
    const port = await listen(tcp, options.host, options.port, 'The MQTT broker', '--mqtt-port');
    let wsPort: number | undefined;
    if (options.wsPort !== undefined) {
      const server = createHttpServer((_request, response) => {
        response.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' });
        response.end('MQTT over WebSocket: connect with an MQTT client to ws://<host>:<port>/\n');
      });
      // The API server guards its /mqtt the same way before handing it over (request-guard.ts).
      server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
        if (
          hostRefusal(request.headers.host, options.host) !== undefined ||
          isCrossSite(request.headers.origin, request.headers.host)
        )
          refuseUpgrade(socket);
        else handleUpgrade(request, socket, head);
      });
      wsServer = server;
      wsPort = await listen(server, options.host, options.wsPort, 'MQTT over WebSocket', '--ws-port');
    }
    return {
      aedes,
      port,
      wsPort,
      handleUpgrade,
      listening: () => tcp.listening && !aedes.closed,
      subscribe(filter, handler) {
        const deliver = (packet: AedesPublishPacket, done: () => void) => {
          try {
            handler(
              packet.topic,
              Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload),
            );
          } finally {
            done();
          }
        };
        aedes.subscribe(filter, deliver, () => {});
        return () => aedes.unsubscribe(filter, deliver, () => {});
      },
      closeListeners,
      async reopenListeners() {
        if (listenersClosed === undefined) return;
        await listenersClosed;
        if (aedes.closed) throw new Error('the broker is closed');
        await listen(tcp, options.host, port, 'The MQTT broker', '--mqtt-port');
        if (wsServer !== undefined && wsPort !== undefined)
          await listen(wsServer, options.host, wsPort, 'MQTT over WebSocket', '--ws-port');
        listenersClosed = undefined;
      },
      async close() {
        await closeListeners();
        wss.close();
        await new Promise<void>((resolve) => aedes.close(() => resolve()));
      },
    };
  } catch (error) {
    await closeListeners();
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    throw error;
  }
}
