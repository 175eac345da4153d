package io.switchboard.config;

import java.time.Duration;

/**
 * Event loops, the process's lifecycle, and how it follows its configuration file.
 *
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
