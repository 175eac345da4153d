package io.switchboard.config;

import java.time.Duration;

/** Bounds on what one client may make the proxy hold. */
public record LimitsConfig(
    long maxBulkBytes,
    int maxMultibulk,
    long maxRequestBytes,
    int maxInlineBytes,
    int maxInflightPerClient,
    long clientOutputBufferBytes,
    int maxHeldPerPool,
    int maxExclusiveConnections,
    int maxClients,
    Duration clientIdleTimeout,
    Duration stalledRequestTimeout,
    int trackingTableMaxKeys) {}
