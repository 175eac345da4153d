package io.switchboard.config;

/**
 * Event loops and the process's lifecycle.
 *
 * @param shutdownTimeout after SIGTERM (or a drain), how long in-flight commands may take before
 *     the remaining clients are disconnected
 */
public record ServerConfig(int ioThreads, Transport transport, java.time.Duration shutdownTimeout) {

  /** Which Netty transport to run on. */
  public enum Transport {
    AUTO,
    EPOLL,
    NIO
  }
}
