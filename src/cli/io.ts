import { fdWriter } from '../system/fd-writer.js';

/** Where commands print: injectable so commands can be tested in process. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  readStdin(): Promise<string>;
}

export const processIo: Io = {
  out: fdWriter(1, () => process.stdout),
  err: fdWriter(2, () => process.stderr),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
};
