package io.switchboard.config;

import java.time.Duration;

/**
 * The proxy's log of slow commands, as Redis's {@code slowlog-log-slower-than} and {@code
 * slowlog-max-len}.
 *
 * @param threshold a command at least this slow through the proxy (from its request read to its
 *     reply) is logged; zero logs every command
 * @param maxLen entries kept, newest first; zero keeps none (and costs nothing)
 */
public record SlowLogConfig(Duration threshold, int maxLen) {}
