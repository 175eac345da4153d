package io.switchboard.config;

/** Event loop settings. */
public record ServerConfig(int ioThreads, Transport transport) {

  /** Which Netty transport to run on. */
  public enum Transport {
    AUTO,
    EPOLL,
    NIO
  }
}
