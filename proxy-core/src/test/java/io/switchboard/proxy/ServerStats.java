package io.switchboard.proxy;

import io.switchboard.proxy.demo.RedisNode;
import java.io.IOException;

/** What a server says it ran, from its own {@code INFO commandstats}. */
final class ServerStats {

  private ServerStats() {}

  /** How many times the shared topology's replicas ran {@code command}, together. */
  static long replicaCalls(String command) throws IOException {
    long calls = 0;
    for (RedisNode replica : SharedTopology.get().replicas()) {
      calls += calls(replica, command);
    }
    return calls;
  }

  /** How many times {@code node} ran {@code command} (lower case, as commandstats names it). */
  static long calls(RedisNode node, String command) throws IOException {
    String prefix = "cmdstat_" + command + ":calls=";
    for (String line : String.valueOf(node.call("INFO", "commandstats")).split("\r\n")) {
      if (line.startsWith(prefix)) {
        return Long.parseLong(line.substring(prefix.length(), line.indexOf(',')));
      }
    }
    return 0;
  }
}
