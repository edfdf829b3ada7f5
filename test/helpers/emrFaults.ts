/**
 * Fault injection for the EMR tests, at the network, where a real account's faults happen:
 *
 * - hangingListener: a TCP server on 127.0.0.1 that accepts connections and never answers (a stuck
 *   endpoint, a black-holing proxy). Every AWS call pointed at it can only end by a timeout or an abort.
 * - faultProxy: an HTTP proxy in front of the moto server that forwards every request unchanged, except
 *   those a rule matches, which get the rule's answer instead (a real AWS error body and status:
 *   throttling, 503, expired credentials, a dropped connection, S3's wrong-owner 403). It also records
 *   every request's method, path and headers, so a test can check what the SDK really sent.
 */
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage } from 'node:http';
import { createServer, type Socket } from 'node:net';

export interface HangingListener {
  endpoint: string;
  /** Connections accepted so far. */
  readonly accepted: number;
  close(): Promise<void>;
}

export function hangingListener(): Promise<HangingListener> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    // Read and ignore: never a byte back.
    socket.resume();
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      resolve({
        endpoint: `http://127.0.0.1:${port}`,
        get accepted() {
          return accepted;
        },
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  /** The EMR/STS operation (X-Amz-Target or Action=), or `S3 <METHOD>` for S3. */
  operation: string;
}

export interface FaultRule {
  /** Which requests this rule answers (by the recorded request). */
  match: (request: RecordedRequest) => boolean;
  /** How many matching requests it answers before it stops (Infinity: all). */
  times: number;
  /**
   * The answer; 'drop' closes the connection without one; 'lose-answer' forwards the request (the
   * server acts on it) and then closes the connection instead of passing the answer on.
   */
  respond: { status: number; headers?: Record<string, string>; body: string } | 'drop' | 'lose-answer';
}

export interface FaultProxy {
  endpoint: string;
  readonly requests: RecordedRequest[];
  /** Requests a rule answered, by operation. */
  readonly faulted: string[];
  add(rule: FaultRule): void;
  clear(): void;
  close(): Promise<void>;
}

function operationOf(path: string, headers: IncomingMessage['headers'], body: string): string {
  const target = headers['x-amz-target'];
  if (typeof target === 'string') return target.split('.').pop() ?? target; // ElasticMapReduce.DescribeCluster
  const action = /(?:^|&)Action=([A-Za-z]+)/.exec(body)?.[1];
  if (action) return action; // STS (query protocol)
  return `S3`;
}

export function faultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const requests: RecordedRequest[] = [];
  const faulted: string[] = [];
  let rules: Array<FaultRule & { used: number }> = [];
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        operation: operationOf(req.url ?? '/', req.headers, body.toString('utf8')),
      };
      requests.push(recorded);
      const rule = rules.find((r) => r.used < r.times && r.match(recorded));
      if (rule) {
        rule.used++;
        faulted.push(recorded.operation);
        if (rule.respond === 'drop') {
          req.socket.destroy();
          return;
        }
        if (rule.respond === 'lose-answer') {
          const forward = httpRequest(
            { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
            (answer) => answer.resume().on('end', () => req.socket.destroy()),
          );
          forward.on('error', () => req.socket.destroy());
          forward.end(body);
          return;
        }
        res.writeHead(rule.respond.status, { 'content-type': 'application/json', ...rule.respond.headers });
        res.end(rule.respond.body);
        return;
      }
      const forward = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => res.destroy());
      forward.end(body);
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      resolve({
        endpoint: `http://127.0.0.1:${port}`,
        requests,
        faulted,
        add: (rule) => rules.push({ ...rule, used: 0 }),
        clear: () => {
          rules = [];
        },
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/** An AWS JSON-protocol error answer (EMR): status, x-amzn-ErrorType and the body the SDK parses. */
export function awsJsonError(status: number, type: string, message: string): FaultRule['respond'] {
  return {
    status,
    headers: { 'x-amzn-errortype': type, 'content-type': 'application/x-amz-json-1.1' },
    body: JSON.stringify({ __type: type, message }),
  };
}

/** S3's XML error answer. */
export function s3XmlError(status: number, code: string, message: string): FaultRule['respond'] {
  return {
    status,
    headers: { 'content-type': 'application/xml' },
    body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`,
  };
}
