package io.switchboard.routing;

import io.switchboard.config.HostAndPort;

/**
 * One replica as the replication monitor last saw it.
 *
 * @param offset the replication offset the replica has applied (from its {@code ROLE}), -1 unknown
 * @param lagMillis how long ago the primary wrote the oldest byte the replica has not applied yet
 * @param problem why it may not serve reads, or null when it may
 * @param askedAtNanos when the {@code ROLE} it answered was asked ({@link System#nanoTime}): its
 *     lag is known as of then only ({@link ReplicaChooser} lets no stale replica serve)
 */
public record ReplicaState(
    HostAndPort node, long offset, long lagMillis, String problem, long askedAtNanos) {

  public boolean eligible() {
    return problem == null;
  }
}
