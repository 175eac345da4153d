package io.switchboard.proxy.metrics;

import io.switchboard.config.HostAndPort;

/** Backend connections of one node and role on one event loop, for the metrics and the admin. */
public record BackendLoad(HostAndPort node, boolean primary, int connections, int inflight) {}
