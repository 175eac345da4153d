package io.switchboard.proxy.discovery;

import io.switchboard.config.HostAndPort;

/**
 * What the proxy knows of one node discovery asks (a Sentinel, or a cluster node), for the admin
 * endpoint and metrics.
 *
 * @param answering its last answer came back
 * @param lastError why it did not, or null
 * @param lastEvent the last event a Sentinel published about the master ("+switch-master ..."), or
 *     null
 * @param lastEventAtMillis when (epoch milliseconds), 0 if never
 */
public record SourceStatus(
    HostAndPort address,
    boolean answering,
    String lastError,
    String lastEvent,
    long lastEventAtMillis) {}
