package io.switchboard.bench;

import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * JMH's benchmark threads as Netty's {@code FastThreadLocalThread}s, like the proxy's event loops:
 * Netty recycles slices and buffers only on such threads, so on JMH's plain threads the framers
 * would allocate a new slice per frame that the proxy never allocates. Selected by the {@code
 * jmh.executor} properties in each benchmark's {@code @Fork}.
 */
public final class EventLoopThreads extends ThreadPoolExecutor {

  public EventLoopThreads(int maxThreads, String prefix) {
    super(
        maxThreads,
        maxThreads,
        1,
        TimeUnit.MINUTES,
        new LinkedBlockingQueue<>(),
        new DefaultThreadFactory(prefix, true));
  }
}
