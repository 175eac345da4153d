package io.switchboard.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.switchboard.config.Credentials;
import io.switchboard.config.RedisConfig;
import io.switchboard.proxy.resp.Replies;
import io.switchboard.proxy.resp.RespValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The commands a new backend connection sends before carrying client traffic: {@code HELLO} with
 * the pool's protocol, the proxy's credentials and its client name, then {@code SELECT} for a
 * database other than 0. Requires Redis 6 or newer (HELLO).
 */
final class Handshake {

  private Handshake() {}

  static List<ByteBuf> commands(
      ByteBufAllocator alloc, RedisConfig redis, int db, int protocol, String clientName) {
    List<String> hello = new ArrayList<>(List.of("HELLO", Integer.toString(protocol)));
    Credentials credentials = redis.credentials();
    if (credentials.hasPassword()) {
      hello.add("AUTH");
      hello.add(credentials.username().isEmpty() ? "default" : credentials.username());
      hello.add(credentials.password());
    }
    hello.add("SETNAME");
    hello.add(clientName);
    List<ByteBuf> commands = new ArrayList<>();
    commands.add(Replies.command(alloc, hello.toArray(String[]::new)));
    if (db != 0) {
      commands.add(Replies.command(alloc, "SELECT", Integer.toString(db)));
    }
    return commands;
  }

  /** Checks one handshake reply; returns the server's error text, or null when it succeeded. */
  static String check(ByteBuf reply, ServerFacts facts) {
    Object value = RespValue.parse(reply);
    if (value instanceof RespValue.Error error) {
      return error.message();
    }
    if (value instanceof Map<?, ?> map) {
      facts.version(String.valueOf(map.get("version")));
    } else if (value instanceof List<?> list) {
      for (int i = 0; i + 1 < list.size(); i += 2) {
        if ("version".equals(list.get(i))) {
          facts.version(String.valueOf(list.get(i + 1)));
        }
      }
    }
    return null;
  }
}
