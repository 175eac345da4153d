package io.switchboard.config;

import java.time.Duration;

/**
 * How the proxy carries clients through a change of primary.
 *
 * @param holdTimeout how long a write waits for a usable primary before it fails with TRYAGAIN
 * @param holdBytes how many request bytes the whole proxy holds that way at most
 * @param drainTimeout how long the old primary's in-flight commands may take to finish after it
 *     leaves the topology, before its connections are closed
 * @param writeAck when a write is acknowledged to the client
 * @param ackReplicas with {@link WriteAck#REPLICATED}: how many replicas must confirm a write
 * @param ackTimeout with {@link WriteAck#REPLICATED}: how long to wait for them
 */
public record FailoverConfig(
    Duration holdTimeout,
    long holdBytes,
    Duration drainTimeout,
    WriteAck writeAck,
    int ackReplicas,
    Duration ackTimeout) {

  /** When the proxy acknowledges a write. */
  public enum WriteAck {
    /** As soon as the primary answers, as Redis does. */
    ASYNC,
    /** After {@code WAIT} confirms that {@code ack-replicas} replicas have the write. */
    REPLICATED
  }
}
