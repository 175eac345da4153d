package io.switchboard.proxy.session;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.FastThreadLocal;
import io.switchboard.proxy.resp.Replies;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Lua script bodies by SHA1, from SCRIPT LOAD and EVAL, shared by all event loops and bounded by
 * {@code routing.script-cache-size}. Redis does not replicate its script cache, so a replica, or a
 * new primary after a failover, may not know a script a client loaded; with the body at hand the
 * proxy loads it there before EVALSHA runs, or after a NOSCRIPT, instead of failing the client.
 */
public final class ScriptCache {

  private static final FastThreadLocal<MessageDigest> SHA1 =
      new FastThreadLocal<>() {
        @Override
        protected MessageDigest initialValue() throws NoSuchAlgorithmException {
          return MessageDigest.getInstance("SHA-1");
        }
      };

  private final Cache<String, byte[]> bodies;
  private final AtomicInteger flushes = new AtomicInteger();

  public ScriptCache(int maxScripts) {
    this.bodies = Caffeine.newBuilder().maximumSize(maxScripts).build();
  }

  /** Remembers the script in {@code buf[offset, offset+length)}; returns its SHA1 in lower hex. */
  String remember(ByteBuf buf, int offset, int length) {
    byte[] body = new byte[length];
    buf.getBytes(offset, body);
    String sha = HexFormat.of().formatHex(SHA1.get().digest(body));
    bodies.asMap().putIfAbsent(sha, body);
    return sha;
  }

  /** The body of the script with this SHA1 (any case), or null when unknown. */
  byte[] body(String sha) {
    return bodies.getIfPresent(sha.toLowerCase(java.util.Locale.ROOT));
  }

  /** {@code SCRIPT LOAD <body>}, byte for byte. */
  static ByteBuf loadCommand(ByteBufAllocator alloc, byte[] body) {
    ByteBuf buf = alloc.buffer(40 + body.length);
    Replies.writeHeader(buf, '*', 3);
    Replies.writeBulk(buf, "SCRIPT");
    Replies.writeBulk(buf, "LOAD");
    Replies.writeBulk(buf, body);
    return buf;
  }

  /** SCRIPT FLUSH went through: forget every body, and every loop forgets what nodes hold. */
  void flush() {
    bodies.invalidateAll();
    flushes.incrementAndGet();
  }

  /** Changes at each flush, so loops can drop their per-node "already loaded" sets. */
  int flushes() {
    return flushes.get();
  }
}
