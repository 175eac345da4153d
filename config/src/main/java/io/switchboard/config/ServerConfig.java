package io.switchboard.config;

import java.time.Duration;

/**
 * Event loops, the process's lifecycle, and how it follows its configuration file.
 *
 * @param ioThreads event loops; 0 chooses by the cores (see {@link #eventLoops})
 * @param shutdownTimeout after SIGTERM (or a drain), how long in-flight commands may take before
 *     the remaining clients are disconnected
 * @param configReloadInterval how often the file of {@code -Dconfig.file} is checked for a change;
 *     zero never checks
 * @param logLevel the level of the proxy's own loggers ({@code io.switchboard})
 */
public record ServerConfig(
    int ioThreads,
    Transport transport,
    Duration shutdownTimeout,
    Duration configReloadInterval,
    LogLevel logLevel) {

  /**
   * The event loops to run on {@code cores} cores: {@code ioThreads}, or when it is 0, one per two
   * cores and at least one. Not one per core: a loop's network work happens in the kernel on the
   * loop's own thread (on loopback a send even carries the receiver's wake-up), and next to it run
   * the JVM's compiler and GC and, wherever the proxy shares its cores, Redis or its clients. On 2
   * shared cores one loop instead of two cost 20% less proxy CPU per request at one command per
   * client (fewer wake-ups, larger batches per backend write) and 25% less of the primary's, with
   * more throughput, not less (README, Efficiency).
   */
  public int eventLoops(int cores) {
    return ioThreads > 0 ? ioThreads : Math.max(1, cores / 2);
  }

  /** Which Netty transport to run on. */
  public enum Transport {
    AUTO,
    EPOLL,
    NIO
  }

  /** Logback's levels, as an operator writes them. */
  public enum LogLevel {
    TRACE,
    DEBUG,
    INFO,
    WARN,
    ERROR
  }
}
