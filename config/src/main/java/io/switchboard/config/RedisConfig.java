package io.switchboard.config;

import java.time.Duration;

/** How the proxy talks to the Redis nodes behind it. */
public record RedisConfig(
    Credentials credentials,
    int databases,
    Duration connectTimeout,
    int connectionsPerNode,
    Duration reconnectWait,
    String clientName,
    OutboundTlsConfig tls) {}
