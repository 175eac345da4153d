package io.switchboard.proxy.backend;

import io.netty.channel.EventLoop;
import io.netty.channel.SingleThreadEventLoop;
import io.switchboard.proxy.metrics.ProxyMetrics;
import java.util.ArrayList;

/**
 * One flush per touched channel per event-loop iteration, instead of one per command: commands of
 * many clients read in one wake-up leave in one write per backend connection, and Redis reads them
 * in one go. Measured on the demo (50 clients, P16 SET): the proxy's CPU per request fell by a
 * quarter against flushing at each channel's read complete. Byte counters are added to the metrics
 * per batch too: a metric update per command cost several percent of the CPU.
 */
public final class FlushBatch {

  private final EventLoop eventLoop;
  private final ProxyMetrics metrics;
  private final ArrayList<Flushable> backends = new ArrayList<>();
  private final ArrayList<Flushable> clients = new ArrayList<>();
  private boolean scheduled;
  private final Runnable scheduledFlush =
      () -> {
        scheduled = false;
        flushAll();
      };

  /** Client bytes since the last flush. */
  public long bytesReceived;

  public long bytesSent;

  FlushBatch(EventLoop eventLoop, ProxyMetrics metrics) {
    this.eventLoop = eventLoop;
    this.metrics = metrics;
  }

  /** A backend connection was written to: requests leave first, at the end of the batch. */
  void backendWritten(Flushable backend) {
    if (!backend.queued) {
      backend.queued = true;
      backends.add(backend);
    }
  }

  /** A client was written to. */
  public void clientWritten(Flushable client) {
    if (!client.queued) {
      client.queued = true;
      clients.add(client);
    }
  }

  /** Flushes once the event loop has handled every channel that was ready together. */
  public void flushSoon() {
    if (!scheduled) {
      scheduled = true;
      if (eventLoop instanceof SingleThreadEventLoop loop) {
        loop.executeAfterEventLoopIteration(scheduledFlush);
      } else {
        eventLoop.execute(scheduledFlush);
      }
    }
  }

  public void flushAll() {
    if (bytesReceived > 0 || bytesSent > 0) {
      metrics.received(bytesReceived);
      metrics.sent(bytesSent);
      bytesReceived = 0;
      bytesSent = 0;
    }
    flush(backends);
    flush(clients);
  }

  private static void flush(ArrayList<Flushable> touched) {
    for (int i = 0; i < touched.size(); i++) {
      Flushable channel = touched.get(i);
      channel.queued = false;
      channel.flush();
    }
    touched.clear();
  }
}
