/**
 * moto 5.1.22's EMR Serverless answers `createdAt`/`updatedAt` (and the other *At fields) as ISO date
 * strings; the API, and so the AWS SDK's deserializer, has epoch seconds there, and the SDK refuses the
 * answer ("Expected real number"). This proxy sits between the SDK and moto and rewrites those fields
 * to numbers, nothing else: every request and every other byte of the answer is moto's.
 */
import { createServer, request as httpRequest } from 'node:http';

export interface EpochProxy {
  endpoint: string;
  close(): Promise<void>;
}

function toEpochs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toEpochs);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [
      key,
      /At$/.test(key) && typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? Date.parse(v) / 1000 : toEpochs(v),
    ]),
  );
}

export function motoEpochProxy(target: string): Promise<EpochProxy> {
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const forward = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on('data', (c: Buffer) => parts.push(c));
          answer.on('end', () => {
            let body = Buffer.concat(parts);
            try {
              body = Buffer.from(JSON.stringify(toEpochs(JSON.parse(body.toString('utf8')))));
            } catch {
              // not JSON: passed on as it is
            }
            const headers = { ...answer.headers, 'content-length': String(body.length) };
            delete headers['transfer-encoding'];
            res.writeHead(answer.statusCode ?? 502, headers);
            res.end(body);
          });
        },
      );
      forward.on('error', () => res.destroy());
      forward.end(Buffer.concat(chunks));
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      resolve({
        endpoint: `http://127.0.0.1:${port}`,
        close: () => new Promise<void>((done) => { server.closeAllConnections(); server.close(() => done()); }),
      });
    });
  });
}
