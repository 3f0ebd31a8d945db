/**
 * Lines out of a byte stream's text as its chunks arrive, kept until a listener takes them: a
 * helper's first lines may come before anyone listens. Like readline's: a line ends at "\n"
 * (a "\r" before it is dropped), and a last line without one counts once the stream ends.
 * Like a stream's events, no line is given inside the call that sets the listener: the kept
 * ones follow on a microtask, so that the caller can first say what it waits for (the
 * watchdog's "ready" came before the agent listened, and was lost once).
 */
export class LineFeed {
  private rest = '';
  private readonly kept: string[] = [];
  private listener: ((line: string) => void) | undefined;
  private flushing = false;

  push(chunk: string): void {
    this.rest += chunk;
    for (let i = this.rest.indexOf('\n'); i >= 0; i = this.rest.indexOf('\n')) {
      const line = this.rest.slice(0, i);
      this.rest = this.rest.slice(i + 1);
      this.deliver(line.endsWith('\r') ? line.slice(0, -1) : line);
    }
  }

  end(): void {
    const last = this.rest;
    this.rest = '';
    if (last) this.deliver(last);
  }

  listen(listener: (line: string) => void): void {
    if (this.listener) throw new Error('a line feed has one listener');
    this.listener = listener;
    if (!this.kept.length) return;
    this.flushing = true;
    queueMicrotask(() => {
      this.flushing = false;
      for (const line of this.kept.splice(0)) listener(line);
    });
  }

  private deliver(line: string): void {
    if (this.listener && !this.flushing) this.listener(line);
    else this.kept.push(line);
  }
}

/** Feeds a web stream's text (Bun's pipes) to `feed`; resolves at its end or error, after feed.end(). */
export async function feedFromWeb(
  stream: ReadableStream<Uint8Array>,
  feed: LineFeed,
): Promise<void> {
  const reader = stream.getReader();
  const text = new TextDecoder();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      feed.push(text.decode(value, { stream: true }));
    }
  } catch {
    // its end, however it came
  }
  feed.push(text.decode());
  feed.end();
}

/** Feeds a Node stream's text to `feed`; `done` once, at its end, close or error, after feed.end(). */
export function feedFromNode(
  stream: NodeJS.ReadableStream,
  feed: LineFeed,
  done: () => void,
): void {
  let over = false;
  const end = () => {
    if (over) return;
    over = true;
    feed.end();
    done();
  };
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => feed.push(chunk));
  stream.once('end', end);
  stream.once('close', end);
  stream.once('error', end);
}
