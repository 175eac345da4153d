package io.switchboard.proxy.backend;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.switchboard.config.Credentials;
import io.switchboard.config.RedisConfig;
import io.switchboard.proxy.resp.Replies;
import io.switchboard.proxy.resp.RespValue;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The commands a new backend connection sends before carrying client traffic: {@code HELLO} with
 * the pool's protocol, the proxy's credentials (or the client's, {@link BackendLogin}) and its
 * client name, then {@code SELECT} for a database other than 0, {@code READONLY} on a cluster
 * replica (without it a cluster replica answers every read with MOVED to its primary), and {@code
 * CLIENT TRACKING ON} for a pool of tracking sessions (default mode: the server remembers every key
 * read on the connection, and the proxy tells apart whose read it was; in RESP2 with REDIRECT to a
 * RESP3 connection of the proxy's). Requires Redis 6 or newer (HELLO).
 */
final class Handshake {

  private Handshake() {}

  static List<ByteBuf> commands(
      ByteBufAllocator alloc,
      RedisConfig redis,
      int db,
      int protocol,
      String clientName,
      BackendLogin login,
      boolean clusterReplica,
      boolean tracking,
      long trackingRedirect) {
    List<byte[]> hello = new ArrayList<>();
    hello.add(utf8("HELLO"));
    hello.add(utf8(Integer.toString(protocol)));
    Credentials credentials = redis.credentials();
    if (login != null) {
      if (login.authenticates()) {
        hello.add(utf8("AUTH"));
        hello.add(utf8(login.user()));
        hello.add(login.password().getBytes(StandardCharsets.ISO_8859_1)); // as the client sent it
      }
    } else if (credentials.hasPassword()) {
      hello.add(utf8("AUTH"));
      hello.add(utf8(credentials.username().isEmpty() ? "default" : credentials.username()));
      hello.add(utf8(credentials.password()));
    }
    hello.add(utf8("SETNAME"));
    hello.add(utf8(clientName));
    List<ByteBuf> commands = new ArrayList<>();
    commands.add(command(alloc, hello));
    if (db != 0) {
      commands.add(Replies.command(alloc, "SELECT", Integer.toString(db)));
    }
    if (clusterReplica) {
      commands.add(Replies.command(alloc, "READONLY"));
    }
    if (tracking && trackingRedirect > 0) {
      commands.add(
          Replies.command(
              alloc, "CLIENT", "TRACKING", "ON", "REDIRECT", Long.toString(trackingRedirect)));
    } else if (tracking) {
      commands.add(Replies.command(alloc, "CLIENT", "TRACKING", "ON"));
    }
    return commands;
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static ByteBuf command(ByteBufAllocator alloc, List<byte[]> args) {
    ByteBuf buf = alloc.buffer(64 + 16 * args.size());
    Replies.writeHeader(buf, '*', args.size());
    for (byte[] arg : args) {
      Replies.writeBulk(buf, arg);
    }
    return buf;
  }

  /**
   * Judges one handshake reply, and releases it: the server's error, or null when the connection
   * may go on. A login the node refused is the pool's to know (users live on each node). An
   * unauthenticated connection that meets NOAUTH goes on: Redis's default user needs a password,
   * the connection stays as Redis leaves an unauthenticated client, and Redis itself answers its
   * commands with NOAUTH.
   */
  static String judge(
      ByteBuf reply,
      ServerFacts facts,
      BackendPool pool,
      java.util.function.LongConsumer onClientId) {
    String error;
    try {
      error = check(reply, facts, onClientId);
    } finally {
      reply.release();
    }
    if (pool.login() == BackendLogin.UNAUTHENTICATED) {
      boolean noAuth = error != null && error.startsWith("NOAUTH");
      if (pool.primary()) {
        facts.defaultUserNeedsPassword(noAuth);
      }
      return noAuth ? null : error;
    }
    if (error != null && pool.login() != null && pool.login().authenticates()) {
      pool.refuseLogin(error);
    }
    return error;
  }

  /**
   * Checks one handshake reply; returns the server's error text, or null when it succeeded. HELLO's
   * reply tells the server's version, and the id the server gave this connection ({@code
   * onClientId}; CLIENT UNBLOCK names connections by it).
   */
  static String check(
      ByteBuf reply, ServerFacts facts, java.util.function.LongConsumer onClientId) {
    Object value = RespValue.parse(reply);
    if (value instanceof RespValue.Error error) {
      return error.message();
    }
    if (value instanceof Map<?, ?> map) {
      facts.version(String.valueOf(map.get("version")));
      if (map.get("id") instanceof Long id) {
        onClientId.accept(id);
      }
    } else if (value instanceof List<?> list) {
      for (int i = 0; i + 1 < list.size(); i += 2) {
        if ("version".equals(list.get(i))) {
          facts.version(String.valueOf(list.get(i + 1)));
        } else if ("id".equals(list.get(i)) && list.get(i + 1) instanceof Long id) {
          onClientId.accept(id);
        }
      }
    }
    return null;
  }
}
