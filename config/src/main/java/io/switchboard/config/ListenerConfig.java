package io.switchboard.config;

/**
 * One client-facing port and the routing it applies, so an application picks a read policy by port
 * with a client library that knows nothing of replicas.
 *
 * @param tls the port speaks TLS, with the certificate of {@link ListenerTlsConfig}
 * @param replicaSubscriptions SUBSCRIBE and PSUBSCRIBE go to a replica when reads may; otherwise to
 *     the primary, where PUBLISH runs and counts them
 * @param cache reads on this port may be answered from the proxy's near cache
 */
public record ListenerConfig(
    Endpoint endpoint,
    RoutingConfig.ReadFrom readFrom,
    RoutingConfig.Consistency consistency,
    boolean tls,
    boolean replicaSubscriptions,
    boolean cache) {}
