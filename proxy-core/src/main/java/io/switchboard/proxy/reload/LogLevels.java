package io.switchboard.proxy.reload;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import io.switchboard.config.ServerConfig;
import org.slf4j.LoggerFactory;

/** Sets {@code server.log-level} on the proxy's own loggers, at start and at each reload. */
public final class LogLevels {

  private LogLevels() {}

  public static void apply(ServerConfig.LogLevel level) {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      context.getLogger("io.switchboard").setLevel(Level.toLevel(level.name()));
    }
  }
}
