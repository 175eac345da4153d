package io.switchboard.proxy;

import io.switchboard.config.HostAndPort;

/** Backend connections of one node and role on one event loop, for the metrics and the admin. */
record BackendLoad(HostAndPort node, boolean primary, int connections, int inflight) {}
