package io.switchboard.proxy.discovery;

import io.switchboard.config.HostAndPort;

/**
 * One event a Sentinel published, such as {@code +switch-master mymaster 10.0.0.1 6379 10.0.0.2
 * 6379} or {@code +sdown slave 10.0.0.3:6379 10.0.0.3 6379 @ mymaster 10.0.0.1 6379}.
 *
 * @param from the Sentinel that published it
 * @param type the channel: {@code +switch-master}, {@code +sdown}, ...
 * @param masterName the master it is about, or "" when the payload names none
 */
public record SentinelEvent(HostAndPort from, String type, String masterName, String payload) {

  /**
   * Reads the master name the way Sentinel writes it: first word for master events ({@code
   * +switch-master <name> ...}, {@code +sdown master <name> ...}), after {@code @} for events about
   * a replica or a Sentinel.
   */
  static SentinelEvent parse(HostAndPort from, String channel, String payload) {
    String[] words = payload.trim().split("\\s+");
    String master = "";
    for (int i = 0; i + 1 < words.length; i++) {
      if (words[i].equals("@")) {
        master = words[i + 1];
        break;
      }
    }
    if (master.isEmpty() && words.length > 0) {
      master = words[0].equals("master") && words.length > 1 ? words[1] : words[0];
    }
    return new SentinelEvent(from, channel, master, payload);
  }

  boolean concerns(String master) {
    return masterName.equals(master);
  }
}
