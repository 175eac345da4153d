package io.switchboard.proxy.backend;

import io.switchboard.config.RoutingConfig;
import io.switchboard.routing.CommandTable;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the proxy has learned about the Redis servers behind it, shared by all event loops and
 * written rarely (on a handshake, on a new primary), hence volatile rather than per-loop: the
 * server version and the command table.
 */
public final class ServerFacts {

  private static final Logger log = LoggerFactory.getLogger(ServerFacts.class);
  static final String DENIED = "denied by this proxy's configuration (switchboard.routing.deny)";

  private volatile String version = "7.0.0";

  /** The table as the servers define it (built in until the primary's COMMAND reply). */
  private volatile CommandTable known = CommandTable.builtIn();

  /** {@link #known} with routing.deny's commands refused: what sessions classify with. */
  private volatile CommandTable commands;

  /** routing.deny; written and read under this object's lock (a reload, a COMMAND reply). */
  private java.util.Set<String> deny;

  /** Users a node refused to log in (auth.mode = redis), for one warning each; bounded. */
  private final java.util.Set<String> refusedLogins =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  /** Throws IllegalArgumentException naming a command of routing.deny that does not exist. */
  public ServerFacts(RoutingConfig routing) {
    this.deny = routing.deny();
    this.commands = known.deny(deny, DENIED);
  }

  /**
   * A reload's routing.deny, checked: throws IllegalArgumentException naming a command that does
   * not exist, before anything changed.
   */
  public void checkDeny(java.util.Set<String> names) {
    known.deny(names, DENIED);
  }

  /** A reload's routing.deny: commands classified from now on are refused by it. */
  public synchronized void deny(java.util.Set<String> names) {
    deny = names;
    commands = known.deny(names, DENIED);
  }

  /**
   * auth.mode = redis: whether Redis's default user needs a password, as a connection that sends no
   * AUTH last found on the primary; false until known.
   */
  private volatile boolean defaultUserNeedsPassword;

  public boolean defaultUserNeedsPassword() {
    return defaultUserNeedsPassword;
  }

  public void defaultUserNeedsPassword(boolean needs) {
    defaultUserNeedsPassword = needs;
  }

  /** True the first time {@code node} refuses {@code user}'s login (of at most 10,000 kept). */
  boolean firstLoginRefusal(String user, io.switchboard.config.HostAndPort node) {
    return refusedLogins.size() < 10_000 && refusedLogins.add(user + "@" + node);
  }

  public String version() {
    return version;
  }

  public void version(String newVersion) {
    if (newVersion != null && !newVersion.isEmpty()) {
      version = newVersion;
    }
  }

  public CommandTable commands() {
    return commands;
  }

  /** Replaces the built-in table with the primary's own COMMAND reply (modules, newer servers). */
  public synchronized void commandsFromServer(List<?> commandReply) {
    try {
      CommandTable fromServer = CommandTable.fromCommandReply(commandReply);
      commands = fromServer.deny(deny, DENIED);
      known = fromServer;
      log.info("Command table loaded from the primary: {} commands", fromServer.size());
    } catch (RuntimeException e) {
      log.warn("Keeping the built-in command table; the primary's COMMAND reply: {}", e.toString());
    }
  }
}
